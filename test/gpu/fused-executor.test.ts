import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import type { LiftOptions } from '../../src/lift-options.js';
import { resolveSettings } from '../../src/lift-options.js';
import { parseModelWeights } from '../../src/model/weights.js';
import { prepareInput } from '../../src/pose/input.js';
import { chooseFusedShape, createFusedExecutor, type FusedShape } from '../../src/schedule/fused-executor.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenJson, goldenPath } from '../helpers/golden.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

// The first dispatch of a fused pipeline JIT-compiles a large shader: tens of seconds on lavapipe.
const COMPILE_TIMEOUT = 600_000;
const TEN_STEPS = [45, 40, 35, 30, 25, 20, 15, 10, 5, 0];

describe('fused GPU executor', function () {
  this.timeout(COMPILE_TIMEOUT);
  let model: DiffPose;

  before(async function () {
    const gpu = await testGpu(this);
    // maxBatch 1024 items: 5000 poses run as chunks of the same plan.
    model = await DiffPose.load({ weights: smallWeights(), device: gpu.device, maxBatch: 1024 });
  });
  after(() => model?.dispose());

  const cases: Array<[number, LiftOptions, boolean]> = [
    [1, { imageSize: [640, 480], hypotheses: 1, init: 'official' }, true],
    [1, { imageSize: [640, 480], hypotheses: 8, init: 'paper', seed: 2, timesteps: TEN_STEPS, eta: 0.5 }, true],
    [7, { imageSize: [640, 480], hypotheses: 8, init: 'paper', seed: 5 }, true],
    [7, { imageSize: [1280, 720], hypotheses: 1, init: 'paper', seed: 6, timesteps: TEN_STEPS }, true],
    [300, { imageSize: [1920, 1080], hypotheses: 1, init: 'paper', seed: 9 }, true],
    [300, { imageSize: [640, 480], hypotheses: 8, init: 'paper', seed: 10, timesteps: TEN_STEPS }, false],
    [5000, { imageSize: [640, 480], hypotheses: 1, init: 'paper', seed: 11 }, false],
  ];
  for (const [n, options, withCpu] of cases) {
    it(`fused = per-op${withCpu ? ' = CPU reference' : ''} within 1e-4 m: batch ${n}, H ${options.hypotheses}, ${options.timesteps ? `${options.timesteps.length} steps` : '[12, 0]'}`, async () => {
      const kp = someKeypoints(n, n + 1);
      const conf = new Float32Array(n * 17).map((_, i) => ((i * 3) % 10) / 10);
      const opts = { ...options, confidence: conf, samples: true };
      const fused = await model.lift(kp, { ...opts, executor: 'fused' });
      const perOp = await model.lift(kp, { ...opts, executor: 'per-op' });
      expect(fused.executor).to.equal('fused');
      expectClose(fused.poses, perOp.poses, 1e-4, 0, 'poses fused vs per-op');
      expectClose(fused.spread, perOp.spread, 1e-4, 0, 'spread fused vs per-op');
      expectClose(fused.samples!, perOp.samples!, 1e-4, 0, 'samples fused vs per-op');
      if (withCpu) {
        const cpu = await model.lift(kp, { ...opts, executor: 'cpu' });
        expectClose(fused.poses, cpu.poses, 1e-4, 0, 'poses fused vs CPU');
        expectClose(fused.spread, cpu.spread, 1e-4, 0, 'spread fused vs CPU');
      }
    });
  }

  it('runs a lift in at most 3 dispatches and 1 submit, whatever the batch, hypotheses and steps', async function () {
    const gpu = await testGpu(this);
    const weights = parseModelWeights(smallWeights());
    const executor = await createFusedExecutor(gpu, weights, { maxItems: 4096 });
    try {
      for (const [n, H, timesteps] of [
        [1, 1, [12, 0]],
        [64, 8, TEN_STEPS],
        [500, 8, [12, 0]],
      ] as const) {
        const batch = prepareInput({ keypoints: someKeypoints(n), imageSize: [640, 480] });
        await executor.run(batch, resolveSettings({ imageSize: [640, 480], hypotheses: H, timesteps }, weights.config));
        expect(executor.counter.lastDispatches, `dispatches at n=${n} H=${H}`).to.be.at.most(3);
        expect(executor.counter.lastSubmits, `submits at n=${n} H=${H}`).to.equal(1);
      }
    } finally {
      executor.dispose();
    }
  });

  it('times each dispatch on the GPU when profiling, without changing the result', async function () {
    const gpu = await testGpu(this);
    const profiled = await DiffPose.load({ weights: smallWeights(), device: gpu.device, maxBatch: 64, profile: true });
    try {
      const kp = someKeypoints(100, 8);
      const opts: LiftOptions = { imageSize: [640, 480], hypotheses: 2, seed: 3, executor: 'fused' };
      const r = await profiled.lift(kp, opts);
      const call = profiled.lastCall('fused')!;
      // 100 poses x 2 hypotheses in plans of 64 items: 4 chunks, 3 dispatches each.
      expect(call.dispatches).to.equal(12);
      expect(call.submits).to.equal(4);
      if (gpu.caps.timestampQuery) {
        expect(call.gpuTimes!.map((t) => t.label)).to.deep.equal(['fused lifter', 'fused denoise', 'fused aggregate']);
        for (const t of call.gpuTimes!) expect(t.ms, t.label).to.be.a('number').and.at.least(0).and.below(60_000);
        expect(call.gpuTimes![1].ms, 'the denoise dispatch takes measurable time').to.be.above(0);
      } else {
        expect(call.gpuTimes, 'no timestamps without the feature').to.equal(undefined);
      }
      expect(Array.from(r.poses)).to.deep.equal(Array.from((await model.lift(kp, opts)).poses));
    } finally {
      profiled.dispose();
    }
  });

  it('gives bit-identical results with the cooperative and every per-invocation variant', async function () {
    const gpu = await testGpu(this);
    const weights = parseModelWeights(smallWeights());
    // The subgroup forms run where subgroups are exactly 8 lanes: lavapipe has them, so there they must be used.
    const subgroups = chooseFusedShape(gpu, 16).subgroups;
    if (/llvmpipe/i.test(gpu.adapter.description)) expect(subgroups, 'subgroup kernels on lavapipe').to.equal(true);
    // laneSlots 16: per-invocation rounds of 16 items in two workgroups of 8, the second
    // workgroup with no item in the last round (it skips it, lib/run.wgsl group_rounds).
    const shapes: Array<Partial<FusedShape>> = [
      { laneFrom: Infinity, subgroups: false, groupSize: 32 },
      { laneFrom: 1, subgroups: false },
      { laneFrom: 1, subgroups: false, laneSlots: 16 },
      ...(subgroups
        ? [
            { laneFrom: Infinity, subgroups: true },
            { laneFrom: 1, subgroups: true },
            { laneFrom: 1, subgroups: true, laneSlots: 16 },
          ]
        : []),
    ];
    const executors = await Promise.all(shapes.map((shape) => createFusedExecutor(gpu, weights, { shape })));
    try {
      // 9 poses x 4 hypotheses: the last per-invocation round has idle lanes (36 items in workgroups of 8).
      const batch = prepareInput({ keypoints: someKeypoints(9), imageSize: [640, 480] });
      const s = resolveSettings(
        { imageSize: [640, 480], hypotheses: 4, eta: 0.2, seed: 4, samples: true },
        weights.config,
      );
      const [first, ...others] = await Promise.all(executors.map((e) => e.run(batch, s)));
      expect(first.samples.every(Number.isFinite), 'finite samples').to.equal(true);
      for (const [i, r] of others.entries()) {
        expect(Array.from(r.samples), `variant ${JSON.stringify(shapes[i + 1])}`).to.deep.equal(
          Array.from(first.samples),
        );
        expect(Array.from(r.mean), `variant ${JSON.stringify(shapes[i + 1])}`).to.deep.equal(Array.from(first.mean));
      }
    } finally {
      for (const e of executors) e.dispose();
    }
  });

  it('is bit-identical for the same seed whatever the batch size', async () => {
    const kp = someKeypoints(40, 3);
    const opts: LiftOptions = {
      imageSize: [640, 480],
      hypotheses: 8,
      init: 'paper',
      seed: 123,
      eta: 1,
      samples: true,
      executor: 'fused',
    };
    const all = await model.lift(kp, opts);
    const head = await model.lift(kp.subarray(0, 3 * 34), opts);
    expect(Array.from(head.samples!)).to.deep.equal(Array.from(all.samples!.subarray(0, 3 * 8 * 51)));
    const again = await model.lift(kp, opts);
    expect(Array.from(again.poses)).to.deep.equal(Array.from(all.poses));
    // A sequence lifted in pieces with poseOffset draws exactly what one call draws.
    const tail = await model.lift(kp.subarray(25 * 34), { ...opts, poseOffset: 25 });
    expect(Array.from(tail.samples!)).to.deep.equal(Array.from(all.samples!.subarray(25 * 8 * 51)));
  });

  it('wraps pose counters at 2^32, across chunks too, on every executor', async function () {
    const gpu = await testGpu(this);
    // 64 items (the fused plan's least): chunks of 8 poses at H = 8, so the ninth pose starts a chunk at counter 2^32.
    const small = await DiffPose.load({ weights: smallWeights(), device: gpu.device, maxBatch: 64 });
    try {
      const kp = someKeypoints(10, 4);
      for (const executor of ['fused', 'per-op', 'cpu'] as const) {
        const opts: LiftOptions = {
          imageSize: [640, 480],
          hypotheses: 8,
          init: 'paper',
          seed: 7,
          samples: true,
          executor,
        };
        const wrapped = await small.lift(kp, { ...opts, poseOffset: 2 ** 32 - 8 });
        const fromZero = await small.lift(kp.subarray(8 * 34), { ...opts, poseOffset: 0 });
        expect(Array.from(wrapped.samples!.subarray(8 * 8 * 51)), executor).to.deep.equal(
          Array.from(fromZero.samples!),
        );
      }
    } finally {
      small.dispose();
    }
  });

  it('matches PyTorch on the golden fixture (official init, timesteps [12, 0])', async function () {
    const gpu = await testGpu(this);
    const golden = await DiffPose.load({ weights: goldenPath('tiny.safetensors').pathname, device: gpu.device });
    try {
      const g = goldenJson();
      const kp = f32(g.sampling.uv).map((v) => v + 1); // uv -> pixels of a 2x2 image
      const r = await golden.lift(kp, { imageSize: [2, 2], init: 'official', timesteps: [12, 0], executor: 'fused' });
      expectClose(r.poses, f32(g.sampling.xyz), 1e-4, 0, 'xyz vs PyTorch');
    } finally {
      golden.dispose();
    }
  });
});
