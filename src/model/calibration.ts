import { WeightsError } from '../errors.js';
import { sigmaFromConfidence } from '../pose/input.js';
import { ROOT_JOINTS } from '../pose/root-visibility.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { GMM_STRIDE } from './gmm-init.js';

/**
 * Calibrated per-joint error radii (issue 18): radius90 = the distance from the returned joint
 * within which the true joint lies with probability 0.9, from the hypotheses' spread, the joint
 * and its 2D confidence. A joint's band is that of the lower of its own confidence and its pose's
 * pelvis' and hips' (bandConfidence): every joint is returned relative to the pelvis, so a sure
 * shoulder of a pose whose hips are out of the picture is placed from a guessed pelvis (about twice
 * the error: docs/temporal-model.md §19). Per joint j and band b:
 *   H >= 2:  radius90 = offset[j][b] + scale[j][b] * spread
 *   H = 1:   radius90 = sigmaScale[j][b] * sigma    (weights whose lifter predicts its error)
 *            radius90 = single[j][b]                (otherwise: the joint and its confidence alone)
 * fitted on a validation set from the training mocap (never the test split) as the sharpest
 * line with 90% of the errors under it (fitCalibration), and stored in the weights file's
 * metadata under "diffpose.calibration" (JSON of this interface).
 */
export interface Calibration {
  /** Upper edges of the confidence bands but the last: [0.5, 0.8] makes c < 0.5, 0.5-0.8, >= 0.8. */
  bands: number[];
  /** [17][bands + 1] metres. */
  offset: number[][];
  /** [17][bands + 1], unitless. */
  scale: number[][];
  /** [17][bands + 1] metres: H = 1. */
  single: number[][];
  /** [17][bands + 1], unitless: H = 1 with the lifter's sigma (LiftResult.sigma), in place of `single`. */
  sigmaScale?: number[][];
  /** How it was fitted (free text). */
  fitted: string;
}

export const CALIBRATION_KEY = 'diffpose.calibration';
/**
 * A temporal file's causal window's own calibration (its errors and spreads differ from the
 * offline window's); without it the causal window uses CALIBRATION_KEY's.
 */
export const CAUSAL_CALIBRATION_KEY = 'diffpose.calibration.causal';
const J = NUM_JOINTS;

export function confidenceBand(bands: readonly number[], c: number): number {
  let b = 0;
  while (b < bands.length && c >= bands[b]) b++;
  return b;
}

/** At most this many confidence bands (bands.length + 1): the aggregation kernel's table holds this many per joint. */
export const MAX_CALIBRATION_BANDS = 9;

/**
 * The confidence that picks each joint's band [N, 17]: the lower of its own and its pose's pelvis'
 * and hips' (ROOT_JOINTS), whose 2D places the root every joint is measured from.
 */
export function bandConfidence(confidence: ArrayLike<number>, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const pose = i - (i % J);
    let c = confidence[i];
    for (const r of ROOT_JOINTS) c = Math.min(c, confidence[pose + r]);
    out[i] = c;
  }
  return out;
}

/**
 * The band of each joint [N, 17] from the input confidences (undefined: all 1), by bandConfidence:
 * how the calibration is fitted and checked.
 */
export function confidenceBands(
  cal: Pick<Calibration, 'bands'>,
  confidence: ArrayLike<number> | undefined,
  count: number,
): Uint8Array {
  const c = confidence ? bandConfidence(confidence, count) : undefined;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = confidenceBand(cal.bands, c ? c[i] : 1);
  return out;
}

/**
 * The band edges as variances of a joint's 2D mixture (uv units squared), decreasing: a joint
 * whose mixture variance is <= edge b is at least as confident as band edge b. The std of a
 * mixture made from a confidence c is sigmaFromConfidence(c), stored as f32; its variance
 * (s^2 + s^2) / 2 is then exactly f32(s * s), so a mixture from a confidence falls in that
 * confidence's band, edges included.
 */
export function varianceEdges(cal: Calibration): Float32Array {
  return Float32Array.from(cal.bands, (c) => {
    const s = Math.fround(sigmaFromConfidence(c));
    return Math.fround(s * s);
  });
}

/**
 * The mean per-axis variance of joint i's mixture in a packed gmm [N, 17, K, GMM_STRIDE], in f32
 * the way the aggregation kernel sums it (weight * (su^2 + sv^2) / 2 per component).
 */
export function mixtureVariance(gmm: Float32Array, components: number, i: number): number {
  const f = Math.fround;
  let variance = 0;
  for (let k = 0; k < components; k++) {
    const g = (i * components + k) * GMM_STRIDE;
    const axes = f(f(gmm[g + 3] * gmm[g + 3]) + f(gmm[g + 4] * gmm[g + 4]));
    variance = f(variance + f(f(gmm[g] * axes) / 2));
  }
  return variance;
}

/**
 * The band of each joint [N, 17] from the width of its 2D mixture (what the model was given), the
 * widest of its own and its pose's pelvis' and hips': the engine's rule, on the GPU in the
 * aggregation dispatch (shaders/aggregate.wgsl) and here for the CPU and per-op executors. For
 * mixtures made from confidences it is confidenceBands' band; a caller's mixture is banded by its
 * width as if it came from a confidence.
 */
export function mixtureBands(cal: Calibration, gmm: Float32Array, components: number, count: number): Uint8Array {
  const edges = varianceEdges(cal);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const pose = i - (i % J);
    let v = mixtureVariance(gmm, components, i);
    for (const r of ROOT_JOINTS) v = Math.max(v, mixtureVariance(gmm, components, pose + r));
    let b = 0;
    while (b < edges.length && v <= edges[b]) b++;
    out[i] = b;
  }
  return out;
}

/**
 * radius90 [N, 17] from the spread [N, 17] (zeros with H = 1), each joint's band [N, 17] and, for
 * a lifter that predicts its error, its sigma [N, 17].
 */
export function radius90(
  cal: Calibration,
  spread: Float32Array,
  bands: Uint8Array,
  hypotheses: number,
  sigma?: Float32Array,
): Float32Array {
  const out = new Float32Array(spread.length);
  for (let i = 0; i < spread.length; i++) {
    const j = i % J,
      b = bands[i];
    if (hypotheses > 1) out[i] = cal.offset[j][b] + cal.scale[j][b] * spread[i];
    else out[i] = cal.sigmaScale && sigma ? Math.fround(cal.sigmaScale[j][b] * sigma[i]) : cal.single[j][b];
  }
  return out;
}

/** The calibration a weights file's metadata carries, checked; undefined when it has none. */
export function calibrationOf(metadata: Record<string, string>, key = CALIBRATION_KEY): Calibration | undefined {
  const json = metadata[key];
  return json === undefined ? undefined : parseCalibration(json, key);
}

/** Checks the metadata's calibration: shapes, finite non-negative values, increasing bands. */
export function parseCalibration(json: string, key = CALIBRATION_KEY): Calibration {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    throw new WeightsError(`metadata "${key}" is not JSON`);
  }
  const c = o as Partial<Calibration>;
  const fail = (why: string): never => {
    throw new WeightsError(`metadata "${key}": ${why}`);
  };
  if (typeof c !== 'object' || c === null) fail('not an object');
  if (
    !Array.isArray(c.bands) ||
    c.bands.length > MAX_CALIBRATION_BANDS - 1 ||
    !c.bands.every((v, i) => typeof v === 'number' && v > 0 && v < 1 && (i === 0 || v > c.bands![i - 1]))
  )
    fail('bands must be up to 8 increasing numbers in (0, 1)');
  const table = (name: 'offset' | 'scale' | 'single' | 'sigmaScale') => {
    const t = c[name];
    if (
      !Array.isArray(t) ||
      t.length !== J ||
      !t.every(
        (row) =>
          Array.isArray(row) &&
          row.length === c.bands!.length + 1 &&
          row.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0),
      )
    )
      fail(`${name} must be ${J} rows of ${c.bands!.length + 1} finite numbers >= 0`);
    return t as number[][];
  };
  return {
    bands: c.bands!,
    offset: table('offset'),
    scale: table('scale'),
    single: table('single'),
    ...(c.sigmaScale === undefined ? {} : { sigmaScale: table('sigmaScale') }),
    fitted: typeof c.fitted === 'string' ? c.fitted : '',
  };
}

/** The q-quantile of `values` (sorted copy, nearest rank). */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : 0;
}

/** Scales tried for radius = offset + scale * spread. */
const SCALES = Array.from({ length: 33 }, (_, i) => i * 0.125);
/** Cells with fewer samples borrow the joint's fit over every band. */
const MIN_CELL = 40;

/**
 * Fits the calibration on validation lifts: per joint j and band b (bandConfidence), `error`
 * (distance of the returned joint from the truth), `spread` (H >= 2 lift) and `single` (the H = 1
 * lift's error), with `confidence` the 2D confidences [N, 17] of the lifted poses. For each scale s of a grid the offset is the 0.9-quantile
 * of error - s * spread (so exactly 90% of the cell is covered); the scale with the smallest mean
 * radius (the sharpest) wins. With the lifter's `sigma` (of the H = 1 lift), the H = 1 radius is
 * sigmaScale * sigma, sigmaScale the 0.9-quantile of error / sigma.
 */
export function fitCalibration(
  samples: {
    error: Float64Array;
    spread: Float64Array;
    singleError: Float64Array;
    confidence: Float64Array;
    sigma?: Float64Array;
  },
  bands: number[],
  fitted: string,
): Calibration {
  const n = samples.error.length;
  const B = bands.length + 1;
  const cells = Array.from({ length: J * B }, () => [] as number[]);
  const joints = Array.from({ length: J }, () => [] as number[]);
  const banding = bandConfidence(samples.confidence, n);
  for (let i = 0; i < n; i++) {
    const j = i % J;
    cells[j * B + confidenceBand(bands, banding[i])].push(i);
    joints[j].push(i);
  }
  const fitLine = (idx: number[]) => {
    let best = { offset: 0, scale: 0, mean: Infinity };
    for (const s of SCALES) {
      const offset = Math.max(
        0,
        quantile(
          idx.map((i) => samples.error[i] - s * samples.spread[i]),
          0.9,
        ),
      );
      const mean = idx.reduce((m, i) => m + offset + s * samples.spread[i], 0) / Math.max(1, idx.length);
      if (mean < best.mean) best = { offset, scale: s, mean };
    }
    return best;
  };
  const cal: Calibration = { bands, offset: [], scale: [], single: [], fitted };
  const sigma = samples.sigma;
  if (sigma) {
    const ratio = (idx: number[]) =>
      quantile(
        idx.map((i) => samples.singleError[i] / sigma[i]),
        0.9,
      );
    cal.sigmaScale = joints.map((idx, j) => {
      const whole = ratio(idx);
      return Array.from({ length: B }, (_, b) =>
        cells[j * B + b].length >= MIN_CELL ? ratio(cells[j * B + b]) : whole,
      );
    });
  }
  for (let j = 0; j < J; j++) {
    const whole = fitLine(joints[j]);
    const wholeSingle = quantile(
      joints[j].map((i) => samples.singleError[i]),
      0.9,
    );
    cal.offset.push([]);
    cal.scale.push([]);
    cal.single.push([]);
    for (let b = 0; b < B; b++) {
      const idx = cells[j * B + b];
      const line = idx.length >= MIN_CELL ? fitLine(idx) : whole;
      cal.offset[j].push(line.offset);
      cal.scale[j].push(line.scale);
      cal.single[j].push(
        idx.length >= MIN_CELL
          ? quantile(
              idx.map((i) => samples.singleError[i]),
              0.9,
            )
          : wholeSingle,
      );
    }
  }
  return cal;
}
