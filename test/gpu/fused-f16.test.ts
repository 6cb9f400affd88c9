import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import type { LiftOptions } from '../../src/lift-options.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { createFusedExecutor } from '../../src/schedule/fused-executor.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

const TEN_STEPS = [45, 40, 35, 30, 25, 20, 15, 10, 5, 0];
/**
 * f16 keeps ~3 significant digits of every weight and activation; on the shipped model the
 * poses move by at most ~3 mm from the f32 path (measured 0.6-3.2 mm on lavapipe). 5 mm bounds
 * that with room, and is still ~10x below the model's own error, while a broken layout or
 * conversion moves poses by decimetres.
 */
const F16_TOLERANCE = 5e-3;

describe('fused executor, f16 storage', function () {
  this.timeout(600_000);
  let model: DiffPose;
  let worst = 0;

  before(async function () {
    const gpu = await testGpu(this);
    // The shipped weights: real value ranges, which is what f16 rounding depends on.
    model = await DiffPose.load({ device: gpu.device });
  });
  after(() => {
    model?.dispose();
    if (worst > 0) console.log(`      max |f16 - f32| over the cases: ${(worst * 1000).toFixed(2)} mm`);
  });

  const cases: Array<[number, LiftOptions]> = [
    [1, { imageSize: [640, 480], hypotheses: 1 }],
    [7, { imageSize: [640, 480], hypotheses: 8, seed: 3 }],
    [300, { imageSize: [640, 480], hypotheses: 1, timesteps: TEN_STEPS, seed: 4 }],
  ];
  for (const [n, options] of cases) {
    it(`matches the f32 path within ${F16_TOLERANCE * 1000} mm on every adapter: batch ${n}, H ${options.hypotheses}, ${options.timesteps ? '10 steps' : '[12, 0]'}`, async function () {
      const kp = someKeypoints(n, 40 + n);
      const f32 = await model.lift(kp, { ...options, executor: 'fused', samples: true });
      const f16 = await model.lift(kp, { ...options, executor: 'fused-f16', samples: true });
      expect(f16.executor).to.equal('fused-f16');
      expect(model.lastCall('fused-f16')!.dispatches).to.equal(3);
      let max = 0;
      for (let i = 0; i < f32.samples!.length; i++) max = Math.max(max, Math.abs(f32.samples![i] - f16.samples![i]));
      worst = Math.max(worst, max);
      expect(max, 'max |f16 - f32| over every hypothesis').to.be.at.most(F16_TOLERANCE);
      // Not identical either: the f16 path really stores halves.
      expect(max).to.be.above(0);
    });
  }

  it('refuses weights outside the f16 range before any GPU work', async function () {
    const gpu = await testGpu(this);
    const weights = parseModelWeights(smallWeights());
    weights.denoiser.output.bias[0] = 1e6;
    let error: unknown;
    try {
      (await createFusedExecutor(gpu, weights, { precision: 'f16' })).dispose();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(InputError);
    expect((error as Error).message).to.match(/f16 range/);
  });
});
