import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * The lifter's input rows [n, 17, channels] from normalised uv [n, 17, 2]: the uv itself for a
 * released lifter (2 channels); for a confidence-reading one (3) each joint's (u, v, c), with
 * c = 1 where the input carried no confidence (docs/formats.md: "no confidence" means sure).
 */
export function lifterInput(
  channels: number,
  uv: Float32Array,
  confidence: Float32Array | undefined,
  n: number,
): Float32Array {
  const rows = n * NUM_JOINTS;
  if (channels === 2) return uv.subarray(0, rows * 2);
  if (channels !== 3) throw new Error(`a lifter reads 2 or 3 channels per joint, not ${channels}`);
  const x = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    x[3 * i] = uv[2 * i];
    x[3 * i + 1] = uv[2 * i + 1];
    x[3 * i + 2] = confidence ? confidence[i] : 1;
  }
  return x;
}
