import { NUM_JOINTS } from '../pose/skeleton.js';
import type { SequenceInfo } from './sequence-batch.js';

/**
 * What one chunk of a v2 sequence lift (docs/temporal-model.md §12.3) denoises besides its
 * outputs: poses [first, first + count) — the chunk's outputs [start, start + n) and the output
 * average's reach, `pad` (before, after) poses — and each output's track as the first and last of
 * those poses (its neighbours clamp to it). Needs a batch whose poses are its frames in order
 * (trackSequence's: each pose's own frame is its index).
 */
export function fuseRegion(
  info: SequenceInfo,
  pad: readonly [number, number],
  poses: number,
  start: number,
  n: number,
): { first: number; count: number; bounds: Array<[number, number]> } {
  const first = Math.max(0, start - pad[0]),
    end = Math.min(poses, start + n + pad[1]);
  const bounds: Array<[number, number]> = [];
  for (let p = start; p < start + n; p++) {
    const [lo, hi, t] = info.windows.subarray(4 * p, 4 * p + 3);
    if (info.ring !== 0 || t !== p) throw new Error('an output average needs the poses of a sequence in frame order');
    bounds.push([Math.max(lo, first) - first, Math.min(hi, end - 1) - first]);
  }
  return { first, count: end - first, bounds };
}

/** The (u, v) [end - first, 17, 2] of frames [first, end) of a sequence's frames [F, 17, 3]. */
export function framesUv(frames: Float32Array, first: number, end: number): Float32Array<ArrayBuffer> {
  const uv = new Float32Array((end - first) * NUM_JOINTS * 2);
  for (let i = 0; i < (end - first) * NUM_JOINTS; i++) {
    uv[2 * i] = frames[(first * NUM_JOINTS + i) * 3];
    uv[2 * i + 1] = frames[(first * NUM_JOINTS + i) * 3 + 1];
  }
  return uv;
}

/** The confidences [F, 17] of frames [first, end) of `frames` [*, 17, 3] (u, v, c). */
export function framesConfidence(frames: Float32Array, first: number, end: number): Float32Array<ArrayBuffer> {
  const c = new Float32Array((end - first) * NUM_JOINTS);
  for (let i = 0; i < c.length; i++) c[i] = frames[(first * NUM_JOINTS + i) * 3 + 2];
  return c;
}
