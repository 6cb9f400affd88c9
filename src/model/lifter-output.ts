import { NUM_JOINTS } from '../pose/skeleton.js';
import { rootCenterRef } from './root-center.js';

/** What the lifter says about each pose: where the joints are and, for a 4-output lifter, how sure it is. */
export interface LifterOutput {
  /** [rows, 17, 3] metres, root-centred. */
  xyz: Float32Array;
  /**
   * [rows, 17] metres: the lifter's own estimate of each joint's error per axis (exp of its 4th
   * output channel, trained by a Gaussian NLL of its root-relative error); absent for a 3-output lifter.
   */
  sigma?: Float32Array;
}

/** Splits a lifter's raw output [rows, 17, channels] (channels 3 or 4) as the GPU paths do. */
export function splitLifterOutput(raw: Float32Array, rows: number, channels: number): LifterOutput {
  const xyz = rootCenterRef(raw, rows, channels, 0);
  if (channels < 4) return { xyz };
  const sigma = new Float32Array(rows * NUM_JOINTS);
  for (let i = 0; i < sigma.length; i++) sigma[i] = Math.exp(raw[i * channels + 3]);
  return { xyz, sigma };
}
