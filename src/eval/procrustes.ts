import { svd3 } from './svd3.js';

/**
 * The similarity transform (scale s, rotation R, translation t) minimising
 * sum_j |s R p_j + t - q_j|^2 over the points of one pose (Umeyama 1991), and the aligned
 * points. This is the alignment of P-MPJPE ("protocol 2"): it removes global orientation,
 * position and size, leaving the error in the pose's shape. Reflections are excluded (det R = +1).
 */
export interface Similarity {
  scale: number;
  /** Row-major 3x3, a proper rotation. */
  rotation: Float64Array;
  translation: [number, number, number];
}

export function similarityAlign(pred: ArrayLike<number>, target: ArrayLike<number>): Similarity {
  const n = pred.length / 3;
  const mp = [0, 0, 0],
    mt = [0, 0, 0];
  for (let j = 0; j < n; j++)
    for (let c = 0; c < 3; c++) {
      mp[c] += pred[j * 3 + c] / n;
      mt[c] += target[j * 3 + c] / n;
    }
  // Cross-covariance H = sum_j (q_j - mt)(p_j - mp)^T and the spread of the prediction.
  const h = new Float64Array(9);
  let varP = 0;
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < 3; r++) {
      const q = target[j * 3 + r] - mt[r];
      for (let c = 0; c < 3; c++) h[r * 3 + c] += q * (pred[j * 3 + c] - mp[c]);
      const p = pred[j * 3 + r] - mp[r];
      varP += p * p;
    }
  }
  const { u, s, v } = svd3(h);
  // R = U diag(1, 1, d) V^T with d = det(U V^T), so that R is a rotation even when the best
  // orthogonal fit would be a reflection.
  const d = Math.sign(det3(u) * det3(v)) || 1;
  const rotation = new Float64Array(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) {
      rotation[r * 3 + c] = u[r * 3] * v[c * 3] + u[r * 3 + 1] * v[c * 3 + 1] + d * u[r * 3 + 2] * v[c * 3 + 2];
    }
  const scale = varP > 0 ? (s[0] + s[1] + d * s[2]) / varP : 1;
  const translation: [number, number, number] = [0, 1, 2].map(
    (r) => mt[r] - scale * (rotation[r * 3] * mp[0] + rotation[r * 3 + 1] * mp[1] + rotation[r * 3 + 2] * mp[2]),
  ) as [number, number, number];
  return { scale, rotation, translation };
}

/** Applies a similarity to points [n, 3]. */
export function applySimilarity(t: Similarity, points: ArrayLike<number>): Float64Array {
  const out = new Float64Array(points.length);
  const R = t.rotation;
  for (let j = 0; j < points.length / 3; j++) {
    const [x, y, z] = [points[j * 3], points[j * 3 + 1], points[j * 3 + 2]];
    for (let r = 0; r < 3; r++)
      out[j * 3 + r] = t.scale * (R[r * 3] * x + R[r * 3 + 1] * y + R[r * 3 + 2] * z) + t.translation[r];
  }
  return out;
}

/** `pred` after the similarity that best maps it onto `target`. */
export function procrustesAligned(pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  return applySimilarity(similarityAlign(pred, target), pred);
}

function det3(m: Float64Array): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}
