import { fitRoot, type UvCamera } from './root-trajectory.js';
import { NUM_JOINTS } from './skeleton.js';

const J = NUM_JOINTS;

/**
 * Joint-wise reprojection aggregation (D3DP's JPMA): per pose, the root is fitted to the mean
 * pose; then per joint the hypothesis whose joint, placed at that root, reprojects nearest the
 * input 2D is kept. Joints with zero weight keep the mean. samples [N, H, 17, 3] root-relative,
 * mean [N, 17, 3], uv [N, 17, 2], weights [N, 17] -> [N, 17, 3].
 */
export function reprojectionAggregate(
  samples: Float32Array,
  mean: Float32Array,
  uv: Float32Array,
  weights: Float32Array,
  count: number,
  hypotheses: number,
  cam: UvCamera,
): Float32Array {
  const out = Float32Array.from(mean);
  const f = cam.focal,
    [cu, cv] = cam.center;
  for (let i = 0; i < count; i++) {
    const root = fitRoot(
      mean.subarray(i * J * 3, (i + 1) * J * 3),
      uv.subarray(i * J * 2, (i + 1) * J * 2),
      weights.subarray(i * J, (i + 1) * J),
      cam,
    );
    if (root.some(Number.isNaN)) continue;
    for (let j = 0; j < J; j++) {
      if (!(weights[i * J + j] > 0)) continue;
      const u = uv[(i * J + j) * 2],
        v = uv[(i * J + j) * 2 + 1];
      let best = Infinity,
        pick = -1;
      for (let h = 0; h < hypotheses; h++) {
        const s = ((i * hypotheses + h) * J + j) * 3;
        const Z = samples[s + 2] + root[2];
        if (!(Z > 1e-6)) continue;
        const du = (f * (samples[s] + root[0])) / Z + cu - u,
          dv = (f * (samples[s + 1] + root[1])) / Z + cv - v;
        const d = du * du + dv * dv;
        if (d < best) {
          best = d;
          pick = s;
        }
      }
      if (pick >= 0) out.set(samples.subarray(pick, pick + 3), (i * J + j) * 3);
    }
  }
  return out;
}
