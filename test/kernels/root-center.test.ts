import type { GpuContext } from '../../src/gpu/context.js';
import { ROOT_CENTER } from '../../src/kernels/root-center.js';
import { splitLifterOutput } from '../../src/model/lifter-output.js';
import { rootCenterRef } from '../../src/model/root-center.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

const J = 17;

async function check(gpu: GpuContext, batch: number, channels: number, offset: number, workgroupSize?: number) {
  const x = randomFloats(batch * J * channels, batch + channels * 13 + offset, -3, 3);
  const out = await runKernel(gpu, {
    desc: ROOT_CENTER,
    params: { channels, offset },
    inputs: { x },
    outputs: { xyz: batch * J * 3 },
    calls: [batchRun(batch)],
    workgroupSize,
  });
  expectClose(
    out.xyz,
    rootCenterRef(x, batch, channels, offset),
    1e-6,
    1e-6,
    `root centre batch ${batch} C ${channels} offset ${offset}`,
  );
}

/** A 4-output lifter's raw output: xyz and sigma (exp of channel 3, at sigmaAt after the xyz) as splitLifterOutput splits it. */
async function checkSigma(gpu: GpuContext, batch: number) {
  const x = randomFloats(batch * J * 4, batch + 99, -3, 3);
  const sigmaAt = batch * J * 3;
  const out = await runKernel(gpu, {
    desc: ROOT_CENTER,
    params: { channels: 4, offset: 0, sigmaAt },
    inputs: { x },
    outputs: { xyz: batch * J * 4 },
    calls: [batchRun(batch)],
  });
  const want = splitLifterOutput(x, batch, 4);
  expectClose(out.xyz.subarray(0, sigmaAt), want.xyz, 1e-6, 1e-6, `lifter xyz batch ${batch}`);
  expectClose(out.xyz.subarray(sigmaAt), want.sigma!, 1e-6, 1e-5, `lifter sigma batch ${batch}`);
}

describe('root_center kernel vs rootCenterRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const batch of [1, 7, 300]) {
    it(`centres the lifter output and the state's xyz at batch ${batch}`, async () => {
      await check(gpu, batch, 3, 0);
      await check(gpu, batch, 5, 2);
      await check(gpu, batch, 7, 1);
      await checkSigma(gpu, batch);
    });
  }

  it('covers more than 65535 workgroups with a 2D dispatch (workgroup size 1)', async () => {
    // 4000 * 17 = 68000 invocations of one-invocation workgroups: past the per-dimension limit.
    await check(gpu, 4000, 5, 2, 1);
  });
});
