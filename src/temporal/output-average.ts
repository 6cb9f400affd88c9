import { NUM_JOINTS } from '../pose/skeleton.js';
import type { SequenceInfo } from './sequence-batch.js';
import type { EncoderParams } from './temporal-weights.js';

const J = NUM_JOINTS;

/**
 * v2's output average on the CPU (docs/temporal-model.md §12.1 step 5): per pose with window
 * (lo, hi, t), out[j] = sum_k fuse[k][j] * mean of the pose of frame clamp(t - fuse.pad[0] + k, lo, hi),
 * the neighbours' hypothesis means (clamped to the track: the edge frame's denoised pose
 * repeats). Every frame an output reads must be a pose of the batch (a whole track, or a chunk
 * with its margins); a frame's pose is the one whose window has it as its own frame. A stream's
 * batch (a ring) reads the earlier means from its denoised ring, after writing its own there.
 */
export function outputAverageRef(
  encoder: EncoderParams,
  info: SequenceInfo,
  mean: Float32Array,
  poses: number,
): Float32Array {
  const fuse = encoder.fuse!,
    V = encoder.config.fuse!.window,
    before = encoder.config.fuse!.pad[0];
  // Where the mean of the pose of a frame is: `source` at `row`.
  let at: (p: number, frame: number) => { source: Float32Array; row: number } | undefined;
  if (info.ring !== 0) {
    const ring = info.denoisedRing;
    if (!ring) throw new Error('the output average of a stream batch needs its denoised ring');
    for (let p = 0; p < poses; p++) {
      const row = ring.bases[p] + (info.windows[4 * p + 2] % V);
      ring.means.set(mean.subarray(p * J * 3, (p + 1) * J * 3), row * J * 3);
    }
    at = (p, frame) => ({ source: ring.means, row: ring.bases[p] + (frame % V) });
  } else {
    const poseOf = new Map<number, number>();
    for (let p = 0; p < poses; p++) poseOf.set(info.windows[4 * p + 2], p);
    at = (_, frame) => {
      const q = poseOf.get(frame);
      return q === undefined ? undefined : { source: mean, row: q };
    };
  }
  const out = new Float32Array(poses * J * 3);
  for (let p = 0; p < poses; p++) {
    const [lo, hi, t] = info.windows.subarray(4 * p, 4 * p + 3);
    const taps: Array<{ source: Float32Array; row: number }> = [];
    for (let k = 0; k < V; k++) {
      const frame = Math.min(Math.max(t - before + k, lo), hi);
      const tap = at(p, frame);
      if (!tap) throw new Error(`the output average of frame ${t} reads frame ${frame}, not in the batch`);
      taps.push(tap);
    }
    for (let j = 0; j < J; j++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < V; k++) acc += fuse[k * J + j] * taps[k].source[(taps[k].row * J + j) * 3 + c];
        out[(p * J + j) * 3 + c] = acc;
      }
    }
  }
  return out;
}
