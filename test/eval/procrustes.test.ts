import { expect } from 'chai';
import { applySimilarity, procrustesAligned, similarityAlign } from '../../src/eval/procrustes.js';
import { mpjpePerPose, pearson, pMpjpePerPose } from '../../src/eval/pose-metrics.js';
import { svd3 } from '../../src/eval/svd3.js';
import { STANDING_POSE } from '../pose/standing-pose.js';

/** Rotation about a unit axis by an angle (Rodrigues), row-major. */
function rotation(axis: [number, number, number], angle: number): Float64Array {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const c = Math.cos(angle),
    s = Math.sin(angle),
    C = 1 - c;
  return new Float64Array([
    c + x * x * C,
    x * y * C - z * s,
    x * z * C + y * s,
    y * x * C + z * s,
    c + y * y * C,
    y * z * C - x * s,
    z * x * C - y * s,
    z * y * C + x * s,
    c + z * z * C,
  ]);
}

function matmul(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(9);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
  return out;
}
const transpose = (m: Float64Array) => new Float64Array([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]]);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** A root-relative pose with some depth, so that every rotation axis is identifiable. */
const POSE = Float64Array.from(
  STANDING_POSE.map((v, i) => v - STANDING_POSE[i % 3] + (i % 3 === 2 ? 0.05 * Math.sin(i) : 0)),
);

describe('3x3 SVD', () => {
  it('decomposes full-rank, rank-2 and zero matrices into orthogonal U, V and descending s', () => {
    const cases = [
      [2, -1, 0.5, 0.3, 4, 1, -2, 0.1, 3],
      [1, 2, 3, 2, 4, 6, 0, 1, 1], // rank 2
      [1, 2, 3, 2, 4, 6, 3, 6, 9], // rank 1
      [0, 0, 0, 0, 0, 0, 0, 0, 0],
      Array.from(matmul(rotation([1, 2, 3], 0.7), new Float64Array([5, 0, 0, 0, 2, 0, 0, 0, 0.001]))),
    ];
    for (const a of cases) {
      const { u, s, v } = svd3(a);
      const rebuilt = matmul(matmul(u, new Float64Array([s[0], 0, 0, 0, s[1], 0, 0, 0, s[2]])), transpose(v));
      expect(maxAbsDiff(rebuilt, a), `U S V^T = A for ${a}`).to.be.below(1e-12);
      expect(maxAbsDiff(matmul(transpose(u), u), [1, 0, 0, 0, 1, 0, 0, 0, 1])).to.be.below(1e-12);
      expect(maxAbsDiff(matmul(transpose(v), v), [1, 0, 0, 0, 1, 0, 0, 0, 1])).to.be.below(1e-12);
      expect(s[0] >= s[1] && s[1] >= s[2] && s[2] >= 0, `descending ${s}`).to.equal(true);
    }
  });
});

describe('Procrustes (similarity) alignment and pose errors', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const R = rotation([0.3, -1, 0.4], 2.1);
    const truth = { scale: 1.37, rotation: R, translation: [0.5, -0.2, 3] as [number, number, number] };
    // pred = the target seen through the inverse similarity, so aligning pred must give truth.
    const target = applySimilarity(truth, POSE);
    const t = similarityAlign(POSE, target);
    expect(t.scale).to.be.closeTo(1.37, 1e-12);
    expect(maxAbsDiff(t.rotation, R)).to.be.below(1e-12);
    expect(maxAbsDiff(t.translation, truth.translation)).to.be.below(1e-12);
    expect(maxAbsDiff(procrustesAligned(POSE, target), target)).to.be.below(1e-12);
  });

  it('never aligns with a reflection: a mirrored pose keeps an error', () => {
    const mirrored = POSE.map((v, i) => (i % 3 === 0 ? -v : v));
    const t = similarityAlign(mirrored, POSE);
    const R = t.rotation;
    const det =
      R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    expect(det).to.be.closeTo(1, 1e-12);
    expect(pMpjpePerPose(mirrored, POSE)[0]).to.be.above(0.01);
  });

  it('MPJPE and P-MPJPE on known cases', () => {
    const shifted = POSE.map((v, i) => (i % 3 === 1 ? v + 0.1 : v)); // every joint 10 cm off
    expect(mpjpePerPose(shifted, POSE)[0]).to.be.closeTo(0.1, 1e-12);
    expect(pMpjpePerPose(shifted, POSE)[0]).to.be.closeTo(0, 1e-12);
    const R = rotation([0, 1, 0], Math.PI / 2);
    const rotatedScaled = applySimilarity({ scale: 0.8, rotation: R, translation: [0, 0, 0] }, POSE);
    expect(mpjpePerPose(rotatedScaled, POSE)[0]).to.be.above(0.05);
    expect(pMpjpePerPose(rotatedScaled, POSE)[0]).to.be.closeTo(0, 1e-12);
    // One joint 17 cm off: MPJPE = 1 cm exactly. The alignment is least squares, so it lowers
    // the sum of SQUARED distances (0.17^2 before) by spreading the error over every joint;
    // the mean distance (P-MPJPE) may then be larger than the MPJPE.
    const oneOff = Float64Array.from(POSE);
    oneOff[3 * 3] += 0.17;
    expect(mpjpePerPose(oneOff, POSE)[0]).to.be.closeTo(0.01, 1e-12);
    const aligned = procrustesAligned(oneOff, POSE);
    const squared = aligned.reduce((a, v, i) => a + (v - POSE[i]) ** 2, 0);
    expect(squared)
      .to.be.above(0)
      .and.below(0.17 ** 2);
    expect(pMpjpePerPose(oneOff, POSE)[0]).to.be.above(0);
    // Two poses at once give one value each.
    const both = Float64Array.from([...shifted, ...oneOff]);
    const target = Float64Array.from([...POSE, ...POSE]);
    expect([...mpjpePerPose(both, target)].map((v) => +v.toFixed(12))).to.deep.equal([0.1, 0.01]);
  });

  it('Pearson correlation', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).to.be.closeTo(1, 1e-12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).to.be.closeTo(-1, 1e-12);
    expect(pearson([1, 2, 3], [1, 3, 2])).to.be.closeTo(0.5, 1e-12);
  });
});
