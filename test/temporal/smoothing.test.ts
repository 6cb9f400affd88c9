import { expect } from 'chai';
import { motionErrors } from '../../src/eval/temporal-metrics.js';
import { movingAverage, oneEuro } from '../../src/temporal/smoothing.js';
import { expectClose } from '../helpers/close.js';

// The expected series were computed by train/train_temporal.py's moving_average and one_euro
// (the Python evaluation's baselines) on the same input: the two implementations must agree.
const X = [
  [0.0, 1.0],
  [0.5, 0.8],
  [0.4, 1.3],
  [1.2, 0.9],
  [1.0, 1.1],
  [2.0, 0.7],
  [1.7, 1.0],
].flat();

describe('smoothing baselines agree with the Python evaluation', () => {
  it('centred moving average, window 3, shrinking at the ends', () => {
    const expected = [
      [0.25, 0.9],
      [0.3, 1.033333333333],
      [0.7, 1.0],
      [0.866666666667, 1.1],
      [1.4, 0.9],
      [1.566666666667, 0.933333333333],
      [1.85, 0.85],
    ].flat();
    expectClose(movingAverage(X, 7, 3), Float64Array.from(expected), 1e-11, 0, 'moving average');
  });

  it('One-Euro at 30 fps, min cutoff 1 Hz, beta 0.5', () => {
    const expected = [
      [0.0, 1.0],
      [0.162494067415, 0.95171676444],
      [0.248099353689, 1.033922152127],
      [0.728785812872, 1.009874767424],
      [0.866216906443, 1.028825711608],
      [1.546932253902, 0.945145453078],
      [1.635190736704, 0.957433006095],
    ].flat();
    expectClose(oneEuro(X, 7, 30, 1, 0.5), Float64Array.from(expected), 1e-11, 0, 'one euro');
  });

  it('velocity and acceleration errors: zero for a prediction off by a constant, exact for a known jitter', () => {
    const frames = 5;
    const target = Float64Array.from({ length: frames * 51 }, (_, i) => Math.sin(i));
    const shifted = target.map((v) => v + 0.3);
    expect(Math.max(...motionErrors(shifted, target, frames, 1))).to.be.below(1e-12);
    expect(Math.max(...motionErrors(shifted, target, frames, 2))).to.be.below(1e-12);
    // Frame 2 of joint 5 moved 0.01 along x: its velocity error is 0.01 in two differences, its acceleration error 0.01, 0.02, 0.01.
    const jitter = Float64Array.from(target);
    jitter[(2 * 17 + 5) * 3] += 0.01;
    const vel = motionErrors(jitter, target, frames, 1),
      acc = motionErrors(jitter, target, frames, 2);
    expect(vel.length).to.equal(4 * 17);
    expectClose(
      Float64Array.from([vel[17 + 5], vel[2 * 17 + 5]]),
      Float64Array.from([0.01, 0.01]),
      1e-12,
      0,
      'velocity',
    );
    expectClose(
      Float64Array.from([acc[5], acc[17 + 5], acc[2 * 17 + 5]]),
      Float64Array.from([0.01, 0.02, 0.01]),
      1e-12,
      0,
      'acceleration',
    );
    expect(vel.reduce((s, v) => s + v, 0)).to.be.closeTo(0.02, 1e-12);
  });
});
