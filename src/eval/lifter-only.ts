import { rootCenterRef } from '../model/root-center.js';
import { runNetworkRef } from '../model/reference-network.js';
import type { ModelWeights } from '../model/weights.js';
import { prepareInput } from '../pose/input.js';

/** Poses per network call: bounds the CPU reference's intermediate activations. */
const CHUNK = 256;

/**
 * The lifter (GCNpose) alone, without the diffusion refinement: the xyz the denoiser starts
 * from, root-centred exactly as the pipeline does. DiffPose's public API has no lifter-only
 * mode, so this runs the CPU reference network (the ground truth the GPU executors are tested
 * against). Keypoints are h36m17 pixels [N, 17, 2]; returns [N, 17, 3] metres.
 */
export function liftWithLifterOnly(
  weights: ModelWeights,
  keypoints: Float32Array,
  imageSize: readonly [number, number],
): Float32Array {
  const { uv, poses } = prepareInput({ keypoints, imageSize });
  const out = new Float32Array(poses * 17 * 3);
  for (let start = 0; start < poses; start += CHUNK) {
    const n = Math.min(CHUNK, poses - start);
    const raw = runNetworkRef(weights.lifter, uv.subarray(start * 34, (start + n) * 34), n);
    out.set(rootCenterRef(raw, n, 3, 0), start * 51);
  }
  return out;
}
