import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { GRAPH_MIX } from '../../src/kernels/graph-mix.js';
import {
  bindKernel,
  getKernelPipeline,
  kernelSource,
  packParams,
  paramsByteSize,
  recordKernel,
  workgroupGrid,
} from '../../src/kernels/kernel.js';
import { GMM_INIT } from '../../src/kernels/gmm-init.js';
import { LINEAR_VEC4 } from '../../src/kernels/linear.js';
import { createRunBuffer, packRun, RUN_SLOT_BYTES } from '../../src/kernels/run.js';
import { expectNoGpuErrors, testGpu } from '../helpers/gpu.js';

describe('kernel descriptor machinery', () => {
  describe('without a GPU', () => {
    it('fills x first and spreads the rest over y, never past the per-dimension limit', () => {
      expect(workgroupGrid(0, 64, 65535)).to.deep.equal([0, 1]);
      expect(workgroupGrid(1, 64, 65535)).to.deep.equal([1, 1]);
      expect(workgroupGrid(65535 * 64, 64, 65535)).to.deep.equal([65535, 1]);
      // 680k rows of a 96 -> 384 linear: 170k row blocks x 96 column blocks.
      const invocations = 170_000 * 96;
      const [x, y] = workgroupGrid(invocations, 64, 65535);
      expect(x).to.be.at.most(65535);
      expect(y).to.be.greaterThan(1);
      expect(x * y * 64).to.be.at.least(invocations);
      expect(x * (y - 1) * 64).to.be.lessThan(invocations);
      expect(() => workgroupGrid(70000 * 70000, 1, 65535)).to.throw(/dispatch limits/);
    });

    it('packs params as the WGSL struct: 4-byte fields in order, padded to 16 bytes', () => {
      const p = { components: 3, mode: 'paper' as const, sqrtA: 0.5, sqrtOneMinusA: 0.25, sigmaAt: 7 };
      const bytes = packParams(GMM_INIT, p);
      // Five 4-byte fields: 20 bytes, padded to 32.
      expect(bytes.byteLength).to.equal(32);
      const v = new DataView(bytes);
      expect([
        v.getUint32(0, true),
        v.getUint32(4, true),
        v.getFloat32(8, true),
        v.getFloat32(12, true),
        v.getUint32(16, true),
      ]).to.deep.equal([3, 1, 0.5, 0.25, 7]);
      expect(paramsByteSize(LINEAR_VEC4)).to.equal(32);
      expect(() => packParams(GRAPH_MIX, { channels: -1, mats: 3 })).to.throw(/channels/);
    });

    it('packs the run values: batch, poses, hypotheses, pose offset, key', () => {
      const words = new Uint32Array(
        packRun({ batch: 56, poses: 7, hypotheses: 8, poseOffset: 100, key: [0xffffffff, 2] }),
      );
      expect([...words.slice(0, 6)]).to.deep.equal([56, 7, 8, 100, 0xffffffff, 2]);
      expect(() => packRun({ batch: -1, poses: 0, hypotheses: 1, poseOffset: 0, key: [0, 0] })).to.throw(/batch/);
    });

    it('composes a kernel from its libs and file, and names a missing file', () => {
      const src = kernelSource(GMM_INIT);
      expect(src).to.match(/\/\/ ---- lib\/philox\.wgsl ----/);
      expect(src.indexOf('lib/gmm.wgsl')).to.be.lessThan(src.indexOf('---- gmm-init.wgsl'));
      expect(() => kernelSource({ shader: 'nope.wgsl', libs: [] })).to.throw(/nope\.wgsl/);
    });
  });

  describe('on the test device', function () {
    let gpu: GpuContext;
    before(async function () {
      gpu = await testGpu(this);
    });

    it('caches one pipeline per device and options', async () => {
      await expectNoGpuErrors(gpu, async () => {
        const a = await getKernelPipeline(gpu, GRAPH_MIX);
        const b = await getKernelPipeline(gpu, GRAPH_MIX);
        const c = await getKernelPipeline(gpu, GRAPH_MIX, { workgroupSize: 32 });
        expect(a).to.equal(b);
        expect(c).to.not.equal(a);
        expect(c.workgroupSize).to.equal(32);
        expect(c.bindGroupLayout).to.equal(a.bindGroupLayout);
        await getKernelPipeline(gpu, GRAPH_MIX, { workgroupSize: 100_000 }).then(
          () => {
            throw new Error('accepted an impossible workgroup size');
          },
          (e: Error) => expect(e.message).to.match(/workgroup size/),
        );
      });
    });

    it('refuses unknown and missing bindings, and recording before the run slot is written', async () => {
      await expectNoGpuErrors(gpu, async () => {
        const kernel = await getKernelPipeline(gpu, GRAPH_MIX);
        const buf = gpu.device.createBuffer({
          label: 'test: any',
          size: 1024,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM,
        });
        const out = gpu.device.createBuffer({ label: 'test: out', size: 64, usage: GPUBufferUsage.STORAGE });
        const run = createRunBuffer(gpu.device, 2, 'test: run');
        try {
          const p = { channels: 3, mats: 1 };
          expect(() => bindKernel(kernel, p, { params: buf, x: buf, mats: buf, y: buf, z: buf })).to.throw(
            /unknown binding "z"/,
          );
          expect(() => bindKernel(kernel, p, { params: buf, x: buf, y: buf })).to.throw(/"mats" is required/);
          expect(run.buffer.size).to.equal(2 * RUN_SLOT_BYTES);
          const bound = bindKernel(kernel, p, { params: buf, x: buf, mats: buf, y: out });
          const encoder = gpu.device.createCommandEncoder({ label: 'test: unwritten run slot' });
          const pass = encoder.beginComputePass({ label: 'test: unwritten run slot pass' });
          expect(() => recordKernel(pass, bound, run, 1)).to.throw(/never written/);
          pass.end();
          encoder.finish();
        } finally {
          buf.destroy();
          out.destroy();
          run.buffer.destroy();
        }
      });
    });
  });
});
