import { InputError } from '../errors.js';
import { FIT_STRIDE, HEATMAP_FIT, MAX_TARGET_SIGMA, type HeatmapFitArgs } from '../model/heatmap-fit.js';
import { keypointFormat, type FormatName, type KeypointFormat } from './formats.js';
import type { GmmInput } from './input.js';
import { NUM_JOINTS } from './skeleton.js';
import { NOISE_MODEL } from './detector-noise.js';

/**
 * Heatmap input (docs/formats.md, "heatmaps"): per person one heatmap per keypoint of a format,
 * [N, K, height, width] row-major, and the pixel box each person's heatmaps cover.
 */
export interface HeatmapOptions {
  /** Heatmap width and height in heatmap pixels. */
  width: number;
  height: number;
  /** [N, 4]: left, top, right, bottom in image pixels; heatmap pixel x's centre is image x = left + (x + 0.5) (right - left) / width. */
  boxes: Float32Array | readonly number[];
  /** Mixture components per joint, 1..5 (default 3); a heatmap with fewer separate peaks gets fewer (the rest weight 0). */
  components?: number;
  /** Joint order of the heatmaps (default 'h36m17'); lift takes it from its own `format`. */
  format?: FormatName;
  /**
   * Std of the Gaussian the detector was trained to output, heatmap pixels (default 2, HRNet's
   * and SimpleBaseline's at 64 x 48; 0: none). It comes off each fitted component's variance, so
   * the mixture is the detector's belief, not its blob (docs/formats.md).
   */
  targetSigma?: number;
}

export const DEFAULT_HEATMAP_COMPONENTS = 3;
/** Heatmap sides at most this many pixels (the fit's cost grows with the pixels; 4x the common 64 x 48). */
export const MAX_HEATMAP_SIDE = 512;

/** A validated heatmap batch: the fit's arguments (joints: the format's keypoints) and the format. */
export interface HeatmapBatch extends Omit<HeatmapFitArgs, 'map'> {
  format: KeypointFormat;
}

const HEATMAP_KEYS: ReadonlySet<string> = new Set(['width', 'height', 'boxes', 'components', 'format', 'targetSigma']);

/** The heatmap options without the data: sides, components, joint order and target kernel. */
export function checkHeatmapShape(
  options: HeatmapOptions,
  formatName?: string,
): Pick<HeatmapBatch, 'width' | 'height' | 'components' | 'format'> & { targetSigma: number } {
  if (typeof options !== 'object' || options === null)
    throw new InputError('heatmap options must be { width, height, boxes, components? }');
  const unknown = Object.keys(options).filter((k) => !HEATMAP_KEYS.has(k));
  if (unknown.length)
    throw new InputError(`heatmap options: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  const { width, height } = options;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 2 || v > MAX_HEATMAP_SIDE)
      throw new InputError(`heatmap ${name} must be an integer in [2, ${MAX_HEATMAP_SIDE}], got ${JSON.stringify(v)}`);
  }
  const components = options.components ?? DEFAULT_HEATMAP_COMPONENTS;
  if (!Number.isInteger(components) || components < 1 || components > HEATMAP_FIT.maxComponents)
    throw new InputError(
      `heatmap components must be an integer in [1, ${HEATMAP_FIT.maxComponents}], got ${JSON.stringify(components)}`,
    );
  const targetSigma = options.targetSigma ?? HEATMAP_FIT.targetSigma;
  if (typeof targetSigma !== 'number' || !(targetSigma >= 0 && targetSigma <= MAX_TARGET_SIGMA))
    throw new InputError(
      `heatmap targetSigma must be a number of heatmap pixels in [0, ${MAX_TARGET_SIGMA}] (0: none), got ${typeof targetSigma === 'number' ? targetSigma : JSON.stringify(targetSigma)}`,
    );
  if (formatName !== undefined && options.format !== undefined && options.format !== formatName)
    throw new InputError(`heatmap format "${options.format}" differs from the lift's format "${formatName}"`);
  return { width, height, components, targetSigma, format: keypointFormat(options.format ?? formatName ?? 'h36m17') };
}

/** [poses, 4] boxes: finite, right > left, bottom > top. */
export function checkBoxes(value: unknown, poses: number): Float32Array {
  const boxes = Array.isArray(value) ? Float32Array.from(value as number[]) : value;
  if (!(boxes instanceof Float32Array)) throw new InputError('heatmap boxes must be a Float32Array or numbers [N, 4]');
  if (boxes.length !== poses * 4)
    throw new InputError(`heatmap boxes has ${boxes.length} values, expected ${poses * 4} (4 per person)`);
  for (let n = 0; n < poses; n++) {
    const [l, t, r, b] = boxes.subarray(n * 4, n * 4 + 4);
    if (![l, t, r, b].every(Number.isFinite) || !(r > l) || !(b > t))
      throw new InputError(
        `heatmap box ${n} is [${l}, ${t}, ${r}, ${b}]: [left, top, right, bottom] must be finite with right > left and bottom > top`,
      );
  }
  return boxes;
}

/**
 * Checks heatmaps and their options before any GPU work. Refused: a length that is not N whole
 * people, NaN or an infinity anywhere, a heatmap with no positive value (all zero or negative:
 * nothing says where the joint is), and boxes that are not finite with right > left and
 * bottom > top. Negative values elsewhere carry no mass (regression heatmaps dip below zero
 * away from the peak).
 */
export function checkHeatmaps(heatmaps: unknown, options: HeatmapOptions, formatName?: string): HeatmapBatch {
  const shape = checkHeatmapShape(options, formatName);
  const { width: w, height: h, format } = shape;
  if (!(heatmaps instanceof Float32Array))
    throw new InputError('heatmaps must be a Float32Array [N, K, height, width]');
  const perPose = format.keypoints * w * h;
  if (heatmaps.length % perPose !== 0)
    throw new InputError(
      `heatmaps has ${heatmaps.length} values, not a multiple of ${perPose} (${format.keypoints} keypoints of format ${format.name} x ${h} x ${w})`,
    );
  const poses = heatmaps.length / perPose;
  const where = (i: number) => {
    const map = Math.floor(i / (w * h));
    return `person ${Math.floor(map / format.keypoints)} keypoint ${map % format.keypoints}`;
  };
  for (let m = 0; m < poses * format.keypoints; m++) {
    let positive = false;
    for (let i = m * w * h; i < (m + 1) * w * h; i++) {
      const v = heatmaps[i];
      if (!Number.isFinite(v)) throw new InputError(`heatmaps[${i}] (${where(i)}) is ${v}: values must be finite`);
      if (v > 0) positive = true;
    }
    if (!positive)
      throw new InputError(`the heatmap of ${where(m * w * h)} has no positive value: nothing says where the joint is`);
  }
  const boxes = checkBoxes(options.boxes, poses);
  return { ...shape, heatmaps, poses, joints: format.keypoints, boxes };
}

/**
 * The fitted mixtures [N, K_format, C, 5] (image pixels) as a GmmInput in Human3.6M order. A
 * joint made from one keypoint keeps its mixture. A joint derived from several (pelvis =
 * mid-hips, ...) is their weighted sum: one Gaussian with the sum's mean and variance (the
 * keypoints taken as independent), the other components weight 0 repeating it.
 */
export function fitToGmm(fit: Float32Array, batch: Pick<HeatmapBatch, 'poses' | 'format' | 'components'>): GmmInput {
  const { poses, format, components: C } = batch;
  const K = format.keypoints,
    J = NUM_JOINTS;
  const weights = new Float32Array(poses * J * C),
    means = new Float32Array(poses * J * C * 2),
    sigmas = new Float32Array(poses * J * C * 2);
  const put = (i: number, c: number, wt: number, mean: number[], std: number[]) => {
    weights[i * C + c] = wt;
    means.set(mean, (i * C + c) * 2);
    sigmas.set(std, (i * C + c) * 2);
  };
  for (let n = 0; n < poses; n++) {
    for (let j = 0; j < J; j++) {
      const i = n * J + j,
        src = format.sources[j];
      if (src.length === 1 && src[0][1] === 1) {
        for (let c = 0; c < C; c++) {
          const o = ((n * K + src[0][0]) * C + c) * FIT_STRIDE;
          put(i, c, fit[o], [fit[o + 1], fit[o + 2]], [fit[o + 3], fit[o + 4]]);
        }
        continue;
      }
      const mean = [0, 0],
        variance = [0, 0];
      for (const [s, coef] of src) {
        const m = mixtureMoments(fit, (n * K + s) * C * FIT_STRIDE, C);
        for (let a = 0; a < 2; a++) {
          mean[a] += coef * m.mean[a];
          variance[a] += coef * coef * m.variance[a];
        }
      }
      const std = variance.map(Math.sqrt);
      for (let c = 0; c < C; c++) put(i, c, c === 0 ? 1 : 0, mean, std);
    }
  }
  return { components: C, weights, means, sigmas };
}

/** Mean and per-axis variance of one joint's fitted mixture (C components from `at`). */
function mixtureMoments(fit: Float32Array, at: number, C: number): { mean: number[]; variance: number[] } {
  const mean = [0, 0],
    second = [0, 0];
  for (let c = 0; c < C; c++) {
    const o = at + c * FIT_STRIDE,
      wt = fit[o];
    for (let a = 0; a < 2; a++) {
      mean[a] += wt * fit[o + 1 + a];
      second[a] += wt * (fit[o + 3 + a] ** 2 + fit[o + 1 + a] ** 2);
    }
  }
  return { mean, variance: [0, 1].map((a) => Math.max(second[a] - mean[a] ** 2, 0)) };
}

/**
 * [N, 17, 2]: each joint's keypoint for the lifter, the mean of its heaviest component (the
 * first of equals) — the point a detector's argmax would report, and the one the official init
 * starts from.
 */
export function gmmKeypoints(gmm: GmmInput): Float32Array {
  const C = gmm.components;
  const joints = gmm.weights.length / C;
  const out = new Float32Array(joints * 2);
  for (let i = 0; i < joints; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (gmm.weights[i * C + c] > gmm.weights[i * C + best]) best = c;
    out[2 * i] = gmm.means[(i * C + best) * 2];
    out[2 * i + 1] = gmm.means[(i * C + best) * 2 + 1];
  }
  return out;
}

/**
 * [N, 17]: the confidence a detector with the mixture's error would report, for the lifter (which
 * reads one per joint): c = exp(-std / (0.03 s)), the detector-noise model's relation between a
 * joint's error std and its score (src/pose/detector-noise.ts, the one the weights were trained
 * with), std = the mixture's moment-matched std (both axes' mean variance: two modes far apart are
 * a wide, unsure joint), s = the person's height in pixels (the extent of `keypoints` [N, 17, 2]),
 * clamped to the model's confidence range. A sharp blob gives about 1, a flat or two-peaked one little.
 */
export function mixtureConfidence(gmm: GmmInput, keypoints: Float32Array): Float32Array {
  const C = gmm.components,
    J = NUM_JOINTS;
  const poses = gmm.weights.length / (J * C);
  const out = new Float32Array(poses * J);
  const [lo, hi] = NOISE_MODEL.confidenceRange;
  for (let n = 0; n < poses; n++) {
    let top = Infinity,
      bottom = -Infinity;
    for (let j = 0; j < J; j++) {
      const y = keypoints[(n * J + j) * 2 + 1];
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
    const scale = NOISE_MODEL.confidenceScale * Math.max(bottom - top, 1);
    for (let j = 0; j < J; j++) {
      const i = n * J + j;
      // Scalars, not per-joint arrays: this runs for every joint of every mixture lift.
      let total = 0,
        meanU = 0,
        meanV = 0,
        secondU = 0,
        secondV = 0;
      for (let c = 0; c < C; c++) {
        const k = i * C + c,
          wt = gmm.weights[k],
          mu = gmm.means[2 * k],
          mv = gmm.means[2 * k + 1];
        total += wt;
        meanU += wt * mu;
        meanV += wt * mv;
        secondU += wt * (gmm.sigmas[2 * k] ** 2 + mu ** 2);
        secondV += wt * (gmm.sigmas[2 * k + 1] ** 2 + mv ** 2);
      }
      const variance =
        Math.max(secondU / total - (meanU / total) ** 2, 0) / 2 +
        Math.max(secondV / total - (meanV / total) ** 2, 0) / 2;
      out[i] = Math.min(hi, Math.max(lo, Math.exp(-Math.sqrt(variance) / scale)));
    }
  }
  return out;
}
