import type { GpuContext } from '../../src/gpu/context.js';
import { ATTENTION } from '../../src/kernels/attention.js';
import { attentionRef } from '../../src/model/attention.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

const J = 17;

async function check(gpu: GpuContext, batch: number, d: number, heads: number, maxWorkgroupsPerDimension?: number) {
  // Values in [-2, 2] give peaked softmaxes, so a wrong max or scale shows.
  const qkv = randomFloats(batch * J * 3 * d, batch * 7 + d + heads, -2, 2);
  const out = await runKernel(gpu, {
    desc: ATTENTION,
    params: { d, heads },
    inputs: { qkv },
    outputs: { out: batch * J * d },
    calls: [batchRun(batch)],
    maxWorkgroupsPerDimension,
  });
  expectClose(
    out.out,
    attentionRef(qkv, batch, d, heads),
    1e-4,
    1e-3,
    `attention batch ${batch} d ${d} heads ${heads}`,
  );
}

describe('attention kernel vs attentionRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const batch of [1, 7, 300]) {
    it(`attends over the joints at batch ${batch}`, async () => {
      const shapes: Array<[number, number]> =
        batch === 300
          ? [
              [96, 4],
              [15, 5],
            ]
          : [
              [96, 4],
              [15, 5],
              [7, 1],
              [8, 8],
            ];
      for (const [d, heads] of shapes) await check(gpu, batch, d, heads);
    });
  }

  it('runs on a 2D grid', async () => {
    await check(gpu, 300, 15, 3, 20);
  });
});
