import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * FiLM (docs/temporal-model.md §4) on x [batch, 17, channels]: y = x (1 + gamma) + beta, with
 * gamma, beta of block `layer` from film [batch, layers, 2, channels], shared by the 17 joints.
 * The CPU op of the program's 'film' op: fma(x, 1 + gamma, beta) as the WGSL computes it (the
 * product of two f32 is exact in a double; one rounding to f32 at the store).
 */
export function filmRef(
  x: Float32Array,
  batch: number,
  channels: number,
  film: Float32Array,
  layer: number,
  layers: number,
): Float32Array {
  const J = NUM_JOINTS;
  const y = new Float32Array(batch * J * channels);
  for (let b = 0; b < batch; b++) {
    const row = (b * layers + layer) * 2 * channels;
    for (let j = 0; j < J; j++) {
      const o = (b * J + j) * channels;
      for (let c = 0; c < channels; c++)
        y[o + c] = x[o + c] * Math.fround(1 + film[row + c]) + film[row + channels + c];
    }
  }
  return y;
}
