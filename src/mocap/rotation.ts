/**
 * 3x3 rotation matrices (row-major Float64Array(9)) acting on column vectors: `v' = R v`.
 * Both mocap formats describe rotations as a sequence of rotations about coordinate axes; the
 * only thing that differs between them is how the written order maps to a product, which each
 * reader states where it builds its matrices.
 */

export type Mat3 = Float64Array;
export type Axis = 'x' | 'y' | 'z';

export const DEG = Math.PI / 180;

export function setIdentity(m: Mat3): void {
  m.fill(0);
  m[0] = 1;
  m[4] = 1;
  m[8] = 1;
}

/**
 * m = m * R(axis, angle) in place, R being the right-handed rotation by `angle` radians about
 * a coordinate axis. In place because the per-frame kinematics loops must not allocate.
 */
export function rightMultiplyAxis(m: Mat3, axis: Axis, angle: number): void {
  const c = Math.cos(angle),
    s = Math.sin(angle);
  // Only the two columns spanning the plane of rotation change: e_a -> c e_a + s e_b,
  // e_b -> -s e_a + c e_b, with (a, b) the axes cyclically after `axis`.
  const a = axis === 'x' ? 1 : axis === 'y' ? 2 : 0;
  const b = axis === 'x' ? 2 : axis === 'y' ? 0 : 1;
  for (let r = 0; r < 3; r++) {
    const ma = m[r * 3 + a],
      mb = m[r * 3 + b];
    m[r * 3 + a] = ma * c + mb * s;
    m[r * 3 + b] = -ma * s + mb * c;
  }
}

/**
 * The product `R(axes[0], angles[0]) * R(axes[1], angles[1]) * ...`, left to right.
 * With column vectors the LAST factor acts on the vector first.
 */
export function eulerMatrix(axes: readonly Axis[], anglesRad: readonly number[]): Mat3 {
  const m = new Float64Array(9);
  setIdentity(m);
  for (let i = 0; i < axes.length; i++) rightMultiplyAxis(m, axes[i], anglesRad[i]);
  return m;
}

/** out = a * b, reading `a` from `aOffset`; `out` must not alias `a` or `b`. */
export function multiplyInto(out: Mat3, a: Mat3, b: Mat3, aOffset = 0): Mat3 {
  for (let r = 0; r < 3; r++) {
    const a0 = a[aOffset + r * 3],
      a1 = a[aOffset + r * 3 + 1],
      a2 = a[aOffset + r * 3 + 2];
    for (let c = 0; c < 3; c++) out[r * 3 + c] = a0 * b[c] + a1 * b[3 + c] + a2 * b[6 + c];
  }
  return out;
}

export function transpose(a: Mat3): Mat3 {
  return new Float64Array([a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]]);
}
