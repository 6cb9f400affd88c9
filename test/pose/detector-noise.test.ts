import { expect } from 'chai';
import { randomCameraView } from '../../src/pose/camera.js';
import { defaultKeypointStd, detectorNoise } from '../../src/pose/detector-noise.js';
import { sigmaFromConfidence } from '../../src/pose/input.js';
import { Rng } from '../../src/pose/rng.js';
import { STANDING_POSE } from './standing-pose.js';

/** Base std fractions by the spec's wording, written out here rather than read from the code. */
const TORSO = [0, 1, 4, 7, 8, 9, 10, 11, 14],
  MIDDLE = [2, 5, 12, 15],
  ENDS = [3, 6, 13, 16];
const k = (j: number): number =>
  TORSO.includes(j) ? 0.008 : MIDDLE.includes(j) ? 0.012 : ENDS.includes(j) ? 0.018 : NaN;

describe('2D detector error model (docs/camera-model.md)', () => {
  const projected = randomCameraView(new Rng(1), STANDING_POSE).projected;
  let vMin = Infinity,
    vMax = -Infinity;
  for (let j = 0; j < 17; j++) {
    vMin = Math.min(vMin, projected[j * 2 + 1]);
    vMax = Math.max(vMax, projected[j * 2 + 1]);
  }
  const s = vMax - vMin;

  const N = 20000;
  let samples: ReturnType<typeof detectorNoise>[] = [];
  before(() => {
    const rng = new Rng(5);
    samples = Array.from({ length: N }, () => detectorNoise(rng, projected));
  });

  it("measures the person scale as the height of the joints' bounding box", () => {
    expect(samples[0].personScale).to.be.closeTo(s, 1e-9);
  });

  it('draws per-joint stds k_j * s times lognormal example (0.3) and joint (0.2) factors', () => {
    // log(sigma_j / (k_j s)) = a + b_j with a ~ N(0, 0.3) shared by the example, b_j ~ N(0, 0.2).
    const logs = samples.map((o) => Array.from(o.sigma, (sg, j) => Math.log(sg / (k(j) * s))));
    const all = logs.flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
    expect(mean).to.be.closeTo(0, 0.01);
    expect(Math.sqrt(variance)).to.be.closeTo(Math.sqrt(0.3 ** 2 + 0.2 ** 2), 0.01);
    // Two joints of one example share the example factor: their covariance is its variance.
    const cov = logs.reduce((acc, l) => acc + l[3] * l[13], 0) / N;
    expect(cov).to.be.closeTo(0.09, 0.01);
  });

  it('adds Gaussian error with that std on each axis to the joints that are not outliers', () => {
    const z: number[] = [];
    for (const o of samples) {
      for (let j = 0; j < 17; j++) {
        if (o.outlier[j]) continue;
        z.push(
          (o.keypoints[j * 2] - projected[j * 2]) / o.sigma[j],
          (o.keypoints[j * 2 + 1] - projected[j * 2 + 1]) / o.sigma[j],
        );
      }
    }
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const std = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length);
    expect(mean).to.be.closeTo(0, 0.01);
    expect(std).to.be.closeTo(1, 0.01);
  });

  it('makes 3% of joints outliers, displaced uniformly within 0.15 s, confidence 0.05-0.4', () => {
    const r2: number[] = [];
    const conf: number[] = [];
    for (const o of samples) {
      for (let j = 0; j < 17; j++) {
        if (!o.outlier[j]) continue;
        const d2 = (o.keypoints[j * 2] - projected[j * 2]) ** 2 + (o.keypoints[j * 2 + 1] - projected[j * 2 + 1]) ** 2;
        r2.push(d2);
        conf.push(o.confidence[j]);
      }
    }
    expect(Math.sqrt(Math.max(...r2))).to.be.at.most(0.15 * s + 1e-9);
    expect(r2.length / (N * 17)).to.be.closeTo(0.03, 0.003);
    // Uniform over a disc of radius R: E[r^2] = R^2 / 2.
    expect(r2.reduce((a, b) => a + b, 0) / r2.length / (0.15 * s) ** 2).to.be.closeTo(0.5, 0.02);
    expect(Math.min(...conf)).to.be.at.least(0.05);
    expect(Math.max(...conf)).to.be.at.most(0.4);
    expect(conf.reduce((a, b) => a + b, 0) / conf.length).to.be.closeTo(0.225, 0.01);
  });

  it('gives confidence exp(-sigma / 0.03 s) + N(0, 0.05), clamped to [0.05, 1]', () => {
    const residual: number[] = [];
    let lo = Infinity,
      hi = -Infinity;
    for (const o of samples) {
      for (let j = 0; j < 17; j++) {
        const c = o.confidence[j];
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
        if (o.outlier[j]) continue;
        const base = Math.exp(-o.sigma[j] / (0.03 * s));
        if (base > 0.2 && base < 0.85) residual.push(c - base); // away from the clamps
      }
    }
    expect(lo).to.equal(0.05); // the clamps are reached at both ends
    expect(hi).to.equal(1);
    const mean = residual.reduce((a, b) => a + b, 0) / residual.length;
    const std = Math.sqrt(residual.reduce((a, b) => a + (b - mean) ** 2, 0) / residual.length);
    expect(mean).to.be.closeTo(0, 0.002);
    expect(std).to.be.closeTo(0.05, 0.002);
  });

  it('has a default std (from the confidence) calibrated to the detector: median |error| per axis is 0.67 std in every confidence band', () => {
    // Many cameras (person sizes, image sizes) and detections; errors in uv units (pixels * 2 / w).
    const rng = new Rng(17);
    const bands = [
      [0, 0.5],
      [0.5, 0.7],
      [0.7, 0.8],
      [0.8, 0.9],
      [0.9, 1.01],
    ];
    const ratios: number[][] = bands.map(() => []);
    for (let e = 0; e < 4000; e++) {
      const view = randomCameraView(rng, STANDING_POSE);
      const o = detectorNoise(rng, view.projected);
      for (let j = 0; j < 17; j++) {
        if (o.outlier[j]) continue;
        const c = o.confidence[j];
        const b = bands.findIndex(([lo, hi]) => c >= lo && c < hi);
        const toUv = 2 / view.camera.width / sigmaFromConfidence(c);
        for (const axis of [0, 1])
          ratios[b].push(Math.abs(o.keypoints[2 * j + axis] - view.projected[2 * j + axis]) * toUv);
      }
    }
    ratios.forEach((r, b) => {
      r.sort((x, y) => x - y);
      // A Gaussian's median |z| is 0.674; the rule was fitted to about that, so a band off by
      // more than ~20% means the rule or the detector model changed without the other.
      expect(r[r.length >> 1], `band ${bands[b]} (${r.length} values)`).to.be.within(0.5, 0.9);
    });
  });

  it('is reproducible from the seed', () => {
    const a = detectorNoise(new Rng(9), projected),
      b = detectorNoise(new Rng(9), projected);
    expect(Array.from(a.keypoints)).to.deep.equal(Array.from(b.keypoints));
    expect(Array.from(a.confidence)).to.deep.equal(Array.from(b.confidence));
  });

  it('derives the default keypoint std w / 2 (0.001 + 0.015 (1 - c) + 0.075 (1 - c)^6) from the confidence', () => {
    expect(defaultKeypointStd(1, 1000)).to.be.closeTo(0.5, 1e-12);
    expect(defaultKeypointStd(0.5, 1000)).to.be.closeTo(500 * (0.001 + 0.0075 + 0.075 / 64), 1e-9);
    expect(defaultKeypointStd(0, 640)).to.be.closeTo(320 * 0.091, 1e-9);
  });
});
