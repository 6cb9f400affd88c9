import { NUM_JOINTS } from '../pose/skeleton.js';

/** Takes channels [offset, offset+3) of x [rows, 17, C] and subtracts joint 0: -> [rows, 17, 3]. */
export function rootCenterRef(x: Float32Array, rows: number, channels: number, offset: number): Float32Array {
  const J = NUM_JOINTS;
  const out = new Float32Array(rows * J * 3);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < J; j++) {
      for (let c = 0; c < 3; c++) {
        out[(r * J + j) * 3 + c] = x[(r * J + j) * channels + offset + c] - x[r * J * channels + offset + c];
      }
    }
  }
  return out;
}
