import { expect } from 'chai';
import { GpuError } from '../../src/errors.js';
import { compileShader, withGpuErrors } from '../../src/gpu/errors-scope.js';
import { testGpu } from '../helpers/gpu.js';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('GPU errors become typed errors', () => {
  it('a validation error inside withGpuErrors is a GpuError naming the operation', async function () {
    const gpu = await testGpu(this);
    const e = await caught(
      withGpuErrors(gpu, 'making a bad buffer', () => {
        // MAP_READ may only be combined with COPY_DST: a validation error, reported asynchronously.
        gpu.device.createBuffer({
          label: 'bad buffer',
          size: 16,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE,
        });
      }),
    );
    expect(e).to.be.instanceOf(GpuError);
    expect((e as GpuError).code).to.equal('GPU_VALIDATION');
    expect((e as Error).message).to.match(/^making a bad buffer: /);
  });

  it('a WGSL compilation error is a GpuError with line and column', async function () {
    const gpu = await testGpu(this);
    const e = await caught(
      compileShader(
        gpu,
        'broken.wgsl',
        '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n',
      ),
    );
    expect(e).to.be.instanceOf(GpuError);
    expect((e as GpuError).code).to.equal('GPU_COMPILE');
    expect((e as Error).message).to.match(/broken\.wgsl:3:\d+: .*undefined_thing/);
  });
});
