import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { WeightsError } from '../../src/errors.js';
import { coverageReport } from '../../src/eval/calibration-metrics.js';
import { jointErrors } from '../../src/eval/pose-metrics.js';
import {
  bandConfidence,
  confidenceBands,
  fitCalibration,
  parseCalibration,
  radius90,
} from '../../src/model/calibration.js';
import { Rng } from '../../src/pose/rng.js';

/** fitCalibration's samples, n of each, to be filled by a test. */
function zeroSamples(n: number) {
  return {
    error: new Float64Array(n),
    spread: new Float64Array(n),
    singleError: new Float64Array(n),
    confidence: new Float64Array(n),
  };
}

describe('radius90 calibration', () => {
  it('fitCalibration covers 90% of its own samples in every joint and confidence band', () => {
    // Errors whose scale grows with the spread and falls with the lower of the joint's and its
    // pose's root joints' confidences, as a model's do (most poses with sure hips).
    const rng = new Rng(11);
    const n = 17 * 3000;
    const s = zeroSamples(n);
    for (let i = 0; i < n; i++) {
      const rootJoint = [0, 1, 4].includes(i % 17);
      s.confidence[i] = rootJoint && rng.uniform() < 0.8 ? 0.8 + 0.2 * rng.uniform() : rng.uniform();
    }
    const banding = bandConfidence(s.confidence, n);
    for (let i = 0; i < n; i++) {
      const spread = 0.01 + 0.05 * rng.uniform();
      const scale = 0.5 * spread + 0.03 * (1.2 - banding[i]) + 0.002 * (i % 17);
      s.spread[i] = spread;
      s.error[i] = scale * Math.hypot(rng.normal(), rng.normal(), rng.normal());
      s.singleError[i] = 1.2 * s.error[i];
    }
    const cal = fitCalibration(s, [0.5, 0.8], 'test');
    const bandsOf = confidenceBands(cal, s.confidence, n);
    const r = radius90(cal, Float32Array.from(s.spread), bandsOf, 8);
    // Per band of the confidence that chose it.
    const cov = coverageReport(s.error, r, banding, cal.bands);
    expect(cov.overall).to.be.closeTo(0.9, 0.01);
    expect(Object.keys(cov.byBand)).to.have.length(3);
    for (const v of [...Object.values(cov.byGroup), ...Object.values(cov.byBand)]) expect(v).to.be.closeTo(0.9, 0.03);
    // The spread carries information here: the fit uses it.
    expect(Math.max(...cal.scale.flat())).to.be.above(0);
    // One hypothesis: the joint and its confidence alone.
    const one = radius90(cal, new Float32Array(n), bandsOf, 1);
    expect(coverageReport(s.singleError, one, s.confidence, cal.bands).overall).to.be.closeTo(0.9, 0.01);
  });

  it("bands a joint by the lowest of its own, the pelvis' and the hips' confidences", () => {
    const cal = { bands: [0.5, 0.8] };
    const pose = (set: Record<number, number>) => Array.from({ length: 17 }, (_, j) => set[j] ?? 1);
    // All sure; a wrist at 0.6; the left hip at 0.1 (every joint then in the lowest band); the pelvis at 0.7.
    const conf = [...pose({}), ...pose({ 16: 0.6 }), ...pose({ 4: 0.1 }), ...pose({ 0: 0.7, 13: 0.2 })];
    const bands = Array.from(confidenceBands(cal, conf, conf.length));
    const row = (p: number) => bands.slice(17 * p, 17 * p + 17);
    expect(row(0)).to.deep.equal(new Array(17).fill(2));
    expect(row(1)).to.deep.equal([...new Array(16).fill(2), 1]);
    expect(row(2)).to.deep.equal(new Array(17).fill(0));
    expect(row(3)).to.deep.equal(Array.from({ length: 17 }, (_, j) => (j === 13 ? 0 : 1)));
  });

  it("with the lifter's sigma, the one-hypothesis radius scales it: 90% covered, and sharper where sigma ranks the errors", () => {
    const rng = new Rng(12);
    const n = 17 * 3000;
    const s = { ...zeroSamples(n), sigma: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const sigma = 0.01 + 0.08 * rng.uniform();
      s.sigma[i] = sigma;
      s.spread[i] = 0.02;
      s.confidence[i] = rng.uniform();
      s.singleError[i] = sigma * Math.hypot(rng.normal(), rng.normal(), rng.normal());
      s.error[i] = s.singleError[i];
    }
    const withSigma = fitCalibration(s, [0.5, 0.8], 'test');
    const without = fitCalibration({ ...s, sigma: undefined }, [0.5, 0.8], 'test');
    expect(without.sigmaScale).to.equal(undefined);
    // A 3D Gaussian's 90% radius is 2.50 standard deviations per axis (cells of 600-1500 samples).
    const scales = withSigma.sigmaScale!.flat();
    for (const v of scales) expect(v).to.be.closeTo(2.5, 0.25);
    expect(scales.reduce((a, v) => a + v, 0) / scales.length).to.be.closeTo(2.5, 0.03);
    const bandsOf = confidenceBands(withSigma, s.confidence, n);
    const zero = new Float32Array(n);
    const r = radius90(withSigma, zero, bandsOf, 1, Float32Array.from(s.sigma));
    const cov = coverageReport(s.singleError, r, s.confidence, withSigma.bands);
    expect(cov.overall).to.be.closeTo(0.9, 0.01);
    // The constant radius covers as much but is wider on average.
    const flat = coverageReport(s.singleError, radius90(without, zero, bandsOf, 1), s.confidence, without.bands);
    expect(flat.overall).to.be.closeTo(0.9, 0.01);
    expect(cov.meanRadius).to.be.below(0.95 * flat.meanRadius);
    // A calibration with sigma scales applies them only when a sigma is given.
    expect(radius90(withSigma, zero, bandsOf, 1)[0]).to.equal(Math.fround(withSigma.single[0][bandsOf[0]]));
    expect(parseCalibration(JSON.stringify(withSigma)).sigmaScale).to.deep.equal(withSigma.sigmaScale);
  });

  it('refuses a malformed calibration in a weights file', () => {
    const good = JSON.stringify({
      bands: [0.5],
      offset: Array(17).fill([0.1, 0.1]),
      scale: Array(17).fill([1, 1]),
      single: Array(17).fill([0.2, 0.2]),
      fitted: '',
    });
    expect(parseCalibration(good).bands).to.deep.equal([0.5]);
    for (const bad of [
      '{',
      '{"bands": [0.8, 0.5]}',
      good.replace('"scale":[[1,1]', '"scale":[[1,-1]'),
      good.replace('"bands":[0.5]', '"bands":[0.5,0.7]'),
      good.replace('"fitted"', '"sigmaScale":[[1,1]],"fitted"'),
    ]) {
      expect(() => parseCalibration(bad), bad.slice(0, 40)).to.throw(WeightsError);
    }
  });

  it('the shipped weights are calibrated: on the bundled test-split walk clip radius90 holds most joints (the spread alone holds few)', async function () {
    this.timeout(300_000);
    const model = await DiffPose.load({ backend: 'cpu' });
    expect(model.weights.calibration?.fitted).to.match(/validation examples \(every 20th frame of the training split/);
    const walk = JSON.parse(readFileSync(new URL('../../examples/walk-h36m17.json', import.meta.url), 'utf8')) as {
      imageSize: [number, number];
      frames: Array<{ keypoints: number[][] }>;
    };
    const truth = JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
      frames: Array<{ joints: number[] }>;
    };
    const frames = walk.frames.slice(0, 60);
    const keypoints = frames.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y]));
    const confidence = Float32Array.from(frames.flatMap((f) => f.keypoints.map((k) => k[2])));
    const r = await model.lift(keypoints, { imageSize: walk.imageSize, confidence, hypotheses: 8 });
    const errors = jointErrors(r.poses, Float32Array.from(frames.flatMap((_, i) => truth.frames[i].joints)));
    const bands = model.weights.calibration!.bands;
    const calibrated = coverageReport(errors, r.radius90!, confidence, bands).overall;
    const spreadOnly = coverageReport(errors, r.spread, confidence, bands).overall;
    expect(calibrated, `coverage ${calibrated.toFixed(3)}`).to.be.within(0.7, 0.99);
    expect(spreadOnly).to.be.below(0.6);
    // H = 1: radii from the joint and its confidence alone, every non-root joint > 0.
    const one = await model.lift(keypoints, { imageSize: walk.imageSize, confidence });
    expect(one.radius90!.every((v, i) => (i % 17 === 0 ? v >= 0 : v > 0))).to.equal(true);
    model.dispose();
  });
});
