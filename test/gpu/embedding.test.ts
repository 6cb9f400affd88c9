import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { expectClose } from '../helpers/close.js';
import { readBack, testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

/** A WebGPU app embedding the engine: its device, its buffers in and out, its command encoder. */
describe('GPU-resident I/O in a caller-owned device', function () {
  this.timeout(600_000);
  const N = 9;
  const kp = someKeypoints(N, 21);
  const conf = new Float32Array(N * 17).map((_, i) => ((i * 5) % 11) / 10);
  const options = {
    imageSize: [640, 480] as [number, number],
    hypotheses: 4,
    init: 'paper' as const,
    seed: 8,
    eta: 0.3,
  };

  function packed(): Float32Array {
    const x = new Float32Array(N * 17 * 3);
    for (let i = 0; i < N * 17; i++) x.set([kp[2 * i], kp[2 * i + 1], conf[i]], 3 * i);
    return x;
  }

  it("writes the same poses and spread into the caller's buffers as lift(), recorded into the caller's encoder", async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: smallWeights(), device });
    const keypoints = device.createBuffer({
      label: 'app keypoints',
      size: N * 51 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const poses = device.createBuffer({
      label: 'app poses',
      size: N * 51 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | GPUBufferUsage.VERTEX,
    });
    const spread = device.createBuffer({
      label: 'app spread',
      size: N * 17 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    device.pushErrorScope('validation');
    try {
      device.queue.writeBuffer(keypoints, 0, packed() as Float32Array<ArrayBuffer>);
      const expected = await model.lift(kp, { ...options, confidence: conf, executor: 'fused' });

      const encoder = device.createCommandEncoder({ label: 'app frame' });
      await model.liftBuffers({ ...options, keypoints, poses, spread, count: N, encoder });
      const call = model.lastCall('fused')!;
      expect(call.submits, 'the engine submitted nothing').to.equal(0);
      expect(call.dispatches).to.equal(3);
      const got = await readBack(device, encoder, poses, N * 51 * 4);
      expectClose(got, expected.poses, 1e-4, 0, "poses from the caller's buffer");
      const gotSpread = await readBack(device, device.createCommandEncoder(), spread, N * 17 * 4);
      expectClose(gotSpread, expected.spread, 1e-4, 0, "spread from the caller's buffer");

      // Without an encoder the engine submits; the results land in the same buffers.
      device.queue.writeBuffer(poses, 0, new Float32Array(N * 51) as Float32Array<ArrayBuffer>);
      await model.liftBuffers({ ...options, keypoints, poses, count: N });
      expectClose(
        await readBack(device, device.createCommandEncoder(), poses, N * 51 * 4),
        expected.poses,
        1e-4,
        0,
        'poses, engine-submitted',
      );
    } finally {
      const error = await device.popErrorScope();
      expect(error?.message, 'no validation error').to.equal(undefined);
      model.dispose();
      keypoints.destroy();
      poses.destroy();
      spread.destroy();
    }
    // The caller's device outlives the engine.
    expect(device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }).size).to.equal(16);
  });

  it("runs the f16 plan too (executor: 'fused-f16'): the poses of lift() with fused-f16", async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: smallWeights(), device });
    const keypoints = device.createBuffer({
      label: 'app keypoints',
      size: N * 51 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const poses = device.createBuffer({
      label: 'app poses',
      size: N * 51 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    try {
      device.queue.writeBuffer(keypoints, 0, packed() as Float32Array<ArrayBuffer>);
      const f16 = await model.lift(kp, { ...options, confidence: conf, executor: 'fused-f16' });
      const f32 = await model.lift(kp, { ...options, confidence: conf, executor: 'fused' });
      await model.liftBuffers({ ...options, keypoints, poses, count: N, executor: 'fused-f16' });
      expect(model.lastCall('fused-f16')!.dispatches).to.equal(3);
      const got = await readBack(device, device.createCommandEncoder(), poses, N * 51 * 4);
      // The 2D normalisation runs on the GPU here (on the host in lift()): f16 rounding may differ a little.
      expectClose(got, f16.poses, 1e-3, 0, "poses from the caller's buffer, f16");
      let differs = false;
      for (let i = 0; i < got.length; i++) differs ||= got[i] !== f32.poses[i];
      expect(differs, 'the f16 plan ran, not the f32 one').to.equal(true);
      let caught: unknown;
      try {
        await model.liftBuffers({ ...options, keypoints, poses, count: N, executor: 'per-op' as never });
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(InputError);
    } finally {
      model.dispose();
      keypoints.destroy();
      poses.destroy();
    }
  });

  it('rejects unusable buffers before any GPU work', async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: smallWeights(), device });
    const good = device.createBuffer({ size: N * 51 * 4, usage: GPUBufferUsage.STORAGE });
    const small = device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    const noStorage = device.createBuffer({ size: N * 51 * 4, usage: GPUBufferUsage.COPY_DST });
    const out = device.createBuffer({ size: N * 51 * 4, usage: GPUBufferUsage.STORAGE });
    try {
      const base = { ...options, count: N };
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ keypoints: small, poses: out }, /keypoints has 64 bytes, 9 poses need 1836/],
        [{ keypoints: noStorage, poses: out }, /keypoints needs GPUBufferUsage.STORAGE/],
        [{ keypoints: good, poses: good }, /must be different buffers/],
        [{ keypoints: good, poses: out, count: 0 }, /count must be a positive integer/],
        [{ keypoints: good, poses: out, imageSize: [0, 1] }, /imageSize/],
        [{ keypoints: good, poses: out, hypotheses: 100 }, /hypotheses/],
      ];
      for (const [req, pattern] of cases) {
        let caught: unknown;
        try {
          await model.liftBuffers({ ...base, ...req } as never);
        } catch (e) {
          caught = e;
        }
        expect(caught, String(pattern)).to.be.instanceOf(InputError);
        expect((caught as Error).message).to.match(pattern);
      }
    } finally {
      model.dispose();
      for (const b of [good, small, noStorage, out]) b.destroy();
    }
  });
});
