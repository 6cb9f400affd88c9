import { expect } from 'chai';
import { DiffPose } from '../../src/diffpose.js';
import { GpuError } from '../../src/errors.js';
import { compileShader, withGpuErrors } from '../../src/gpu/errors-scope.js';
import { testGpu } from '../helpers/gpu.js';
import { smallWeights, someKeypoints } from '../helpers/models.js';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return undefined;
}

describe('GPU errors become typed errors', () => {
  it('a validation error inside withGpuErrors is a GpuError naming the operation', async function () {
    const gpu = await testGpu(this);
    const e = await caught(withGpuErrors(gpu, 'making a bad buffer', () => {
      // MAP_READ may only be combined with COPY_DST: a validation error, reported asynchronously.
      gpu.device.createBuffer({ label: 'bad buffer', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    }));
    expect(e).to.be.instanceOf(GpuError);
    expect((e as GpuError).code).to.equal('GPU_VALIDATION');
    expect((e as Error).message).to.match(/^making a bad buffer: /);
  });

  it('a WGSL compilation error is a GpuError with line and column', async function () {
    const gpu = await testGpu(this);
    const e = await caught(compileShader(gpu, 'broken.wgsl', '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n'));
    expect(e).to.be.instanceOf(GpuError);
    expect((e as GpuError).code).to.equal('GPU_COMPILE');
    expect((e as Error).message).to.match(/broken\.wgsl:3:\d+: .*undefined_thing/);
  });

  it('a lost device makes lift reject with GPU_LOST (no crash, no hang), and an adopted device is never destroyed', async function () {
    await testGpu(this); // fails here in CI when there is no adapter
    const owned = await DiffPose.load({ weights: smallWeights() });
    const kp = someKeypoints(2);
    await owned.lift(kp, { imageSize: [640, 480] });
    owned.gpu!.device.destroy();
    const e = await caught(owned.lift(kp, { imageSize: [640, 480] }));
    expect(e).to.be.instanceOf(GpuError);
    expect((e as GpuError).code).to.equal('GPU_LOST');
    owned.dispose();

    const gpu = await testGpu(this);
    const adopted = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    await adopted.lift(kp, { imageSize: [640, 480] });
    adopted.dispose();
    // The caller's device still works after the engine is disposed.
    const again = await DiffPose.load({ weights: smallWeights(), device: gpu.device });
    const r = await again.lift(kp, { imageSize: [640, 480] });
    expect(r.poses.every(Number.isFinite)).to.equal(true);
    again.dispose();
  });
});
