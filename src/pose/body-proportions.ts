import type { Rng } from './rng.js';
import { H36M_BONES } from './skeleton.js';

/**
 * Bone groups (indices into H36M_BONES) and their +- range: hip widths, thighs, shins, spine,
 * neck/head, shoulder widths, upper arms, forearms. The ranges of the robust training recipe
 * (train/video.py body_proportions): people from other studios and populations differ from the
 * mocap subjects by about this much.
 */
const BONE_GROUPS: ReadonlyArray<readonly [readonly number[], number]> = [
  [[0, 3], 0.15],
  [[1, 4], 0.12],
  [[2, 5], 0.12],
  [[6, 7], 0.12],
  [[8, 9], 0.12],
  [[10, 13], 0.15],
  [[11, 14], 0.12],
  [[12, 15], 0.12],
];

/** One person's proportions: a length factor per bone (H36M_BONES), 1 +- its group's range, left and right alike up to 2%. */
export function proportionFactors(rng: Rng): Float64Array {
  const factor = new Float64Array(H36M_BONES.length).fill(1);
  for (const [bones, range] of BONE_GROUPS) {
    const g = rng.uniformIn(1 - range, 1 + range);
    for (const b of bones) factor[b] = g * Math.exp(rng.normal(0, 0.02));
  }
  return factor;
}

/**
 * A pose [17, 3] with its bones scaled by `factor` (proportionFactors) by forward kinematics from
 * the pelvis, which stays where it was. A new array; `pose` is not changed.
 */
export function withProportions(pose: ArrayLike<number>, factor: Float64Array): Float32Array {
  const out = Float32Array.from(pose);
  // H36M_BONES is in topological order: each parent is placed before its children.
  H36M_BONES.forEach(([parent, child], b) => {
    for (let c = 0; c < 3; c++)
      out[child * 3 + c] = out[parent * 3 + c] + factor[b] * (pose[child * 3 + c] - pose[parent * 3 + c]);
  });
  return out;
}

/** A pose [17, 3] as another person's would be: withProportions of a new draw. */
export function varyProportions(pose: ArrayLike<number>, rng: Rng): Float32Array {
  return withProportions(pose, proportionFactors(rng));
}
