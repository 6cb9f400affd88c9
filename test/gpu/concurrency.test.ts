import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose, type LiftResult } from '../../src/diffpose.js';
import type { LiftOptions } from '../../src/lift-options.js';
import { goldenPath } from '../helpers/golden.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

/** Bit equality of two results (NaN-free outputs: plain element comparison is exact). */
function expectSameBits(a: LiftResult, b: LiftResult, what: string): void {
  for (const key of ['poses', 'spread', 'samples'] as const) {
    const x = a[key],
      y = b[key];
    expect(x?.length, `${what}: ${key} length`).to.equal(y?.length);
    if (!x || !y) continue;
    const ux = new Uint32Array(x.buffer, x.byteOffset, x.length),
      uy = new Uint32Array(y.buffer, y.byteOffset, y.length);
    const first = ux.findIndex((v, i) => v !== uy[i]);
    expect(first, `${what}: ${key} differs first at ${first}`).to.equal(-1);
  }
}

interface Call {
  keypoints: Float32Array;
  options: LiftOptions;
}

/** Mixed calls: sizes (one pose: cooperative; many: per invocation), hypotheses, samples, seeds, executors. */
function mixedCalls(executors: LiftOptions['executor'][]): Call[] {
  const calls: Call[] = [];
  executors.forEach((executor, e) => {
    calls.push({
      keypoints: someKeypoints(1, 3 + e),
      options: { imageSize: [640, 480], hypotheses: 1, executor, seed: 1 },
    });
    calls.push({
      keypoints: someKeypoints(5, 4 + e),
      options: { imageSize: [640, 480], hypotheses: 8, samples: true, executor, seed: 2 },
    });
    calls.push({
      keypoints: someKeypoints(3, 5 + e),
      options: { imageSize: [640, 480], hypotheses: 3, samples: true, init: 'official', executor, seed: 3 },
    });
    calls.push({
      keypoints: someKeypoints(9, 6 + e),
      options: { imageSize: [640, 480], hypotheses: 2, executor, seed: 4, timesteps: [20, 10, 0] },
    });
  });
  return calls;
}

describe('concurrent calls on one model give the bits of the same calls made one after another', () => {
  it('lift: fused, fused-f16, per-op and cpu calls started together (Promise.all), twice over; racing first calls make one executor each', async function () {
    const gpu = await testGpu(this);
    const calls = mixedCalls(['fused', 'fused-f16', 'per-op', 'cpu']);
    // The shared test device: its pipelines are compiled once, so the racing calls really overlap.
    const serial = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    const expected: LiftResult[] = [];
    for (const c of calls) expected.push(await serial.lift(c.keypoints, c.options));
    serial.dispose();

    const model = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    // Weight buffers made while the first calls race: one per GPU executor, not one per call.
    const weightBuffers: string[] = [];
    const create = gpu.device.createBuffer;
    gpu.device.createBuffer = function (descriptor: GPUBufferDescriptor) {
      if (/weights/.test(descriptor.label ?? '')) weightBuffers.push(descriptor.label!);
      return create.call(this, descriptor);
    };
    let results: LiftResult[];
    const all = [...calls, ...calls];
    try {
      results = await Promise.all(all.map((c) => model.lift(c.keypoints, c.options)));
    } finally {
      gpu.device.createBuffer = create;
    }
    results.forEach((r, i) => expectSameBits(r, expected[i % calls.length], `call ${i} (${all[i].options.executor})`));
    expect(weightBuffers.sort(), 'weight buffers created by the racing first calls').to.deep.equal([
      'fused: weights',
      'fused: weights',
      'fused: weights (f16)',
      'per-op: weights',
    ]);
    // The model is still usable afterwards.
    expectSameBits(await model.lift(calls[1].keypoints, calls[1].options), expected[1], 'after the race');
    model.dispose();
  });

  it('liftBuffers calls overlapping lift calls give the bits of the serial calls', async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: smallWeights(), device });
    const kp = someKeypoints(4, 9);
    const withConfidence = new Float32Array(4 * 17 * 3);
    for (let i = 0; i < 4 * 17; i++) withConfidence.set([kp[2 * i], kp[2 * i + 1], 1], 3 * i);
    const buffers = [0, 1, 2].map((i) => {
      const keypoints = device.createBuffer({
        label: `test keypoints ${i}`,
        size: withConfidence.byteLength,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(keypoints, 0, withConfidence);
      const poses = device.createBuffer({
        label: `test poses ${i}`,
        size: 4 * 17 * 3 * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      return { keypoints, poses };
    });
    const read = async (b: GPUBuffer): Promise<Float32Array> => {
      const staging = device.createBuffer({
        label: 'test readback',
        size: b.size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(b, 0, staging, 0, b.size);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return out;
    };
    const request = (i: number) => ({
      ...buffers[i],
      count: 4,
      imageSize: [640, 480] as const,
      hypotheses: 1 + 3 * i,
      seed: i,
    });
    await model.liftBuffers(request(0));
    await model.liftBuffers(request(1));
    await model.liftBuffers(request(2));
    const expected = await Promise.all(buffers.map((b) => read(b.poses)));
    const lifted = await model.lift(kp, { imageSize: [640, 480], hypotheses: 8, samples: true, seed: 5 });
    for (const b of buffers) device.queue.writeBuffer(b.poses, 0, new Float32Array(4 * 17 * 3));

    const [, , , raced] = await Promise.all([
      model.liftBuffers(request(0)),
      model.liftBuffers(request(1)),
      model.liftBuffers(request(2)),
      model.lift(kp, { imageSize: [640, 480], hypotheses: 8, samples: true, seed: 5 }),
    ]);
    expectSameBits(raced, lifted, 'lift raced with liftBuffers');
    const got = await Promise.all(buffers.map((b) => read(b.poses)));
    got.forEach((g, i) => expect(Array.from(g), `liftBuffers ${i}`).to.deep.equal(Array.from(expected[i])));
    model.dispose();
    for (const b of buffers) {
      b.keypoints.destroy();
      b.poses.destroy();
    }
  });

  it('stream pushes on two streams, sequence lifts of both windows and frame lifts started together give the serial bits, and a disposed stream refuses its pending pushes', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({
      weights: new URL('../../weights/diffpose.safetensors', import.meta.url),
      temporalWeights: new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors'))),
      device: gpu.device,
    });
    const image = [640, 480] as const;
    /** Per round: a push of 2 tracks, one of 3 tracks with 2 hypotheses, a frame lift, a sequence lift (offline / causal in turn). */
    const run = async (together: boolean): Promise<Float32Array[]> => {
      const a = await model.createStream({ imageSize: image, hypotheses: 1 });
      const b = await model.createStream({ imageSize: image, hypotheses: 2, seed: 3 });
      const calls: Array<() => Promise<Float32Array>> = [];
      for (let i = 0; i < 5; i++) {
        calls.push(() => a.push(someKeypoints(2, 10 + i)).then((r) => r.poses));
        calls.push(() => b.push(someKeypoints(3, 20 + i)).then((r) => r.poses));
        calls.push(() =>
          model.lift(someKeypoints(4, 30 + i), { imageSize: image, hypotheses: 2 }).then((r) => r.poses),
        );
        calls.push(() =>
          model.liftSequence(someKeypoints(7, 40 + i), { imageSize: image, causal: i % 2 === 0 }).then((r) => r.poses),
        );
      }
      const out: Float32Array[] = [];
      if (together) out.push(...(await Promise.all(calls.map((c) => c()))));
      else for (const c of calls) out.push(await c());
      a.dispose();
      b.dispose();
      return out;
    };
    const serial = await run(false);
    const raced = await run(true);
    raced.forEach((r, i) => expect(Array.from(r), `call ${i}`).to.deep.equal(Array.from(serial[i])));
    const c = await model.createStream({ imageSize: image });
    const pending = [c.push(someKeypoints(1, 1)), c.push(someKeypoints(1, 2))];
    c.dispose();
    for (const p of pending) {
      let caught: unknown;
      try {
        await p;
      } catch (e) {
        caught = e;
      }
      expect((caught as Error)?.message).to.match(/this stream was disposed/);
    }
    const after = await model.lift(someKeypoints(1, 1), { imageSize: image });
    expect(after.poses.every(Number.isFinite), 'the model is still usable').to.equal(true);
    model.dispose();
  });

  it('two models on one adopted device, called at once, give their serial bits', async function () {
    const gpu = await testGpu(this);
    const a = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    const b = await DiffPose.load({ weights: smallWeights(12), device: gpu.device });
    const calls = mixedCalls(['fused', 'per-op']);
    const expectedA: LiftResult[] = [],
      expectedB: LiftResult[] = [];
    for (const c of calls) {
      expectedA.push(await a.lift(c.keypoints, c.options));
      expectedB.push(await b.lift(c.keypoints, c.options));
    }
    const results = await Promise.all(
      calls.flatMap((c) => [a.lift(c.keypoints, c.options), b.lift(c.keypoints, c.options)]),
    );
    results.forEach((r, i) => expectSameBits(r, (i % 2 ? expectedB : expectedA)[i >> 1], `call ${i}`));
    a.dispose();
    b.dispose();
  });
});
