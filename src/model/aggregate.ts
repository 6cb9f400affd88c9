import { NUM_JOINTS } from '../pose/skeleton.js';

export interface Aggregated {
  /** [poses, 17, 3]: mean over hypotheses of the root-centred xyz. */
  mean: Float32Array;
  /** [poses, 17]: sqrt(mean_h |x_h - mean|^2), the RMS 3D distance of the hypotheses from their mean. */
  spread: Float32Array;
  /** [poses, hypotheses, 17, 3]: every hypothesis, root-centred. */
  samples: Float32Array;
  /** [poses, 3]: the root fitted to the 2D on the GPU (fused plans with RunSettings.camera); NaN where none. */
  root?: Float32Array;
  /** [poses, 17]: radius90 from the aggregation dispatch (fused plans of calibrated weights). */
  radius90?: Float32Array;
  /** [poses, 17] metres: a 4-output lifter's own error estimate (LifterOutput.sigma). */
  sigma?: Float32Array;
}

/** Aggregates x [poses*hypotheses, 17, 5] (xyz in channels 2..4) over hypotheses. */
export function aggregateRef(x: Float32Array, poses: number, hypotheses: number): Aggregated {
  const J = NUM_JOINTS;
  const mean = new Float32Array(poses * J * 3);
  const spread = new Float32Array(poses * J);
  const samples = new Float32Array(poses * hypotheses * J * 3);
  for (let n = 0; n < poses; n++) {
    for (let h = 0; h < hypotheses; h++) {
      const r = n * hypotheses + h;
      for (let j = 0; j < J; j++) {
        for (let c = 0; c < 3; c++) {
          const v = x[(r * J + j) * 5 + 2 + c] - x[r * J * 5 + 2 + c];
          samples[(r * J + j) * 3 + c] = v;
        }
      }
    }
    for (let j = 0; j < J; j++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let h = 0; h < hypotheses; h++) s += samples[((n * hypotheses + h) * J + j) * 3 + c];
        mean[(n * J + j) * 3 + c] = s / hypotheses;
      }
      let sq = 0;
      for (let h = 0; h < hypotheses; h++) {
        for (let c = 0; c < 3; c++) {
          const d = samples[((n * hypotheses + h) * J + j) * 3 + c] - mean[(n * J + j) * 3 + c];
          sq += d * d;
        }
      }
      spread[n * J + j] = Math.sqrt(sq / hypotheses);
    }
  }
  return { mean, spread, samples };
}
