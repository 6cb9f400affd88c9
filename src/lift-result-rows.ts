import type { LiftResult } from './diffpose.js';

/**
 * A LiftResult of `count` poses, pose i being pose `from(i)` of `r`: every per-pose field (poses,
 * spread, samples, root, radius90, sigma) picked alike, so a field added to LiftResult is added
 * here once for every way of taking poses out of a result (a range, every n-th).
 */
export function pickPoses(r: LiftResult, count: number, from: (i: number) => number): LiftResult {
  const rows = (a: Float32Array, width: number) => {
    const out = new Float32Array(count * width);
    for (let i = 0; i < count; i++) out.set(a.subarray(from(i) * width, (from(i) + 1) * width), i * width);
    return out;
  };
  return {
    ...r,
    poses: rows(r.poses, 51),
    spread: rows(r.spread, 17),
    samples: r.samples && rows(r.samples, r.hypotheses * 51),
    root: rows(r.root, 3),
    radius90: r.radius90 && rows(r.radius90, 17),
    sigma: r.sigma && rows(r.sigma, 17),
  };
}
