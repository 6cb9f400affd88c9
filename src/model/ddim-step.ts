import type { DdimCoefficients } from './diffusion.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { normals4, philox4x32, RNG_STREAM } from './philox.js';

export interface DdimStepArgs {
  poses: number;
  hypotheses: number;
  coef: DdimCoefficients;
  /** Position of this step in the schedule (selects its RNG streams). */
  stepIndex: number;
  key: readonly [number, number];
  poseOffset: number;
}

/** One DDIM update of x [poses*hypotheses, 17, 5] given the predicted noise eps (same shape). */
export function ddimStepRef(x: Float32Array, eps: Float32Array, a: DdimStepArgs): Float32Array {
  const J = NUM_JOINTS;
  const { sqrtA, sqrtOneMinusA, sqrtANext, c1, c2 } = a.coef;
  const out = new Float32Array(x.length);
  for (let n = 0; n < a.poses; n++) {
    for (let h = 0; h < a.hypotheses; h++) {
      for (let j = 0; j < J; j++) {
        const o = ((n * a.hypotheses + h) * J + j) * 5;
        let z = [0, 0, 0, 0, 0];
        if (c1 > 0) {
          const counter = a.poseOffset + n;
          const z0 = normals4(philox4x32([counter, h, j, RNG_STREAM.ddimBase + 2 * a.stepIndex], a.key));
          const z1 = normals4(philox4x32([counter, h, j, RNG_STREAM.ddimBase + 2 * a.stepIndex + 1], a.key));
          z = [z0[0], z0[1], z0[2], z0[3], z1[0]];
        }
        for (let c = 0; c < 5; c++) {
          const x0 = (x[o + c] - sqrtOneMinusA * eps[o + c]) / sqrtA;
          out[o + c] = sqrtANext * x0 + c1 * z[c] + c2 * eps[o + c];
        }
      }
    }
  }
  return out;
}
