import { expect } from 'chai';
import { DeviceEvent, DiffPose, type LiftResult } from '../../src/diffpose.js';
import { DiffPoseError } from '../../src/errors.js';
import { acquireGpu } from '../../src/gpu/context.js';
import type { LiftOptions } from '../../src/lift-options.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

async function caught(p: Promise<unknown>): Promise<DiffPoseError> {
  try {
    await p;
  } catch (e) {
    // Whatever went wrong, the caller sees a DiffPoseError with a code.
    expect(e, `${(e as Error)?.stack}`).to.be.instanceOf(DiffPoseError);
    return e as DiffPoseError;
  }
  throw new Error('expected the call to fail');
}

const KP = someKeypoints(6, 21);
const OPTIONS: LiftOptions = { imageSize: [640, 480], hypotheses: 4, samples: true, seed: 9 };

function expectSame(a: LiftResult, b: LiftResult): void {
  expect(Array.from(a.poses)).to.deep.equal(Array.from(b.poses));
  expect(Array.from(a.samples!)).to.deep.equal(Array.from(b.samples!));
}

/** Replaces `object[key]` for the duration of `body`. */
async function patched<T extends object, K extends keyof T, R>(
  object: T,
  key: K,
  value: T[K],
  body: () => Promise<R>,
): Promise<R> {
  const original = object[key];
  object[key] = value;
  try {
    return await body();
  } finally {
    object[key] = original;
  }
}

describe('failures are isolated: after any failed call the next valid call succeeds with the same bits', () => {
  let model: DiffPose;
  let reference: LiftResult;

  before(async function () {
    const gpu = await testGpu(this);
    model = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    reference = await model.lift(KP, OPTIONS);
  });
  after(() => model?.dispose());

  it('bad input', async () => {
    expect((await caught(model.lift(KP, { ...OPTIONS, hypotheses: 0 }))).code).to.equal('INPUT');
    expect((await caught(model.lift(KP.subarray(1), OPTIONS))).code).to.equal('INPUT');
    expectSame(await model.lift(KP, OPTIONS), reference);
  });

  it('a GPU validation error: a caller buffer destroyed while the call waits for the GPU', async function () {
    const { device } = await testGpu(this);
    const keypoints = device.createBuffer({
      label: 'test keypoints',
      size: 6 * 17 * 3 * 4,
      usage: GPUBufferUsage.STORAGE,
    });
    const poses = device.createBuffer({ label: 'test poses', size: 6 * 17 * 3 * 4, usage: GPUBufferUsage.STORAGE });
    const call = model.liftBuffers({ keypoints, poses, count: 6, imageSize: [640, 480] });
    keypoints.destroy();
    expect((await caught(call)).code).to.equal('GPU_VALIDATION');
    poses.destroy();
    expectSame(await model.lift(KP, OPTIONS), reference);
  });

  it('out of GPU memory (injected into the error scope)', async function () {
    const { device } = await testGpu(this);
    const pop = device.popErrorScope;
    let pops = 0;
    const e = await patched(
      device,
      'popErrorScope',
      function (this: GPUDevice) {
        // withGpuErrors pops validation, then out-of-memory, then internal: report an OOM in the second.
        pops++;
        return pop.call(this).then((err) => (pops === 2 ? ({ message: 'injected: no memory left' } as GPUError) : err));
      },
      () => caught(model.lift(KP, OPTIONS)),
    );
    expect(e.code).to.equal('GPU_OOM');
    expect(e.message).to.match(/injected: no memory left/);
    expectSame(await model.lift(KP, OPTIONS), reference);
  });

  it('a DOMException from mapAsync becomes a DiffPoseError keeping the cause', async function () {
    const { device } = await testGpu(this);
    const proto = Object.getPrototypeOf(
      device.createBuffer({ label: 'probe', size: 16, usage: GPUBufferUsage.COPY_DST }),
    ) as GPUBuffer;
    const mapAsync = proto.mapAsync;
    const e = await patched(
      proto,
      'mapAsync',
      function (this: GPUBuffer) {
        return Promise.reject(new DOMException('injected map failure', 'OperationError'));
      },
      () => caught(model.lift(KP, OPTIONS)),
    );
    expect(proto.mapAsync).to.equal(mapAsync);
    expect(e.code).to.equal('INTERNAL');
    expect((e.cause as DOMException).name).to.equal('OperationError');
    expectSame(await model.lift(KP, OPTIONS), reference);
  });
});

describe('device loss', () => {
  it('an engine-owned device that is destroyed is replaced on the next call, with events, and the same bits', async function () {
    await testGpu(this); // fails here in CI when there is no adapter
    const model = await DiffPose.load({ weights: smallWeights() });
    const before = await model.lift(KP, OPTIONS);
    const events: DeviceEvent[] = [];
    model.addEventListener('devicelost', (e) => events.push(e as DeviceEvent));
    model.addEventListener('devicerestored', (e) => events.push(e as DeviceEvent));
    const first = model.gpu!.device;
    first.destroy();
    const after = await model.lift(KP, OPTIONS);
    expectSame(after, before);
    expect(model.gpu!.device).to.not.equal(first);
    expect(model.lost).to.equal(false);
    expect(events.map((e) => [e.type, e.recoverable])).to.deep.equal([
      ['devicelost', true],
      ['devicerestored', true],
    ]);
    expect(events[0].reason).to.equal('destroyed');
    model.dispose();
  });

  it('a stream on an engine-owned device that is destroyed: the next push runs on the new device, its tracks starting over', async function () {
    await testGpu(this);
    // The bundled frame and temporal files: streams need temporal weights.
    const model = await DiffPose.load({});
    const options = { imageSize: [640, 480] as const, init: 'official' as const };
    const kp = someKeypoints(5, 3);
    const frame = (f: number) => kp.subarray(f * 34, (f + 1) * 34);
    try {
      const stream = await model.createStream(options);
      for (let f = 0; f < 3; f++) expect((await stream.push(frame(f))).frame).to.equal(f);
      const first = model.gpu!.device;
      first.destroy();
      // Its frames went into the old device's ring before the engine replaced the device.
      const r = await stream.push(frame(3));
      expect(model.gpu!.device).to.not.equal(first);
      expect(r.frame).to.equal(3);
      const fresh = await (await model.createStream(options)).push(frame(3));
      expect(Array.from(r.poses)).to.deep.equal(Array.from(fresh.poses));
      expect((await stream.push(frame(4))).frame).to.equal(4);
    } finally {
      model.dispose();
    }
  });

  it("a caller's device that is lost gives GPU_LOST on every call, model.lost says so, and it is never replaced", async function () {
    await testGpu(this);
    const theirs = await acquireGpu();
    const model = await DiffPose.load({ weights: smallWeights(), device: theirs.device });
    await model.lift(KP, OPTIONS);
    const events: DeviceEvent[] = [];
    model.addEventListener('devicelost', (e) => events.push(e as DeviceEvent));
    theirs.device.destroy();
    for (let i = 0; i < 3; i++) expect((await caught(model.lift(KP, OPTIONS))).code).to.equal('GPU_LOST');
    expect(model.lost).to.equal(true);
    expect(model.gpu!.device).to.equal(theirs.device);
    expect(events.map((e) => [e.type, e.recoverable])).to.deep.equal([['devicelost', false]]);
    // The CPU reference still answers on the same model.
    expect((await model.lift(KP, { ...OPTIONS, executor: 'cpu' })).poses.every(Number.isFinite)).to.equal(true);
    model.dispose();
  });
});

describe('cancellation with an AbortSignal', () => {
  let model: DiffPose;
  let device: GPUDevice;
  before(async function () {
    device = (await testGpu(this)).device;
    // Small chunks: a few hundred poses take several submits.
    model = await DiffPose.load({ weights: smallWeights(), device, maxBatch: 64 });
  });
  after(() => model?.dispose());

  for (const executor of ['fused', 'per-op'] as const) {
    it(`${executor}: a multi-chunk lift stops after the chunk in flight, rejects ABORTED, and the model stays usable`, async () => {
      const many = someKeypoints(640, 4);
      const expected = await model.lift(KP, { ...OPTIONS, executor });
      const controller = new AbortController();
      let submits = 0;
      const submit = device.queue.submit;
      const e = await patched(
        device.queue,
        'submit',
        function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
          submits++;
          if (submits === 2) controller.abort(new Error('user pressed stop'));
          return submit.call(this, buffers);
        },
        () => caught(model.lift(many, { imageSize: [640, 480], executor, signal: controller.signal })),
      );
      expect(e.code).to.equal('ABORTED');
      expect(e.message).to.match(/user pressed stop/);
      // 640 poses in chunks of 64 are 10 submits; it stopped after the second.
      expect(submits).to.equal(2);
      expectSame(await model.lift(KP, { ...OPTIONS, executor }), expected);
    });
  }

  it('cpu: a long reference lift stops between chunks', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const t0 = Date.now();
    const e = await caught(
      model.lift(someKeypoints(20000, 2), { imageSize: [640, 480], executor: 'cpu', signal: controller.signal }),
    );
    expect(e.code).to.equal('ABORTED');
    // 20,000 poses take minutes on the reference; stopping between chunks takes well under that.
    expect(Date.now() - t0).to.be.below(20000);
  });

  it('an already aborted signal rejects before any GPU work; a call aborted while queued leaves the queue at once', async () => {
    let submits = 0;
    const submit = device.queue.submit;
    await patched(
      device.queue,
      'submit',
      function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
        submits++;
        return submit.call(this, buffers);
      },
      async () => {
        expect((await caught(model.lift(KP, { ...OPTIONS, signal: AbortSignal.abort() }))).code).to.equal('ABORTED');
        expect(submits).to.equal(0);
        // The CPU reference too: one chunk (no pause between chunks to notice the abort) does no work.
        const cpu = model.lift(KP, { ...OPTIONS, executor: 'cpu', signal: AbortSignal.abort() });
        expect((await caught(cpu)).code).to.equal('ABORTED');
        const long = model.lift(someKeypoints(640, 5), { imageSize: [640, 480] });
        const controller = new AbortController();
        const queued = model.lift(KP, { ...OPTIONS, signal: controller.signal });
        controller.abort();
        expect((await caught(queued)).code).to.equal('ABORTED');
        await long;
        expect(submits).to.equal(10);
      },
    );
  });
});
