/**
 * COCO's face keypoints (nose, eyes, ears) for a mocap pose, which has only two head points:
 * H36M joint 9 = the base of the skull S and joint 10 = a point H about 9 cm up the head's axis
 * (src/mocap/h36m-mapping.ts). The rule, in metres, in the pose's own frame (any right-handed
 * frame; world +Y up for the prepared data):
 *
 *   up u      = (H - S) normalised                         (the head's axis)
 *   lateral l = (left shoulder - right shoulder) with its u part removed, normalised
 *               (the mocap keeps no head yaw, so the face looks where the shoulders face)
 *   forward f = l x u                                       (a person facing +z with +y up has
 *                                                           their left at +x: x cross y = z)
 *   ears      = S + 0.020 u +/- 0.075 l                     (ear canals: 2 cm above the skull
 *                                                           base, head breadth 15 cm)
 *   eyes      = S + 0.045 u + 0.085 f +/- 0.032 l           (pupils 6.4 cm apart, 8.5 cm in
 *                                                           front of the ear canals, 2.5 cm higher)
 *   nose      = S + 0.010 u + 0.110 f                       (nose tip, 3.5 cm below the eyes)
 *
 * Adult anthropometric averages, rounded; the same rule backwards is the ears-and-shoulders
 * head rule of src/pose/formats.ts.
 */

export interface FacePoints {
  nose: number[];
  lEye: number[];
  rEye: number[];
  lEar: number[];
  rEar: number[];
}

const SKULL_BASE = 9,
  HEAD = 10,
  L_SHOULDER = 11,
  R_SHOULDER = 14;

export const FACE_OFFSETS = {
  ear: { up: 0.02, side: 0.075 },
  eye: { up: 0.045, forward: 0.085, side: 0.032 },
  nose: { up: 0.01, forward: 0.11 },
} as const;

/** The five face points of one pose (17 * 3 values, H36M order). */
export function syntheticFace(pose: ArrayLike<number>): FacePoints {
  const p = (j: number) => [pose[j * 3], pose[j * 3 + 1], pose[j * 3 + 2]];
  const S = p(SKULL_BASE);
  const u = normalize(sub(p(HEAD), S));
  const across = sub(p(L_SHOULDER), p(R_SHOULDER));
  const l = normalize(sub(across, scale(u, dot(across, u))));
  const f = cross(l, u);
  const at = (up: number, forward: number, side: number) =>
    [0, 1, 2].map((i) => S[i] + up * u[i] + forward * f[i] + side * l[i]);
  const o = FACE_OFFSETS;
  return {
    nose: at(o.nose.up, o.nose.forward, 0),
    lEye: at(o.eye.up, o.eye.forward, o.eye.side),
    rEye: at(o.eye.up, o.eye.forward, -o.eye.side),
    lEar: at(o.ear.up, 0, o.ear.side),
    rEar: at(o.ear.up, 0, -o.ear.side),
  };
}

/**
 * COCO-17 3D points (17 * 3) for one H36M pose: body joints copied, face from `syntheticFace`.
 * COCO order: nose, eyes (l, r), ears (l, r), shoulders, elbows, wrists, hips, knees, ankles.
 */
export function cocoPointsFromH36m(pose: ArrayLike<number>): Float64Array {
  const face = syntheticFace(pose);
  const h36m = [11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]; // COCO 5..16 in H36M joint numbers
  const out = new Float64Array(17 * 3);
  [face.nose, face.lEye, face.rEye, face.lEar, face.rEar].forEach((v, k) => out.set(v, k * 3));
  h36m.forEach((j, i) => {
    for (let a = 0; a < 3; a++) out[(5 + i) * 3 + a] = pose[j * 3 + a];
  });
  return out;
}

function sub(a: number[], b: number[]): number[] {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function scale(a: number[], s: number): number[] {
  return [a[0] * s, a[1] * s, a[2] * s];
}
function dot(a: number[], b: number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function normalize(a: number[]): number[] {
  const n = Math.hypot(a[0], a[1], a[2]);
  return scale(a, 1 / n);
}
