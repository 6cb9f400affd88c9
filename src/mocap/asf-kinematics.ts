import type { AmcMotion } from './amc.js';
import type { AsfSkeleton } from './asf.js';
import type { Axis, Mat3 } from './rotation.js';
import { DEG, eulerMatrix, multiplyInto, rightMultiplyAxis, setIdentity, transpose } from './rotation.js';

/**
 * World positions of the root and of every bone's END, per frame, in ASF length units.
 * Point 0 is the root; point i + 1 is the end of `skeleton.bones[i]`. A bone's start is its
 * parent's end (or the root).
 */
export interface AsfPositions {
  pointNames: string[];
  frameCount: number;
  /** frameCount * pointNames.length * 3, frame-major. */
  positions: Float64Array;
}

/**
 * The standard Acclaim forward kinematics (as in the CMU viewer and the ASF/AMC spec):
 * - `C` = rotation given by a bone's `axis` line: the bone's local frame in the rest pose.
 * - `M` = the bone's AMC rotation for the frame, about the axes of that local frame.
 * - The bone's world rotation is `W = W_parent * C * M * C^-1` (root: `C_root * M_root * C_root^-1`),
 *   and its end is `start + W * direction * length` (`direction` is given in the rest-pose
 *   world frame, which is why it is carried by `W` and not by `C * M`).
 * - An Euler sequence written `X Y Z` (axis line) or `rx ry rz` (dof line, root order) rotates
 *   about X first, then Y, then Z: the matrix is `Rz * Ry * Rx`. The axis line's three angles
 *   go with its letters in order.
 */
export function asfWorldPositions(skeleton: AsfSkeleton, motion: AmcMotion): AsfPositions {
  const angleScale = (deg: boolean): number => (deg ? DEG : 1);
  const rootRotAxes: Axis[] = [];
  const rootRotIdx: number[] = [];
  const rootPosIdx: number[] = [-1, -1, -1];
  skeleton.root.order.forEach((ch, i) => {
    const axis = ch[1] as Axis;
    if (ch[0] === 't') rootPosIdx['xyz'.indexOf(axis)] = i;
    else {
      rootRotAxes.push(axis);
      rootRotIdx.push(i);
    }
  });

  const bones = skeleton.bones;
  const boneIndex = new Map(bones.map((b, i) => [b.name, i]));
  const parentPoint = bones.map((b) => (b.parent === 'root' ? 0 : boneIndex.get(b.parent)! + 1));
  const axisScale = angleScale(skeleton.angleInDegrees);
  const C: Mat3[] = bones.map((b) =>
    sequence(
      b.axisOrder,
      b.axisAngles.map((a) => a * axisScale),
    ),
  );
  const Cinv = C.map(transpose);
  const boneVector = bones.map((b) => b.direction.map((d) => d * b.length));
  const dofAxes = bones.map((b) =>
    b.dof.map((d) => {
      if (d[0] !== 'r') throw new Error(`bone "${b.name}": dof "${d}" is not supported (only rotations)`);
      return d[1] as Axis;
    }),
  );

  const P = bones.length + 1;
  const out = new Float64Array(motion.frameCount * P * 3);
  const world = new Float64Array(P * 9);
  const m = new Float64Array(9),
    cm = new Float64Array(9),
    cmc = new Float64Array(9),
    w = new Float64Array(9);
  const motionScale = angleScale(motion.angleInDegrees);
  for (let f = 0; f < motion.frameCount; f++) {
    const base = f * motion.channelsPerFrame;
    const o = f * P * 3;
    for (let a = 0; a < 3; a++) out[o + a] = rootPosIdx[a] >= 0 ? motion.values[base + rootPosIdx[a]] : 0;
    // The root's `axis` only names its rotation order; `orientation` is zero in CMU and HDM05.
    rotationSequenceInto(m, rootRotAxes, (k) => motion.values[base + rootRotIdx[k]] * motionScale);
    world.set(m, 0);
    for (let i = 0; i < bones.length; i++) {
      const start = motion.channelStart.get(bones[i].name) ?? 0;
      rotationSequenceInto(m, dofAxes[i], (k) => motion.values[base + start + k] * motionScale);
      multiplyInto(cm, C[i], m);
      multiplyInto(cmc, cm, Cinv[i]);
      multiplyInto(w, world, cmc, parentPoint[i] * 9);
      world.set(w, (i + 1) * 9);
      const v = boneVector[i];
      const s = o + parentPoint[i] * 3;
      const e = o + (i + 1) * 3;
      for (let r = 0; r < 3; r++) out[e + r] = out[s + r] + w[r * 3] * v[0] + w[r * 3 + 1] * v[1] + w[r * 3 + 2] * v[2];
    }
  }
  return { pointNames: ['root', ...bones.map((b) => b.name)], frameCount: motion.frameCount, positions: out };
}

/** A rotation sequence applied in the written order (first axis first): `R_n * ... * R_1`. */
function sequence(axes: readonly Axis[], anglesRad: readonly number[]): Mat3 {
  return eulerMatrix([...axes].reverse(), [...anglesRad].reverse());
}

/** `sequence` without allocating: out = R(axes[n-1], angle(n-1)) * ... * R(axes[0], angle(0)). */
function rotationSequenceInto(out: Mat3, axes: readonly Axis[], angle: (k: number) => number): void {
  setIdentity(out);
  for (let k = axes.length - 1; k >= 0; k--) rightMultiplyAxis(out, axes[k], angle(k));
}
