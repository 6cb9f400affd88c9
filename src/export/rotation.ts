/** Unit quaternions [x, y, z, w] and 3-vectors for the animation exporters. */
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export const IDENTITY: Quat = [0, 0, 0, 1];

export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const unit = (a: Vec3): Vec3 => {
  const n = norm(a);
  return n > 0 ? scale(a, 1 / n) : [0, 0, 0];
};

export function qmul(a: Quat, b: Quat): Quat {
  return [
    a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1],
    a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0],
    a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3],
    a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2],
  ];
}

export const qconj = (q: Quat): Quat => [-q[0], -q[1], -q[2], q[3]];

export function qrotate(q: Quat, v: Vec3): Vec3 {
  const r = qmul(qmul(q, [v[0], v[1], v[2], 0]), qconj(q));
  return [r[0], r[1], r[2]];
}

function qnormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** The smallest rotation taking direction `from` onto direction `to` (both non-zero). */
export function swing(from: Vec3, to: Vec3): Quat {
  const a = unit(from),
    b = unit(to);
  const c = dot(a, b);
  if (c < -1 + 1e-9) {
    // Opposite: half a turn about any axis perpendicular to a.
    const axis = unit(Math.abs(a[0]) < 0.9 ? cross(a, [1, 0, 0]) : cross(a, [0, 1, 0]));
    return [axis[0], axis[1], axis[2], 0];
  }
  const x = cross(a, b);
  return qnormalize([x[0], x[1], x[2], 1 + c]);
}

/** Rotation matrix (row-major 3x3) to quaternion. */
export function quatFromMatrix(m: number[]): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const tr = m00 + m11 + m22;
  let q: Quat;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
  }
  return qnormalize(q);
}

/**
 * An orthonormal frame (columns x, y, z as a row-major matrix) from a primary direction (its y
 * axis) and a secondary one (its x axis, made perpendicular to y).
 */
export function frameFrom(primary: Vec3, secondary: Vec3): number[] {
  const y = unit(primary);
  let x = sub(secondary, scale(y, dot(secondary, y)));
  if (norm(x) < 1e-9) x = Math.abs(y[0]) < 0.9 ? cross([0, 0, 1], y) : cross(y, [0, 0, 1]);
  x = unit(x);
  const z = cross(x, y);
  return [x[0], y[0], z[0], x[1], y[1], z[1], x[2], y[2], z[2]];
}

/** Euler angles in degrees for the BVH channel order Z, X, Y (q = qz * qx * qy). */
export function eulerZXY(q: Quat): Vec3 {
  const [x, y, z, w] = q;
  // The row-major matrix of q; R = Rz(a) Rx(b) Ry(c) has m21 = sin b, m01 = -sin a cos b,
  // m11 = cos a cos b, m20 = -cos b sin c, m22 = cos b cos c.
  const m00 = 1 - 2 * (y * y + z * z),
    m01 = 2 * (x * y - z * w),
    m10 = 2 * (x * y + z * w),
    m11 = 1 - 2 * (x * x + z * z);
  const m20 = 2 * (x * z - y * w),
    m21 = 2 * (y * z + x * w),
    m22 = 1 - 2 * (x * x + y * y);
  const sb = Math.max(-1, Math.min(1, m21));
  const deg = 180 / Math.PI;
  if (Math.abs(sb) < 0.9999999) return [Math.atan2(-m01, m11) * deg, Math.asin(sb) * deg, Math.atan2(-m20, m22) * deg];
  // cos b = 0: only a + c (or a - c) is defined; c = 0 and m10 = sin a, m00 = cos a.
  return [Math.atan2(m10, m00) * deg, Math.asin(sb) * deg, 0];
}
