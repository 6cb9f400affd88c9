import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BufferTally } from '../../bench/gpu-memory.js';
import { soakCycles, soakLifts } from '../../bench/soak.js';
import { DiffPose } from '../../src/diffpose.js';
import { acquireGpu } from '../../src/gpu/context.js';
import { nodeGpu } from '../../src/gpu/node-gpu.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// The small version of `npm run soak` (bench/soak.ts): the GPU buffer bytes are exact, so they
// are asserted exactly; resident memory is noisy (the allocator keeps freed pages for a while),
// so its numbers are the script's to print, and what the tests check is the cause of the leak.
describe('long runs: no growth', () => {
  it('mixed lifts on one model: no GPU buffer is made after every kind of call has been seen once', async function () {
    await testGpu(this); // fails here in CI when there is no adapter
    const gpu = await acquireGpu();
    const tally = new BufferTally(gpu.device);
    // 84 calls = 7 rounds of the 12 sizes x 7 hypothesis counts ... every executor many times.
    const samples = await soakLifts(gpu.device, tally, 168, { weights: smallWeights(), every: 84 });
    expect(samples.map((s) => s.step)).to.deep.equal([1, 84, 168]);
    expect(samples[2].gpuBufferBytes, 'live GPU bytes after 168 calls vs after 84').to.equal(samples[1].gpuBufferBytes);
    gpu.device.destroy();
  });

  it('load/dispose cycles free every GPU buffer of a caller device, and disposed models are collected', async function () {
    await testGpu(this);
    const gpu = await acquireGpu();
    const tally = new BufferTally(gpu.device);
    const first = await soakCycles(gpu.device, tally, 2, { weights: smallWeights(), devices: 'adopted' });
    const after = await soakCycles(gpu.device, tally, 10, { weights: smallWeights(), devices: 'adopted' });
    expect(after[after.length - 1].gpuBufferBytes).to.equal(first[first.length - 1].gpuBufferBytes);
    // A disposed model is not kept alive by the device it ran on (its device-lost watcher is weak).
    let model: DiffPose | undefined = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    await model.lift(someKeypoints(1), { imageSize: [640, 480] });
    const ref = new WeakRef(model);
    model.dispose();
    model = undefined;
    for (let i = 0; i < 5 && ref.deref(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
    expect(ref.deref(), 'the disposed model is still reachable').to.equal(undefined);
    gpu.device.destroy();
  });

  it('engine-created devices come from one Dawn instance per process, and dispose destroys them', async function () {
    await testGpu(this);
    // An instance per model grew the process by 6-8 MB per load/dispose cycle (and is what Dawn's
    // GC hazard is about); resident memory over many cycles is `npm run soak`'s to report.
    expect(await nodeGpu()).to.equal(await nodeGpu());
    const models = [await DiffPose.load({ weights: smallWeights() }), await DiffPose.load({ weights: smallWeights() })];
    const devices = models.map((m) => m.gpu!.device);
    expect(devices[0]).to.not.equal(devices[1]);
    await Promise.all(models.map((m) => m.lift(someKeypoints(1), { imageSize: [640, 480] })));
    models.forEach((m) => m.dispose());
    const reasons = await Promise.all(devices.map((d) => d.lost.then((info) => info.reason)));
    expect(reasons).to.deep.equal(['destroyed', 'destroyed']);
  });
});
