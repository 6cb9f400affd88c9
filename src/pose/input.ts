import { InputError } from '../errors.js';
import { GMM_STRIDE } from '../model/gmm-init.js';
import { keypointFormat, toH36m } from './formats.js';
import { gmmKeypoints, mixtureConfidence } from './heatmaps.js';
import { NUM_JOINTS } from './skeleton.js';

/** A caller-supplied per-joint 2D Gaussian mixture (pixels), H36M joint order. */
export interface GmmInput {
  components: number;
  /** [N, 17, K], non-negative, not all zero per joint (normalised here). */
  weights: Float32Array;
  /** [N, 17, K, 2] pixels. */
  means: Float32Array;
  /** [N, 17, K, 2] standard deviations in pixels, > 0. */
  sigmas: Float32Array;
}

export interface KeypointInput {
  /** [N, K, 2] pixels of the named format. */
  keypoints: Float32Array;
  imageSize: readonly [number, number];
  format?: string;
  /** [N, K] in [0, 1]. */
  confidence?: Float32Array;
  gmm?: GmmInput;
}

/** A batch ready for any executor: normalised 2D and the packed mixture, uv units. */
export interface PreparedBatch {
  poses: number;
  /** [N, 17, 2]: uv = p / w * 2 - [1, h / w]. */
  uv: Float32Array;
  components: number;
  /** [N, 17, K, 5]: weight, mean u, mean v, std u, std v. */
  gmm: Float32Array;
  /** [N, 17] the input's confidence in Human3.6M order; absent when the input had none (all 1). */
  confidence?: Float32Array;
  /** A temporal lift: the poses are the frames of consecutive tracks (src/temporal/sequence-batch.ts). */
  sequence?: import('../temporal/sequence-batch.js').SequenceInfo;
}

export const MAX_COMPONENTS = 8;

/**
 * The default per-joint std from a confidence c, in uv units (docs/formats.md):
 * 0.001 + 0.015 (1 - c) + 0.075 (1 - c)^6, calibrated on the simulated detector
 * (docs/camera-model.md): in each confidence band the median |error| per axis is 0.6-0.85 std
 * (0.67 for a Gaussian). The steep part gives outliers and missing joints (c near 0) a prior as wide as
 * their typical displacement. Earlier rules were ~2.7x (0.002 + 0.04 (1 - c) + 0.2 (1 - c)^6)
 * and ~30x (0.01 + 0.2 (1 - c)) too wide, and sampling the start from them (the paper init)
 * corrupted good 2D.
 */
export function sigmaFromConfidence(c: number): number {
  const miss = 1 - c;
  return 0.001 + 0.015 * miss + 0.075 * miss ** 6;
}

function checkArray(value: unknown, name: string, length: number): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) throw new InputError(`${name} must be a Float32Array`);
  if (value.length !== length) throw new InputError(`${name} has ${value.length} values, expected ${length}`);
  const bad = value.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`${name}[${bad}] is ${value[bad]}: values must be finite`);
}

/**
 * How far beyond the image, in image sizes, a keypoint (or a mixture mean) may lie. Detectors put
 * a joint they found inside the picture or, extrapolating a cut-off limb, a fraction of it beyond;
 * the network was trained on such pictures. Much farther means a wrong imageSize, other units or a
 * garbage value, and lifting it gives nonsense (a person 10,000 pixels off a 640-pixel picture
 * lifts to poses metres wide, at 1,000,000 pixels to NaN), so it is refused, not clamped.
 */
export const MAX_OUTSIDE_IMAGE = 2;

/**
 * The narrowest 2D std a mixture component may have, pixels. The root fit weighs each joint by
 * its inverse variance in f32: a std of 1e-17 px overflows it (a NaN root), while a millionth of a
 * pixel is far below any detector's precision and fits in it.
 */
export const MIN_SIGMA_PIXELS = 1e-6;

/**
 * The same for a keypoint with confidence 0 (not detected: its position only a placeholder, such
 * as the CLI's mean-skeleton fill of a close-up's legs, several image heights below a webcam's
 * head-and-shoulders picture). The lifter reads it as unsure; up to about 20 image sizes away the
 * poses stay as they are, at 100 they break.
 */
export const MAX_OUTSIDE_IMAGE_UNDETECTED = 20;

/** Whether pixel (x, y) lies within `margin` image sizes (default MAX_OUTSIDE_IMAGE) of a w x h image. */
export function nearImage(x: number, y: number, w: number, h: number, margin = MAX_OUTSIDE_IMAGE): boolean {
  return x >= -margin * w && x <= (1 + margin) * w && y >= -margin * h && y <= (1 + margin) * h;
}

/**
 * Refuses the first (x, y) pair of `points` that is not nearImage, naming it; a pair whose
 * confidence (`confidence[k]` for pair k, when given) is 0 may lie up to MAX_OUTSIDE_IMAGE_UNDETECTED.
 */
function checkNearImage(points: Float32Array, name: string, w: number, h: number, confidence?: Float32Array): void {
  for (let i = 0; i < points.length; i += 2) {
    const margin = confidence?.[i / 2] === 0 ? MAX_OUTSIDE_IMAGE_UNDETECTED : MAX_OUTSIDE_IMAGE;
    if (nearImage(points[i], points[i + 1], w, h, margin)) continue;
    throw new InputError(
      `${name}[${i}..${i + 1}] = (${points[i]}, ${points[i + 1]}) lies more than ${margin} image sizes outside the ${w}x${h} image: ` +
        `is imageSize right, and are these pixels? (a joint you do not have: confidence 0 and a position within ${MAX_OUTSIDE_IMAGE_UNDETECTED} image sizes)`,
    );
  }
}

export function checkImageSize(size: unknown): void {
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)
  ) {
    throw new InputError(`imageSize must be [width, height] with both > 0, got ${JSON.stringify(size)}`);
  }
}

/**
 * The values of whole poses' keypoints [N, K, 2] (pixels of a `size` image) and confidences
 * [N, K]: finite, confidences in [0, 1], keypoints near the image. `prefix` names the caller's
 * argument in the messages ("tracks[2]." for a track of a batch), so that an index points into
 * what the caller passed.
 */
export function checkKeypointValues(
  kp: Float32Array,
  confidence: Float32Array | undefined,
  size: readonly [number, number],
  prefix = '',
): void {
  checkArray(kp, `${prefix}keypoints`, kp.length);
  if (confidence !== undefined) {
    checkArray(confidence, `${prefix}confidence`, kp.length / 2);
    const bad = confidence.findIndex((c) => c < 0 || c > 1);
    if (bad >= 0) throw new InputError(`${prefix}confidence[${bad}] = ${confidence[bad]} is outside [0, 1]`);
  }
  checkNearImage(kp, `${prefix}keypoints`, size[0], size[1], confidence);
}

/** Validates everything before any GPU work and converts pixels to the model's uv units. */
export function prepareInput(input: KeypointInput): PreparedBatch {
  const format = keypointFormat(input.format ?? 'h36m17');
  const size = input.imageSize;
  checkImageSize(size);
  if (input.gmm !== undefined && (typeof input.gmm !== 'object' || input.gmm === null))
    throw new InputError('gmm must be { components, weights, means, sigmas } or left out');
  const [w, h] = size;
  // Keypoints left out beside a mixture: each joint's heaviest component's mean (gmmKeypoints).
  const kp = input.keypoints?.length === 0 && input.gmm ? keypointsOfGmm(input.gmm) : input.keypoints;
  if (!(kp instanceof Float32Array)) throw new InputError('keypoints must be a Float32Array');
  const perPose = format.keypoints * 2;
  if (kp.length === 0 || kp.length % perPose !== 0) {
    throw new InputError(
      `keypoints has ${kp.length} values, not a positive multiple of ${perPose} (${format.keypoints} keypoints x 2 for format ${format.name})`,
    );
  }
  const poses = kp.length / perPose;
  checkKeypointValues(kp, input.confidence, size);
  if (input.gmm !== undefined && format.name !== 'h36m17') {
    throw new InputError(
      `a gmm can only be given with format "h36m17" (got "${format.name}"): map the mixture to Human3.6M joints first`,
    );
  }
  const mapped = toH36m(format, poses, kp, input.confidence);
  const J = NUM_JOINTS;
  const toU = (x: number) => (x / w) * 2 - 1;
  const toV = (y: number) => (y / w) * 2 - h / w;
  const uv = new Float32Array(poses * J * 2);
  for (let i = 0; i < poses * J; i++) {
    uv[2 * i] = toU(mapped.keypoints[2 * i]);
    uv[2 * i + 1] = toV(mapped.keypoints[2 * i + 1]);
  }
  if (input.gmm) {
    const packed = packGmm(input.gmm, poses, w, h, toU, toV);
    // No confidences beside a mixture: the lifter reads the ones its widths imply.
    return { poses, uv, confidence: mapped.confidence ?? mixtureConfidence(input.gmm, mapped.keypoints), ...packed };
  }
  const gmm = new Float32Array(poses * J * GMM_STRIDE);
  for (let i = 0; i < poses * J; i++) {
    const s = sigmaFromConfidence(mapped.confidence ? mapped.confidence[i] : 1);
    gmm.set([1, uv[2 * i], uv[2 * i + 1], s, s], i * GMM_STRIDE);
  }
  return { poses, uv, components: 1, gmm, confidence: mapped.confidence };
}

function packGmm(
  g: GmmInput,
  poses: number,
  w: number,
  h: number,
  toU: (x: number) => number,
  toV: (y: number) => number,
): { components: number; gmm: Float32Array } {
  const K = g.components;
  if (!Number.isInteger(K) || K < 1 || K > MAX_COMPONENTS)
    throw new InputError(`gmm.components must be an integer in [1, ${MAX_COMPONENTS}], got ${K}`);
  const J = NUM_JOINTS;
  checkArray(g.weights, 'gmm.weights', poses * J * K);
  checkArray(g.means, 'gmm.means', poses * J * K * 2);
  checkArray(g.sigmas, 'gmm.sigmas', poses * J * K * 2);
  checkNearImage(g.means, 'gmm.means', w, h);
  const out = new Float32Array(poses * J * K * GMM_STRIDE);
  for (let i = 0; i < poses * J; i++) {
    let total = 0;
    for (let k = 0; k < K; k++) {
      const wgt = g.weights[i * K + k];
      if (wgt < 0) throw new InputError(`gmm.weights[${i * K + k}] = ${wgt} is negative`);
      total += wgt;
    }
    if (!(total > 0)) throw new InputError(`gmm.weights of pose ${Math.floor(i / J)} joint ${i % J} sum to 0`);
    for (let k = 0; k < K; k++) {
      const c = i * K + k;
      const su = g.sigmas[2 * c],
        sv = g.sigmas[2 * c + 1];
      if (!(su >= MIN_SIGMA_PIXELS && sv >= MIN_SIGMA_PIXELS))
        throw new InputError(
          `gmm.sigmas[${2 * c}..${2 * c + 1}] must be at least ${MIN_SIGMA_PIXELS} px (no detector knows a joint that precisely: are these pixels?), got ${su}, ${sv}`,
        );
      if (!(su <= MAX_OUTSIDE_IMAGE * w && sv <= MAX_OUTSIDE_IMAGE * h))
        throw new InputError(
          `gmm.sigmas[${2 * c}..${2 * c + 1}] = ${su}, ${sv} are wider than ${MAX_OUTSIDE_IMAGE} image sizes (${w}x${h}): is imageSize right, and are these pixels?`,
        );
      out.set(
        [g.weights[c] / total, toU(g.means[2 * c]), toV(g.means[2 * c + 1]), (su * 2) / w, (sv * 2) / w],
        c * GMM_STRIDE,
      );
    }
  }
  return { components: K, gmm: out };
}

/** gmmKeypoints of a caller's mixture, once its arrays have the shapes packGmm needs (it checks the values). */
export function keypointsOfGmm(g: GmmInput): Float32Array {
  const K = g.components;
  if (typeof g !== 'object' || g === null || !Number.isInteger(K) || K < 1 || K > MAX_COMPONENTS)
    throw new InputError(`gmm.components must be an integer in [1, ${MAX_COMPONENTS}], got ${K}`);
  const n = g.weights instanceof Float32Array ? g.weights.length : -1;
  if (n <= 0 || n % (NUM_JOINTS * K) !== 0)
    throw new InputError(
      `gmm.weights must be a Float32Array of N x 17 x ${K} values (keypoints left out: N from the mixture)`,
    );
  checkArray(g.means, 'gmm.means', n * 2);
  return gmmKeypoints(g);
}
