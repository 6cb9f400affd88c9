import { InputError } from '../errors.js';
import type { LiftResult } from '../diffpose.js';
import { pickPoses } from '../lift-result-rows.js';

/**
 * The frame rate the temporal weights read best: they were trained on 20-60 fps and lose their
 * edge below it (docs/temporal-model.md §18: at 15 fps the causal window is 1.05x the frame
 * model's MPJPE, against 0.97x at 30).
 */
export const TEMPORAL_FPS = 30;
/** The most frames a low rate is upsampled to per real frame (5 fps and below: 6x). */
export const MAX_UPSAMPLE = 6;

/**
 * How many frames the temporal model reads per real frame at `fps`: round(30 / fps), so 15 fps
 * reads as 30 (each real frame after an interpolated one) and 20 fps as 40; above 20 fps, 1.
 * Measured (§18): upsampling 15 fps 2x takes the offline window from 58.8 to 55.8 mm and the
 * causal one from 63.5 to 59.6 (frame model 60.7); 20 fps: 58.7 -> 57.9 and 63.3 -> 61.2 (62.6).
 */
export function upsampleFactor(fps: number | undefined): number {
  if (fps === undefined) return 1;
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0)
    throw new InputError(`fps must be a positive number (the frames' rate), got ${String(fps)}`);
  return Math.min(MAX_UPSAMPLE, Math.max(1, Math.round(TEMPORAL_FPS / fps)));
}

/**
 * A track's frames with f - 1 interpolated between each two: keypoints [T, K, 2] linearly,
 * confidences [T, K] as the lower of the two frames' (a dropped joint's placeholder must not gain
 * confidence half-way to a detected one). (T - 1) f + 1 frames, the real ones at multiples of f.
 * Frame k f + i depends only on frames k and k + 1, so a stream that keeps each track's previous
 * frame makes the same frames a whole sequence does.
 */
export function upsampleTrack(
  keypoints: Float32Array,
  confidence: Float32Array | undefined,
  K: number,
  f: number,
): { keypoints: Float32Array; confidence?: Float32Array } {
  const T = keypoints.length / (2 * K);
  if (f === 1 || T <= 1) return { keypoints, confidence };
  const n = (T - 1) * f + 1;
  const kp = new Float32Array(n * 2 * K);
  const conf = confidence && new Float32Array(n * K);
  for (let t = 0; t < T - 1; t++)
    for (let i = 0; i < f; i++) {
      const at = t * f + i;
      kp.set(betweenPoints(keypoints, t, 2 * K, i / f), at * 2 * K);
      if (confidence && conf)
        conf.set(i === 0 ? confidence.subarray(t * K, (t + 1) * K) : lowerOf(confidence, t, K), at * K);
    }
  kp.set(keypoints.subarray((T - 1) * 2 * K), (n - 1) * 2 * K);
  if (confidence && conf) conf.set(confidence.subarray((T - 1) * K), (n - 1) * K);
  return { keypoints: kp, confidence: conf };
}

/** Row t of `a` [T, width] moved fraction w of the way to row t + 1. */
function betweenPoints(a: Float32Array, t: number, width: number, w: number): Float32Array {
  const from = a.subarray(t * width, (t + 1) * width),
    to = a.subarray((t + 1) * width, (t + 2) * width);
  return w === 0 ? from : Float32Array.from(from, (v, k) => v + w * (to[k] - v));
}

/** Per column, the lower of rows t and t + 1 of `a` [T, width]. */
function lowerOf(a: Float32Array, t: number, width: number): Float32Array {
  const from = a.subarray(t * width, (t + 1) * width);
  return Float32Array.from(from, (v, k) => Math.min(v, a[(t + 1) * width + k]));
}

/** The poses of `r` at rows 0, f, 2 f, ... (a sequence lifted upsampled, back at its real frames). */
export function everyNthPose(r: LiftResult, f: number): LiftResult {
  return f === 1 ? r : pickPoses(r, Math.ceil(r.poses.length / 51 / f), (i) => i * f);
}
