/**
 * 3x3 rotation matrices (row-major Float64Array(9)) acting on column vectors: `v' = R v`.
 * Both mocap formats describe rotations as a sequence of rotations about coordinate axes; the
 * only thing that differs between them is how the written order maps to a product, which each
 * reader states where it calls `eulerMatrix`.
 */

export type Mat3 = Float64Array;
export type Axis = 'x' | 'y' | 'z';

export function identity(): Mat3 {
  return new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
}

/** Right-handed rotation by `angle` radians about a coordinate axis. */
export function axisRotation(axis: Axis, angle: number): Mat3 {
  const c = Math.cos(angle), s = Math.sin(angle);
  switch (axis) {
    case 'x': return new Float64Array([1, 0, 0, 0, c, -s, 0, s, c]);
    case 'y': return new Float64Array([c, 0, s, 0, 1, 0, -s, 0, c]);
    case 'z': return new Float64Array([c, -s, 0, s, c, 0, 0, 0, 1]);
  }
}

export function multiply(a: Mat3, b: Mat3): Mat3 {
  return multiplyInto(new Float64Array(9), a, b);
}

/** out = a * b; `out` must not alias `a` or `b`. For the per-frame loops, which must not allocate. */
export function multiplyInto(out: Mat3, a: Mat3, b: Mat3, aOffset = 0): Mat3 {
  for (let r = 0; r < 3; r++) {
    const a0 = a[aOffset + r * 3], a1 = a[aOffset + r * 3 + 1], a2 = a[aOffset + r * 3 + 2];
    for (let c = 0; c < 3; c++) out[r * 3 + c] = a0 * b[c] + a1 * b[3 + c] + a2 * b[6 + c];
  }
  return out;
}

export function setIdentity(m: Mat3): void {
  m.fill(0);
  m[0] = 1; m[4] = 1; m[8] = 1;
}

/** m = m * R(axis, angle), in place. */
export function rightMultiplyAxis(m: Mat3, axis: Axis, angle: number): void {
  const c = Math.cos(angle), s = Math.sin(angle);
  // Only the two columns spanning the plane of rotation change: e_a -> c e_a + s e_b,
  // e_b -> -s e_a + c e_b, with (a, b) cyclic after the axis.
  const a = axis === 'x' ? 1 : axis === 'y' ? 2 : 0;
  const b = axis === 'x' ? 2 : axis === 'y' ? 0 : 1;
  for (let r = 0; r < 3; r++) {
    const ma = m[r * 3 + a], mb = m[r * 3 + b];
    m[r * 3 + a] = ma * c + mb * s;
    m[r * 3 + b] = -ma * s + mb * c;
  }
}

export function transpose(a: Mat3): Mat3 {
  return new Float64Array([a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]]);
}

/** `R v` for a 3-vector. */
export function apply(a: Mat3, v: ArrayLike<number>): [number, number, number] {
  return [
    a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
    a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
    a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
  ];
}

/**
 * The product `R(axes[0], angles[0]) * R(axes[1], angles[1]) * ...`, left to right.
 * With column vectors the LAST factor acts on the vector first.
 */
export function eulerMatrix(axes: readonly Axis[], anglesRad: readonly number[]): Mat3 {
  let m = identity();
  for (let i = 0; i < axes.length; i++) m = multiply(m, axisRotation(axes[i], anglesRad[i]));
  return m;
}

export const DEG = Math.PI / 180;
