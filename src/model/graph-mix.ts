import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * Mixes joints with P fixed 17x17 matrices: x [B, 17, C] -> y [B, 17, P*C] with
 * y[b, i, p*C + c] = sum_j M_p[i, j] x[b, j, c]. A ChebConv is this with the three Chebyshev
 * matrices followed by a linear layer whose [3, in, out] weight is read as [3*in, out];
 * the LAM graph conv is this with P = 1 and Lhat.
 */
export function graphMixRef(
  x: Float32Array,
  batch: number,
  channels: number,
  mats: Float32Array,
  p: number,
): Float32Array {
  const J = NUM_JOINTS;
  const y = new Float32Array(batch * J * p * channels);
  for (let b = 0; b < batch; b++) {
    for (let m = 0; m < p; m++) {
      for (let i = 0; i < J; i++) {
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let j = 0; j < J; j++) acc += mats[(m * J + i) * J + j] * x[(b * J + j) * channels + c];
          y[(b * J + i) * p * channels + m * channels + c] = acc;
        }
      }
    }
  }
  return y;
}
