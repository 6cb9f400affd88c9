import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * Errors of a track's motion: per joint, the distance between the predicted and the true
 * frame-to-frame difference (order 1: velocity error, MPJVE, units per frame) or second
 * difference (order 2: acceleration error, units per frame²). Tracks are [T, 17, 3]; the result
 * has one value per joint and difference, (T - order) x 17 of them.
 */
export function motionErrors(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  frames: number,
  order: 1 | 2,
): Float64Array {
  const J = NUM_JOINTS,
    n = Math.max(0, frames - order);
  const out = new Float64Array(n * J);
  const diff = (a: ArrayLike<number>, t: number, j: number, c: number) => {
    const at = (f: number) => a[(f * J + j) * 3 + c];
    return order === 1 ? at(t + 1) - at(t) : at(t + 2) - 2 * at(t + 1) + at(t);
  };
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < J; j++) {
      out[t * J + j] = Math.hypot(
        diff(pred, t, j, 0) - diff(target, t, j, 0),
        diff(pred, t, j, 1) - diff(target, t, j, 1),
        diff(pred, t, j, 2) - diff(target, t, j, 2),
      );
    }
  }
  return out;
}
