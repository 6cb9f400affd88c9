import type { GpuContext } from '../../src/gpu/context.js';
import { AGGREGATE } from '../../src/kernels/aggregate.js';
import { aggregateRef } from '../../src/model/aggregate.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';

const J = 17;

async function check(gpu: GpuContext, poses: number, hypotheses: number, maxWorkgroupsPerDimension?: number) {
  const x = randomFloats(poses * hypotheses * J * 5, poses * 100 + hypotheses, -2, 2);
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: {},
    inputs: { x },
    outputs: { mean: poses * J * 3, spread: poses * J, samples: poses * hypotheses * J * 3 },
    calls: [{ batch: poses * hypotheses, poses, hypotheses, poseOffset: 0, key: [0, 0] }],
    maxWorkgroupsPerDimension,
  });
  const want = aggregateRef(x, poses, hypotheses);
  const what = `aggregate poses ${poses} hypotheses ${hypotheses}`;
  expectClose(out.mean, want.mean, 1e-4, 1e-3, `${what}: mean`);
  expectClose(out.spread, want.spread, 1e-4, 1e-3, `${what}: spread`);
  expectClose(out.samples, want.samples, 1e-5, 1e-5, `${what}: samples`);
}

describe('aggregate kernel vs aggregateRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const poses of [1, 7, 300]) {
    it(`aggregates hypotheses at ${poses} poses`, async () => {
      for (const hypotheses of poses === 300 ? [1, 5] : [1, 2, 5, 13]) await check(gpu, poses, hypotheses);
    });
  }

  it('runs on a 2D grid', async () => {
    await check(gpu, 300, 3, 9);
  });
});
