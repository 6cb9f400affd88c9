import type { Bvh, BvhSkeleton } from './bvh.js';
import { DEG, rightMultiplyAxis, setIdentity } from './rotation.js';

/**
 * Forward kinematics of a BVH skeleton: world position of every joint origin and end site,
 * in file units.
 *
 * Conventions (the common reading of BVH, as in Biovision's and Blender's readers):
 * - A joint's local transform is `T(offset + position channels) * R`, where R is the product of
 *   its rotation channels in the order they are listed, left to right (for
 *   `Zrotation Xrotation Yrotation`, R = Rz * Rx * Ry: Y acts on the vector first).
 * - World = parent world * local; the root's parent is the identity.
 *
 * `skeleton` may be `bvh.skeleton` with extra end sites (see `withEndSite`).
 * Returns `frames * joints * 3` values, frame-major, joints in `skeleton.joints` order.
 */
export function bvhWorldPositions(bvh: Bvh, skeleton: BvhSkeleton = bvh.skeleton): Float64Array {
  const J = skeleton.joints.length;
  const out = new Float64Array(bvh.frameCount * J * 3);
  const rot = new Float64Array(J * 9);
  const local = new Float64Array(9);
  for (let f = 0; f < bvh.frameCount; f++) {
    const base = f * bvh.skeleton.channelsPerFrame;
    for (let j = 0; j < J; j++) {
      const joint = skeleton.joints[j];
      let tx = joint.offset[0],
        ty = joint.offset[1],
        tz = joint.offset[2];
      setIdentity(local);
      for (let c = 0; c < joint.channels.length; c++) {
        const v = bvh.values[base + joint.channelStart + c];
        switch (joint.channels[c]) {
          case 'Xposition':
            tx += v;
            break;
          case 'Yposition':
            ty += v;
            break;
          case 'Zposition':
            tz += v;
            break;
          case 'Xrotation':
            rightMultiplyAxis(local, 'x', v * DEG);
            break;
          case 'Yrotation':
            rightMultiplyAxis(local, 'y', v * DEG);
            break;
          case 'Zrotation':
            rightMultiplyAxis(local, 'z', v * DEG);
            break;
        }
      }
      const o = (f * J + j) * 3;
      if (joint.parent < 0) {
        out[o] = tx;
        out[o + 1] = ty;
        out[o + 2] = tz;
        rot.set(local, j * 9);
        continue;
      }
      const p = joint.parent * 9;
      const po = (f * J + joint.parent) * 3;
      out[o] = out[po] + rot[p] * tx + rot[p + 1] * ty + rot[p + 2] * tz;
      out[o + 1] = out[po + 1] + rot[p + 3] * tx + rot[p + 4] * ty + rot[p + 5] * tz;
      out[o + 2] = out[po + 2] + rot[p + 6] * tx + rot[p + 7] * ty + rot[p + 8] * tz;
      for (let r = 0; r < 3; r++) {
        const a0 = rot[p + r * 3],
          a1 = rot[p + r * 3 + 1],
          a2 = rot[p + r * 3 + 2];
        for (let c = 0; c < 3; c++) rot[j * 9 + r * 3 + c] = a0 * local[c] + a1 * local[3 + c] + a2 * local[6 + c];
      }
    }
  }
  return out;
}

/** Positions with every channel zero: the skeleton's rest pose, in file units. */
export function bvhRestPositions(skeleton: BvhSkeleton): Float64Array {
  const rest = { skeleton, frameCount: 1, frameTime: 1, values: new Float64Array(skeleton.channelsPerFrame) };
  return bvhWorldPositions(rest);
}
