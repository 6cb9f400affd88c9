import { expect } from 'chai';
import { measurePeakGflops } from '../../bench/peak-flops.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { FMA_PEAK, FMA_PEAK_DEFAULTS, type FmaPeakParams } from '../../bench/fma-peak.js';
import { fmaPeakRef } from '../../bench/fma-peak.ref.js';
import { packParams } from '../../src/kernels/kernel.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

// WGSL lets fma() be fused or not, and the reference rounds product and sum separately: a step
// differs by at most an ulp, and a < 1 shrinks earlier differences every step, so lanes differ by
// at most min(steps, 1 / (1 - a)) ulps (4 steps per iteration): 128 ulps (1.5e-5 relative) for
// a = 127/128, 148 ulps (1.8e-5) for the defaults at 37 iterations. With a = 127/128 and b = 1/32
// (fixed point 4, above every start value) a loop trip too many or too few moves every sum by
// 1e-3 or more up to 37 iterations; 301 iterations checks the long run stays in tolerance.
const RTOL = 3e-5;
const SLOW = { a: 127 / 128, b: 1 / 32 };

async function check(gpu: GpuContext, count: number, p: FmaPeakParams, maxWorkgroupsPerDimension?: number) {
  const out = await runKernel(gpu, {
    desc: FMA_PEAK,
    params: p,
    inputs: {},
    outputs: { sums: count },
    calls: [batchRun(count)],
    maxWorkgroupsPerDimension,
  });
  expectClose(
    out.sums,
    fmaPeakRef(count, p.iterations, p.a, p.b),
    0,
    RTOL,
    `fma_peak ${count} invocations, ${JSON.stringify(p)}`,
  );
}

describe('fma_peak kernel vs fmaPeakRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const count of [7, 300]) {
    it(`matches at ${count} invocations for odd loop counts`, async () => {
      for (const iterations of [0, 1, 37, 301]) await check(gpu, count, { iterations, ...SLOW });
      await check(gpu, count, { iterations: 37, ...FMA_PEAK_DEFAULTS });
    });
  }

  it('covers a 2D dispatch', async () => {
    await check(gpu, 300, { iterations: 5, ...SLOW }, 3);
  });

  it('rejects parameters that would overflow or go denormal', () => {
    expect(() => packParams(FMA_PEAK, { iterations: 1, a: 1, b: 0.1 })).to.throw(/a must be in/);
    expect(() => packParams(FMA_PEAK, { iterations: 1, a: 0.5, b: 0 })).to.throw(/b must be/);
    expect(() => packParams(FMA_PEAK, { iterations: 1.5, a: 0.5, b: 0.1 })).to.throw(/iterations/);
  });
});

describe('measurePeakGflops', function () {
  it('returns a positive finite rate (speed itself is never checked)', async function () {
    const gpu = await testGpu(this);
    const r = await measurePeakGflops(gpu, { seconds: 0.05 });
    expect(Number.isFinite(r.gflops) && r.gflops > 0, `gflops ${r.gflops}`).to.equal(true);
    expect(r.ms).to.be.greaterThan(0);
    expect(r.invocations).to.be.greaterThan(0);
    expect(r.fmasPerInvocation % 64).to.equal(0);
  });
});
