import type { GpuContext } from '../../src/gpu/context.js';
import { expect } from 'chai';
import { GRAPH_MIX, GRAPH_MIX_VEC4, graphMixKernel } from '../../src/kernels/graph-mix.js';
import { graphMixRef } from '../../src/model/graph-mix.js';
import { chebyshevBasis, lamAdjacency } from '../../src/model/graph.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

const J = 17;

async function check(
  gpu: GpuContext,
  batch: number,
  channels: number,
  mats: Float32Array,
  maxWorkgroupsPerDimension?: number,
) {
  const p = mats.length / (J * J);
  const x = randomFloats(batch * J * channels, batch * 31 + channels);
  const out = await runKernel(gpu, {
    desc: graphMixKernel(channels),
    params: { channels, mats: p },
    inputs: { x, mats },
    outputs: { y: batch * J * p * channels },
    calls: [batchRun(batch)],
    maxWorkgroupsPerDimension,
  });
  expectClose(
    out.y,
    graphMixRef(x, batch, channels, mats, p),
    1e-4,
    1e-3,
    `graph mix batch ${batch} C ${channels} P ${p}`,
  );
}

describe('graph_mix kernel vs graphMixRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  const cheb = chebyshevBasis();
  const lam = lamAdjacency(randomFloats(J * J, 9, 0, 1));

  it('picks the vec4 kernel when the channels are a multiple of 4, else the scalar one', () => {
    expect(graphMixKernel(96)).to.equal(GRAPH_MIX_VEC4);
    expect(graphMixKernel(5)).to.equal(GRAPH_MIX);
    expect(() => GRAPH_MIX_VEC4.paramValues({ channels: 6, mats: 3 })).to.throw(/multiple of 4/);
  });

  for (const batch of [1, 7, 300]) {
    it(`mixes with the 3 Chebyshev matrices and with one LAM matrix at batch ${batch}`, async () => {
      for (const channels of batch === 300 ? [5, 96] : [2, 4, 5, 13, 96, 192]) {
        await check(gpu, batch, channels, cheb);
        await check(gpu, batch, channels, lam);
      }
    });
  }

  it('mixes with 2 arbitrary matrices on a 2D grid', async () => {
    await check(gpu, 300, 13, randomFloats(2 * J * J, 5), 11);
    await check(gpu, 300, 12, randomFloats(2 * J * J, 6), 5);
  });
});
