import { H36M_BONES, NUM_JOINTS } from '../pose/skeleton.js';

const J = NUM_JOINTS;

/** Row-normalised adjacency with self loops (model-spec §1), 17x17 row-major, in f64. */
export function normalizedAdjacency(): Float64Array {
  const a = new Float64Array(J * J);
  for (let i = 0; i < J; i++) a[i * J + i] = 1;
  for (const [p, c] of H36M_BONES) {
    a[p * J + c] = 1;
    a[c * J + p] = 1;
  }
  for (let i = 0; i < J; i++) {
    let sum = 0;
    for (let j = 0; j < J; j++) sum += a[i * J + j];
    for (let j = 0; j < J; j++) a[i * J + j] /= sum;
  }
  return a;
}

function matmul(x: Float64Array, y: Float64Array): Float64Array {
  const out = new Float64Array(J * J);
  for (let i = 0; i < J; i++)
    for (let k = 0; k < J; k++) {
      const v = x[i * J + k];
      if (v !== 0) for (let j = 0; j < J; j++) out[i * J + j] += v * y[k * J + j];
    }
  return out;
}

/**
 * The three Chebyshev matrices T0 = I, T1 = L, T2 = 2 L L - I with L = I - A, packed as
 * [3, 17, 17] f32. Since A is row-normalised, D = I and the normalised Laplacian is I - A.
 */
export function chebyshevBasis(): Float32Array {
  const a = normalizedAdjacency();
  const eye = new Float64Array(J * J);
  for (let i = 0; i < J; i++) eye[i * J + i] = 1;
  const l = eye.map((v, k) => v - a[k]);
  const ll = matmul(l, l);
  const t2 = ll.map((v, k) => 2 * v - eye[k]);
  const out = new Float32Array(3 * J * J);
  out.set(eye, 0);
  out.set(l, J * J);
  out.set(t2, 2 * J * J);
  return out;
}

/** The LAM graph conv's normalised learnable adjacency: Lhat = diag(s) A_hat diag(s), s_j = (colsum_j + 1e-5)^-1/2. */
export function lamAdjacency(aHat: Float32Array): Float32Array {
  const s = new Float64Array(J);
  for (let j = 0; j < J; j++) {
    let sum = 0;
    for (let i = 0; i < J; i++) sum += aHat[i * J + j];
    s[j] = 1 / Math.sqrt(sum + 1e-5);
  }
  const out = new Float32Array(J * J);
  for (let i = 0; i < J; i++) for (let j = 0; j < J; j++) out[i * J + j] = s[i] * aHat[i * J + j] * s[j];
  return out;
}
