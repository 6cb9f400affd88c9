import type { GpuContext } from '../../src/gpu/context.js';
import { LAYER_NORM } from '../../src/kernels/layer-norm.js';
import { layerNormRef } from '../../src/model/layer-norm.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

const J = 17;

async function check(gpu: GpuContext, batch: number, channels: number, offset = 0, maxWorkgroupsPerDimension?: number) {
  const rows = batch * J;
  const x = randomFloats(rows * channels, rows + channels).map((v) => v + offset);
  const gain = randomFloats(channels, 3, 0.5, 1.5);
  const shift = randomFloats(channels, 4);
  const out = await runKernel(gpu, {
    desc: LAYER_NORM,
    params: { channels },
    inputs: { x, gain, shift },
    outputs: { y: rows * channels },
    calls: [batchRun(batch)],
    maxWorkgroupsPerDimension,
  });
  expectClose(
    out.y,
    layerNormRef(x, rows, channels, gain, shift),
    1e-4,
    1e-3,
    `layer norm batch ${batch} C ${channels}`,
  );
}

describe('layer_norm kernel vs layerNormRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const batch of [1, 7, 300]) {
    it(`normalises odd channel counts at batch ${batch}`, async () => {
      for (const channels of [2, 5, 13, 96, 192]) await check(gpu, batch, channels);
    });
  }

  it('keeps precision for rows with a large mean', async () => {
    await check(gpu, 7, 96, 100);
  });

  it('runs on a 2D grid', async () => {
    await check(gpu, 300, 13, 0, 9);
  });
});
