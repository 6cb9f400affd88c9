import { splitLifterOutput } from '../model/lifter-output.js';
import { lifterInput } from '../model/lifter-input.js';
import { runNetworkRef } from '../model/reference-network.js';
import type { ModelWeights } from '../model/weights.js';
import { prepareInput } from '../pose/input.js';

/** Poses per network call: bounds the CPU reference's intermediate activations. */
const CHUNK = 256;

/**
 * The lifter (GCNpose) alone, without the diffusion refinement: the xyz the denoiser starts
 * from, root-centred exactly as the pipeline does. DiffPose's public API has no lifter-only
 * mode, so this runs the CPU reference network (the ground truth the GPU executors are tested
 * against). Keypoints are h36m17 pixels [N, 17, 2], confidence [N, 17]; returns [N, 17, 3] metres.
 */
export function liftWithLifterOnly(
  weights: ModelWeights,
  keypoints: Float32Array,
  imageSize: readonly [number, number],
  confidence?: Float32Array,
): Float32Array {
  const { uv, poses, confidence: c } = prepareInput({ keypoints, imageSize, confidence });
  const { coordsIn, coordsOut } = weights.lifter.config;
  const out = new Float32Array(poses * 17 * 3);
  for (let start = 0; start < poses; start += CHUNK) {
    const n = Math.min(CHUNK, poses - start);
    const input = lifterInput(coordsIn, uv.subarray(start * 34), c?.subarray(start * 17), n);
    const raw = runNetworkRef(weights.lifter, input, n);
    out.set(splitLifterOutput(raw, n, coordsOut).xyz, start * 51);
  }
  return out;
}
