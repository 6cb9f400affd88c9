/**
 * Singular value decomposition of a 3x3 matrix, A = U diag(s) V^T, by one-sided Jacobi
 * (Hestenes): plane rotations applied to A's columns until they are mutually orthogonal,
 * accumulated into V. It works on A directly (not on A^T A), so small singular values keep
 * their accuracy, and it needs no special cases for rank-deficient input: columns of U that
 * belong to (near-)zero singular values are completed to an orthonormal basis.
 */
export interface Svd3 {
  /** Row-major 3x3, orthogonal (det may be -1). */
  u: Float64Array;
  /** Descending, >= 0. */
  s: Float64Array;
  /** Row-major 3x3, orthogonal (det may be -1). */
  v: Float64Array;
}

const SWEEPS = 30;

export function svd3(a: ArrayLike<number>): Svd3 {
  const w = Float64Array.from(a); // columns get orthogonalised in place
  const v = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const col = (m: Float64Array, j: number, k: number) => m[k * 3 + j];
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let rotated = false;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      let alpha = 0,
        beta = 0,
        gamma = 0;
      for (let k = 0; k < 3; k++) {
        const x = col(w, p, k),
          y = col(w, q, k);
        alpha += x * x;
        beta += y * y;
        gamma += x * y;
      }
      if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
      rotated = true;
      const zeta = (beta - alpha) / (2 * gamma);
      const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t),
        s = c * t;
      for (const m of [w, v]) {
        for (let k = 0; k < 3; k++) {
          const x = m[k * 3 + p],
            y = m[k * 3 + q];
          m[k * 3 + p] = c * x - s * y;
          m[k * 3 + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = [0, 1, 2].map((j) => Math.hypot(col(w, j, 0), col(w, j, 1), col(w, j, 2)));
  const order = [0, 1, 2].sort((i, j) => norms[j] - norms[i]);
  const s = new Float64Array(order.map((j) => norms[j]));
  const u = new Float64Array(9);
  const vs = new Float64Array(9);
  const tiny = Math.max(s[0], 1e-300) * 1e-12;
  const uCols: number[][] = [];
  order.forEach((j, i) => {
    for (let k = 0; k < 3; k++) vs[k * 3 + i] = v[k * 3 + j];
    uCols.push(s[i] > tiny ? [0, 1, 2].map((k) => col(w, j, k) / s[i]) : []);
  });
  completeBasis(uCols);
  uCols.forEach((c, i) => {
    for (let k = 0; k < 3; k++) u[k * 3 + i] = c[k];
  });
  return { u, s, v: vs };
}

/** Fills empty columns (zero singular values) so that the three columns are orthonormal. */
function completeBasis(cols: number[][]): void {
  for (let i = 0; i < 3; i++) {
    if (cols[i].length) continue;
    const known = cols.filter((c) => c.length);
    if (known.length === 2) {
      const [a, b] = known;
      cols[i] = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
      continue;
    }
    // Gram-Schmidt on the axis least aligned with what is there.
    for (const e of [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]) {
      const x = [...e];
      for (const c of known) {
        const d = c[0] * x[0] + c[1] * x[1] + c[2] * x[2];
        for (let k = 0; k < 3; k++) x[k] -= d * c[k];
      }
      const n = Math.hypot(x[0], x[1], x[2]);
      if (n > 0.5) {
        cols[i] = x.map((t) => t / n);
        break;
      }
    }
  }
}
