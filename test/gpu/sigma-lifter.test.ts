import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import type { ExecutorName } from '../../src/lift-options.js';
import { CALIBRATION_KEY, type Calibration } from '../../src/model/calibration.js';
import { gmmInitRef } from '../../src/model/gmm-init.js';
import { withXyzNoiseGain } from '../../src/model/noise-gain.js';
import { parseSafetensors, serializeSafetensors, type WritableTensor } from '../../src/model/safetensors.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenPath } from '../helpers/golden.js';
import { readBack, testGpu } from '../helpers/gpu.js';
import { bandedConfidence, expectedBand } from '../helpers/bands.js';
import { someKeypoints, withLifter } from '../helpers/models.js';

// A lifter that also predicts each joint's error (lifter coordsOut 4: log sigma last; docs/uncertainty.md)
// through every executor: PyTorch's outputs (train/fixtures.py sigma_fixture), the CPU reference,
// per-op, fused f32 and f16, the GPU-resident buffer lift. Its sigma is LiftResult.sigma and the
// paper init's xyz noise std per joint.
const golden = JSON.parse(readFileSync(goldenPath('golden-sigma.json'), 'utf8'));
const sigmaWeights = new Uint8Array(readFileSync(goldenPath('tiny-sigma.safetensors')));
const plainWeights = new Uint8Array(readFileSync(goldenPath('tiny-confidence.safetensors')));

/** The golden uv as pixels of a 2 x 2 image (uv = p - 1). */
function goldenKeypoints(): { keypoints: Float32Array; confidence: Float32Array } {
  return { keypoints: f32(golden.uv).map((v) => v + 1), confidence: f32(golden.confidence) };
}

describe('a lifter that predicts its own error (coordsOut 4)', function () {
  this.timeout(600_000);

  it('matches PyTorch on every executor: poses (official init) and sigma', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: sigmaWeights, device: gpu.device });
    const cpu = await DiffPose.load({ weights: sigmaWeights, backend: 'cpu' });
    try {
      expect(model.weights.config.lifter.coordsOut).to.equal(4);
      const { keypoints, confidence } = goldenKeypoints();
      const opts = { imageSize: [2, 2] as const, init: 'official' as const, timesteps: [12, 0], confidence };
      const want = f32(golden.xyz),
        wantSigma = f32(golden.sigma);
      const ref = await cpu.lift(keypoints, { ...opts, executor: 'cpu' });
      expectClose(ref.poses, want, 1e-4, 0, 'CPU reference vs PyTorch');
      expectClose(ref.sigma!, wantSigma, 1e-5, 1e-4, 'CPU sigma vs PyTorch');
      for (const executor of ['per-op', 'fused'] as ExecutorName[]) {
        const r = await model.lift(keypoints, { ...opts, executor });
        expectClose(r.poses, want, 1e-4, 0, `${executor} vs PyTorch`);
        expectClose(r.sigma!, wantSigma, 1e-5, 1e-4, `${executor} sigma vs PyTorch`);
      }
      const half = await model.lift(keypoints, { ...opts, executor: 'fused-f16' });
      expectClose(half.poses, want, 5e-3, 2e-2, 'fused-f16 vs PyTorch');
      expectClose(half.sigma!, wantSigma, 2e-3, 2e-2, 'fused-f16 sigma vs PyTorch');
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });

  for (const n of [1, 7, 300]) {
    it(`paper init from sigma: fused = per-op = CPU reference within 1e-4 m, batch ${n}, H 8`, async function () {
      const gpu = await testGpu(this);
      const model = await DiffPose.load({ weights: sigmaWeights, device: gpu.device, maxBatch: 1024 });
      const cpu = await DiffPose.load({ weights: sigmaWeights, backend: 'cpu' });
      try {
        const keypoints = someKeypoints(n, n + 5);
        const confidence = Float32Array.from({ length: n * 17 }, (_, i) => ((i * 13) % 17) / 16);
        const opts = { imageSize: [640, 480] as const, hypotheses: 8, init: 'paper' as const, seed: n, confidence };
        const ref = await cpu.lift(keypoints, { ...opts, executor: 'cpu' });
        for (const executor of ['fused', 'per-op'] as ExecutorName[]) {
          const r = await model.lift(keypoints, { ...opts, executor });
          expectClose(r.poses, ref.poses, 1e-4, 0, `${executor} vs CPU`);
          expectClose(r.spread, ref.spread, 1e-4, 0, `${executor} spread vs CPU`);
          expectClose(r.sigma!, ref.sigma!, 1e-5, 1e-4, `${executor} sigma vs CPU`);
        }
      } finally {
        model.dispose();
        cpu.dispose();
      }
    });
  }

  it('per-joint xyz noise gains of the config (diffusion.xyzNoiseGain): fused = per-op = CPU, and they change the lift', async function () {
    const gpu = await testGpu(this);
    const gained = withXyzNoiseGain(
      sigmaWeights,
      Array.from({ length: 17 }, (_, j) => 0.5 + 0.1 * j),
    );
    const model = await DiffPose.load({ weights: gained, device: gpu.device });
    const cpu = await DiffPose.load({ weights: gained, backend: 'cpu' });
    const plain = await DiffPose.load({ weights: sigmaWeights, backend: 'cpu' });
    try {
      const keypoints = someKeypoints(7, 12);
      const opts = { imageSize: [640, 480] as const, hypotheses: 8, init: 'paper' as const, seed: 3 };
      const ref = await cpu.lift(keypoints, { ...opts, executor: 'cpu' });
      for (const executor of ['fused', 'per-op'] as ExecutorName[]) {
        const r = await model.lift(keypoints, { ...opts, executor });
        expectClose(r.poses, ref.poses, 1e-4, 0, `${executor} vs CPU`);
        expectClose(r.spread, ref.spread, 1e-4, 0, `${executor} spread vs CPU`);
      }
      const without = await plain.lift(keypoints, { ...opts, executor: 'cpu' });
      expect(Math.max(...ref.spread.map((v, i) => Math.abs(v - without.spread[i])))).to.be.above(1e-3);
    } finally {
      model.dispose();
      cpu.dispose();
      plain.dispose();
    }
  });

  it("the paper init draws each joint's xyz with std sigma: the same normals as sqrt(1 - a), rescaled", function () {
    const poses = 3,
      hypotheses = 2,
      J = 17;
    const gmm = new Float32Array(poses * J * 5);
    for (let i = 0; i < poses * J; i++) gmm.set([1, 0.01 * i, -0.02 * i, 0.01, 0.02], i * 5);
    const lifterXyz = Float32Array.from({ length: poses * J * 3 }, (_, i) => Math.sin(i));
    const xyzStd = Float32Array.from({ length: poses * J }, (_, i) => 0.02 + 0.01 * (i % 7));
    const base = {
      poses,
      hypotheses,
      components: 1,
      gmm,
      lifterXyz,
      mode: 'paper' as const,
      sqrtA: 0.99,
      sqrtOneMinusA: 0.05,
      key: [7, 9] as const,
      poseOffset: 4,
    };
    const plain = gmmInitRef(base);
    const scaled = gmmInitRef({ ...base, xyzStd });
    let checked = 0;
    for (let n = 0; n < poses; n++)
      for (let h = 0; h < hypotheses; h++)
        for (let j = 0; j < J; j++) {
          const o = ((n * hypotheses + h) * J + j) * 5;
          // The 2D is drawn as before.
          expect(scaled[o]).to.equal(plain[o]);
          expect(scaled[o + 1]).to.equal(plain[o + 1]);
          for (let c = 0; c < 3; c++) {
            const centre = 0.99 * lifterXyz[(n * J + j) * 3 + c];
            const normal = (plain[o + 2 + c] - centre) / 0.05;
            expect(scaled[o + 2 + c] - centre).to.be.closeTo(xyzStd[n * J + j] * normal, 1e-6);
            checked++;
          }
        }
    expect(checked).to.equal(poses * hypotheses * J * 3);
  });

  it('a wider sigma widens the hypotheses (the spread follows the lifter)', async function () {
    const gpu = await testGpu(this);
    const wide = await DiffPose.load({ weights: withSigmaShift(sigmaWeights, Math.log(4)), device: gpu.device });
    const model = await DiffPose.load({ weights: sigmaWeights, device: gpu.device });
    try {
      const keypoints = someKeypoints(20, 3);
      const opts = { imageSize: [640, 480] as const, hypotheses: 8, init: 'paper' as const, seed: 2 };
      const a = await model.lift(keypoints, opts);
      const b = await wide.lift(keypoints, opts);
      expectClose(
        b.sigma!,
        a.sigma!.map((s) => 4 * s),
        1e-6,
        1e-5,
        'sigma x 4',
      );
      const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
      expect(mean(b.spread)).to.be.above(2 * mean(a.spread));
    } finally {
      model.dispose();
      wide.dispose();
    }
  });

  it('liftBuffers copies sigma out; weights without it have no sigma and refuse the buffer', async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: sigmaWeights, device });
    const plain = await DiffPose.load({ weights: plainWeights, device });
    const n = 7;
    const keypoints = someKeypoints(n, 9);
    const rows = new Float32Array(n * 17 * 3);
    for (let i = 0; i < n * 17; i++) rows.set([keypoints[2 * i], keypoints[2 * i + 1], 1], 3 * i);
    const make = (label: string, bytes: number, usage: number) =>
      device.createBuffer({ label: `test: ${label}`, size: bytes, usage });
    const input = make('keypoints', rows.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    const poses = make('poses', n * 51 * 4, GPUBufferUsage.STORAGE);
    const sigma = make('sigma', n * 17 * 4, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC);
    const storageOnly = make('sigma without COPY_DST', n * 17 * 4, GPUBufferUsage.STORAGE);
    try {
      device.queue.writeBuffer(input, 0, rows as Float32Array<ArrayBuffer>);
      const options = { imageSize: [640, 480] as const, hypotheses: 4, init: 'paper' as const, seed: 3 };
      for (const executor of ['fused', 'fused-f16'] as const) {
        await model.liftBuffers({ ...options, keypoints: input, poses, sigma, count: n, executor });
        const got = await readBack(device, device.createCommandEncoder(), sigma, n * 17 * 4);
        const host = await model.lift(keypoints, { ...options, executor });
        expectClose(got, host.sigma!, 1e-6, 1e-6, `${executor}: buffer sigma vs host sigma`);
      }
      let err: unknown;
      await model.liftBuffers({ ...options, keypoints: input, poses, sigma: storageOnly, count: n }).catch((e) => {
        err = e;
      });
      expect(String(err)).to.match(/sigma needs GPUBufferUsage.COPY_DST/);
      err = undefined;
      await plain.liftBuffers({ ...options, keypoints: input, poses, sigma, count: n }).catch((e) => (err = e));
      expect(String(err)).to.match(/sigma needs weights whose lifter predicts its error/);
      const r = await plain.lift(keypoints, options);
      expect(r.sigma).to.equal(undefined);
      // Both models still lift after the refusals.
      expect((await model.lift(keypoints, options)).sigma!.length).to.equal(n * 17);
    } finally {
      for (const b of [input, poses, sigma, storageOnly]) b.destroy();
      model.dispose();
      plain.dispose();
    }
  });

  it("radius90 with one hypothesis scales the lifter's sigma: fused, fused-f16, per-op, CPU and liftBuffers agree", async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const cal: Calibration = {
      bands: [0.5, 0.8],
      offset: Array.from({ length: 17 }, () => [0.05, 0.04, 0.03]),
      scale: Array.from({ length: 17 }, () => [1, 1.5, 2]),
      single: Array.from({ length: 17 }, () => [0.3, 0.2, 0.1]),
      sigmaScale: Array.from({ length: 17 }, (_, j) => [3 + 0.1 * j, 2.5 + 0.1 * j, 2 + 0.1 * j]),
      fitted: 'test',
    };
    const file = parseSafetensors(sigmaWeights);
    const weights = serializeSafetensors(file.tensors, { ...file.metadata, [CALIBRATION_KEY]: JSON.stringify(cal) });
    const model = await DiffPose.load({ weights, device });
    const n = 7;
    const keypoints = someKeypoints(n, 21);
    const confidence = bandedConfidence(n);
    const rows = new Float32Array(n * 17 * 3);
    for (let i = 0; i < n * 17; i++) rows.set([keypoints[2 * i], keypoints[2 * i + 1], confidence[i]], 3 * i);
    const input = device.createBuffer({
      label: 'test: keypoints',
      size: rows.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const poses = device.createBuffer({ label: 'test: poses', size: n * 51 * 4, usage: GPUBufferUsage.STORAGE });
    const radius = device.createBuffer({
      label: 'test: radius90',
      size: n * 17 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    try {
      device.queue.writeBuffer(input, 0, rows as Float32Array<ArrayBuffer>);
      const opts = { imageSize: [640, 480] as const, confidence, hypotheses: 1, init: 'paper' as const, seed: 4 };
      const cpu = await model.lift(keypoints, { ...opts, executor: 'cpu' });
      for (let i = 0; i < n * 17; i++) {
        const band = expectedBand(confidence, i);
        const want = cal.sigmaScale![i % 17][band] * cpu.sigma![i];
        expect(cpu.radius90![i], `joint ${i % 17} band ${band}`).to.be.closeTo(want, 1e-6 * want);
      }
      for (const executor of ['fused', 'per-op', 'fused-f16'] as const) {
        const r = await model.lift(keypoints, { ...opts, executor });
        const tol = executor === 'fused-f16' ? 2e-2 : 1e-5;
        expectClose(r.radius90!, cpu.radius90!, tol, tol, `radius90 H = 1, ${executor}`);
      }
      const { confidence: _, ...bufferOpts } = opts;
      await model.liftBuffers({ ...bufferOpts, keypoints: input, poses, radius90: radius, count: n });
      const got = await readBack(device, device.createCommandEncoder(), radius, n * 17 * 4);
      expectClose(got, cpu.radius90!, 1e-5, 1e-5, 'radius90 H = 1, liftBuffers');
      // With H >= 2 the spread rule applies, as before.
      const multi = await model.lift(keypoints, { ...opts, hypotheses: 4, executor: 'fused' });
      for (let i = 0; i < n * 17; i++) {
        const band = expectedBand(confidence, i);
        const want = cal.offset[i % 17][band] + cal.scale[i % 17][band] * multi.spread[i];
        expect(multi.radius90![i]).to.be.closeTo(want, 1e-5);
      }
    } finally {
      for (const b of [input, poses, radius]) b.destroy();
      model.dispose();
    }
  });

  it('a temporal file with such a lifter is refused at load, with the reason', async function () {
    const temporal = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));
    let err: unknown;
    await DiffPose.load({
      weights: sigmaWeights,
      temporalWeights: withLifter(temporal, sigmaWeights),
      backend: 'cpu',
    })
      .then((m) => m.dispose())
      .catch((e) => (err = e));
    expect(String(err)).to.match(/"lifter" must map 2 or 3 -> 3 coordinates, got 3 -> 4/);
  });
});

/** The file with its lifter's log sigma raised by `shift` (sigma x e^shift): the 4th output channel's bias. */
function withSigmaShift(file: Uint8Array, shift: number): Uint8Array {
  const f = parseSafetensors(file);
  const tensors = new Map<string, WritableTensor>();
  for (const [name, t] of f.tensors) {
    const data = Float32Array.from(t.data as Float32Array);
    if (name === 'lifter.gconv_output.bias') data[3] += shift;
    tensors.set(name, { shape: t.shape, data });
  }
  return serializeSafetensors(tensors, f.metadata);
}
