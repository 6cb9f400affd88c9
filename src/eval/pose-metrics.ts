import { NUM_JOINTS } from '../pose/skeleton.js';
import { procrustesAligned } from './procrustes.js';

/**
 * Pose errors in the units of the input (the evaluator converts metres to mm for display).
 * Poses are flat [N, 17, 3]; every function works pose by pose so that results can be
 * grouped afterwards (per source, per method).
 */
/** The 17 Human3.6M joints (src/pose/skeleton.ts). */
export const JOINTS = NUM_JOINTS;

/** Flat [N, 17, 3] poses. */
export type Poses = Float32Array | Float64Array;

/** Euclidean distance per joint: [N, 17]. */
export function jointErrors(pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const n = target.length / 3;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.hypot(
      pred[i * 3] - target[i * 3],
      pred[i * 3 + 1] - target[i * 3 + 1],
      pred[i * 3 + 2] - target[i * 3 + 2],
    );
  }
  return out;
}

/** MPJPE of each pose (mean joint distance, root included as is the convention): [N]. */
export function mpjpePerPose(pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  return meanPerPose(jointErrors(pred, target));
}

/** P-MPJPE of each pose: MPJPE after the best similarity alignment of the prediction: [N]. */
export function pMpjpePerPose(pred: Poses, target: Poses): Float64Array {
  const n = target.length / (JOINTS * 3);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = pred.subarray(i * JOINTS * 3, (i + 1) * JOINTS * 3);
    const t = target.subarray(i * JOINTS * 3, (i + 1) * JOINTS * 3);
    out[i] = mean(jointErrors(procrustesAligned(p, t), t));
  }
  return out;
}

export function meanPerPose(perJoint: Float64Array): Float64Array {
  const n = perJoint.length / JOINTS;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mean(perJoint.subarray(i * JOINTS, (i + 1) * JOINTS));
  return out;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a),
    mb = mean(b);
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] - ma,
      y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}
