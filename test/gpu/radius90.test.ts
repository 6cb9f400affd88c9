import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CALIBRATION_KEY, CAUSAL_CALIBRATION_KEY, type Calibration } from '../../src/model/calibration.js';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.js';
import { goldenPath } from '../helpers/golden.js';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { bandedConfidence, expectedBand } from '../helpers/bands.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

/**
 * radius90 of calibrated weights comes from the fused plans' aggregation dispatch
 * (shaders/aggregate.wgsl) and, for the CPU and per-op executors, from model/calibration.ts on
 * the host: the same radii from every path, and into a caller's buffer from liftBuffers.
 */
describe('radius90 on the GPU (aggregation dispatch)', function () {
  this.timeout(600_000);
  const N = 7;
  const kp = someKeypoints(N, 5);
  const conf = bandedConfidence(N);
  const options = { imageSize: [640, 480] as [number, number], confidence: conf, init: 'paper' as const, seed: 3 };

  it('fused, fused-f16, per-op and CPU lifts give the same radii (H = 8 and H = 1)', async function () {
    const { device } = await testGpu(this);
    const model = await DiffPose.load({ device });
    try {
      expect(model.weights.calibration, 'the shipped weights are calibrated').to.not.equal(undefined);
      for (const hypotheses of [8, 1]) {
        const cpu = await model.lift(kp, { ...options, hypotheses, executor: 'cpu' });
        for (const executor of ['fused', 'fused-f16', 'per-op'] as const) {
          const r = await model.lift(kp, { ...options, hypotheses, executor });
          // The radius follows the spread (scale <= 4): f16 spreads differ by up to a few mm.
          const tol = executor === 'fused-f16' ? 2e-2 : 1e-4;
          expectClose(r.radius90!, cpu.radius90!, tol, 0, `radius90, ${executor}, H = ${hypotheses}`);
        }
        if (hypotheses === 1) {
          const fixed = await model.lift(kp, { ...options, hypotheses, executor: 'fused' });
          const cal = model.weights.calibration!;
          // H = 1: exactly the table's radius of each joint's band, or its sigma scale times the
          // lifter's sigma for weights whose lifter predicts its error.
          for (let i = 0; i < N * 17; i++) {
            const j = i % 17;
            const band = expectedBand(conf, i);
            const what = `joint ${j} confidence ${conf[i]}, band ${band}`;
            if (cal.sigmaScale) {
              const want = Math.fround(cal.sigmaScale[j][band]) * fixed.sigma![i];
              expect(fixed.radius90![i], what).to.be.closeTo(want, 1e-6 * want);
            } else expect(fixed.radius90![i], what).to.equal(Math.fround(cal.single[j][band]));
          }
        }
      }
    } finally {
      model.dispose();
    }
  });

  it("liftBuffers writes lift()'s radii into the caller's buffer; refuses radius90 for uncalibrated weights", async function () {
    const { device } = await testGpu(this);
    const model = await DiffPose.load({ device });
    const uncalibrated = await DiffPose.load({ weights: smallWeights(), device });
    const make = (label: string, floats: number, usage: number) =>
      device.createBuffer({ label, size: floats * 4, usage: GPUBufferUsage.STORAGE | usage });
    const keypoints = make('test keypoints', N * 51, GPUBufferUsage.COPY_DST);
    const poses = make('test poses', N * 51, 0);
    const radius = make('test radius90', N * 17, GPUBufferUsage.COPY_SRC);
    const staging = device.createBuffer({
      label: 'test radius90 readback',
      size: N * 17 * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const packed = new Float32Array(N * 51);
      for (let i = 0; i < N * 17; i++) packed.set([kp[2 * i], kp[2 * i + 1], conf[i]], 3 * i);
      device.queue.writeBuffer(keypoints, 0, packed);
      const req = { imageSize: options.imageSize, init: options.init, seed: options.seed, hypotheses: 8, count: N };
      const expected = await model.lift(kp, { ...options, hypotheses: 8, executor: 'fused' });
      await model.liftBuffers({ ...req, keypoints, poses, radius90: radius });
      const encoder = device.createCommandEncoder({ label: 'test radius90 copy' });
      encoder.copyBufferToBuffer(radius, 0, staging, 0, N * 17 * 4);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      // The 2D mixtures are derived on the GPU here (on the host in lift()).
      expectClose(got, expected.radius90!, 1e-4, 0, "radius90 from the caller's buffer");
      let caught: unknown;
      try {
        await uncalibrated.liftBuffers({ ...req, keypoints, poses, radius90: radius });
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(/radius90 needs calibrated weights/);
      // Still usable after the refusal.
      await uncalibrated.liftBuffers({ ...req, keypoints, poses });
    } finally {
      model.dispose();
      uncalibrated.dispose();
      for (const b of [keypoints, poses, radius, staging]) b.destroy();
    }
  });

  it("a temporal file's windows use their own calibrations (H = 1: exactly each window's table), fused = CPU, alternating", async function () {
    const { device } = await testGpu(this);
    const bytes = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));
    const file = parseSafetensors(bytes);
    // Two made-up tables, far apart, so a lift that used the wrong one would show.
    const table = (v: number): Calibration => ({
      bands: [0.5, 0.8],
      offset: Array.from({ length: 17 }, (_, j) => [v, v + 0.01, v + 0.02 + j / 1000]),
      scale: Array.from({ length: 17 }, () => [1, 1.5, 2]),
      single: Array.from({ length: 17 }, (_, j) => [v + 0.1, v + 0.05, v + j / 1000]),
      fitted: 'test',
    });
    const cals = { offline: table(0.1), causal: table(0.3) };
    const temporalWeights = serializeSafetensors(file.tensors, {
      ...file.metadata,
      [CALIBRATION_KEY]: JSON.stringify(cals.offline),
      [CAUSAL_CALIBRATION_KEY]: JSON.stringify(cals.causal),
    });
    const opts = { temporalWeights };
    const model = await DiffPose.load({ ...opts, device });
    const cpu = await DiffPose.load({ ...opts, backend: 'cpu' });
    try {
      for (const causal of [true, false, true]) {
        const o = { ...options, hypotheses: 1, causal };
        const r = await model.liftSequence(kp, { ...o, executor: 'fused' });
        const ref = await cpu.liftSequence(kp, { ...o, executor: 'cpu' });
        expectClose(r.radius90!, ref.radius90!, 1e-6, 0, `causal=${causal}: fused vs CPU`);
        const cal = cals[causal ? 'causal' : 'offline'];
        for (let i = 0; i < N * 17; i++) {
          const band = expectedBand(conf, i);
          expect(r.radius90![i], `causal=${causal} joint ${i % 17}`).to.equal(Math.fround(cal.single[i % 17][band]));
        }
      }
      // H = 8 through a GPU stream (causal) after an offline lift: the causal table's line.
      await model.liftSequence(kp, { ...options, hypotheses: 8 });
      const stream = await model.createStream({ imageSize: options.imageSize, init: 'paper', seed: 3, hypotheses: 8 });
      try {
        const r = await stream.push(kp.subarray(0, 34), { confidence: conf.subarray(0, 17) });
        expect(Math.max(...r.spread), 'spread of 8 hypotheses').to.be.above(0);
        for (let j = 0; j < 17; j++) {
          const band = expectedBand(conf, j);
          const want = cals.causal.offset[j][band] + cals.causal.scale[j][band] * r.spread[j];
          expect(r.radius90![j]).to.be.closeTo(want, 1e-5);
        }
      } finally {
        stream.dispose();
      }
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });
});
