import { expect } from 'chai';
import { fitNoiseGainRound, withXyzNoiseGain } from '../../src/model/noise-gain.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { smallWeights } from '../helpers/models.js';

const J = 17;

/** [n, 17] values of joint j: f(j, pose). */
function perJoint(n: number, f: (j: number, pose: number) => number): Float64Array {
  return Float64Array.from({ length: n * J }, (_, i) => f(i % J, Math.floor(i / J)));
}

describe('paper init noise gains (model/noise-gain.ts)', () => {
  it("multiplies each joint's gain by its error / spread relative to the other joints'; the root keeps its gain", () => {
    // Joint j's spread is (1 + j) mm for errors of 10 mm everywhere: its ratio 10 / (1 + j).
    const error = perJoint(5, (j) => (j === 0 ? 0 : 0.01));
    const spread = perJoint(5, (j, p) => (j === 0 ? 0 : 0.001 * (1 + j) * (1 + 0.1 * (p - 2))));
    const current = Array.from({ length: J }, (_, j) => 0.5 + 0.1 * j);
    const gain = fitNoiseGainRound(error, spread, current);
    const ratios = Array.from({ length: J - 1 }, (_, k) => 10 / (2 + k));
    const meanRatio = ratios.reduce((a, b) => a + b) / ratios.length;
    expect(gain[0]).to.equal(current[0]);
    for (let j = 1; j < J; j++) expect(gain[j]).to.be.closeTo((current[j] * (10 / (1 + j))) / meanRatio, 1e-9);
  });

  it('leaves the gains alone where spread already follows error in one proportion', () => {
    const error = perJoint(4, (j, p) => (j === 0 ? 0 : 0.003 * j + 0.001 * p));
    const spread = Float64Array.from(error, (e) => 0.4 * e);
    const gain = fitNoiseGainRound(error, spread);
    for (const g of gain) expect(g).to.be.closeTo(1, 1e-12);
  });

  it('refuses lifts without a spread and mismatched shapes', () => {
    expect(() => fitNoiseGainRound(new Float64Array(J), new Float64Array(J))).to.throw(/no joint has a spread/);
    expect(() => fitNoiseGainRound(new Float64Array(J), new Float64Array(2 * J))).to.throw(/same N/);
  });

  it("writes the gains into the weights' config, which then loads with them", () => {
    const gain = Array.from({ length: J }, (_, j) => 1 + j / 32); // exact in 6 digits
    const w = parseModelWeights(withXyzNoiseGain(smallWeights(), gain));
    expect(w.config.diffusion.xyzNoiseGain).to.deep.equal(gain);
  });
});
