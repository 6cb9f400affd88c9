import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { DDIM_STEP } from '../../src/kernels/ddim-step.js';
import { ddimStepRef } from '../../src/model/ddim-step.js';
import { seedKey } from '../../src/model/philox.js';
import { PAPER_CONFIG } from '../../src/model/config.js';
import { ddimCoefficients, type DdimCoefficients } from '../../src/model/diffusion.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';
import { bitsOf, firstDifference } from './rng-cases.js';

const J = 17;

interface Case {
  poses: number;
  hypotheses: number;
  coef: DdimCoefficients;
  stepIndex: number;
  poseOffset?: number;
}

const KEY = seedKey(99);

async function gpuStep(gpu: GpuContext, c: Case, x: Float32Array, eps: Float32Array): Promise<Float32Array> {
  const out = await runKernel(gpu, {
    desc: DDIM_STEP,
    params: { coef: c.coef, stepIndex: c.stepIndex },
    inputs: { eps },
    outputs: { x: x.slice() },
    calls: [
      {
        batch: c.poses * c.hypotheses,
        poses: c.poses,
        hypotheses: c.hypotheses,
        poseOffset: c.poseOffset ?? 0,
        key: KEY,
      },
    ],
  });
  return out.x;
}

async function check(gpu: GpuContext, c: Case) {
  const n = c.poses * c.hypotheses * J * 5;
  const x = randomFloats(n, c.poses + c.stepIndex, -2, 2);
  const eps = randomFloats(n, c.poses + 17);
  const got = await gpuStep(gpu, c, x, eps);
  const want = ddimStepRef(x, eps, {
    poses: c.poses,
    hypotheses: c.hypotheses,
    coef: c.coef,
    stepIndex: c.stepIndex,
    key: KEY,
    poseOffset: c.poseOffset ?? 0,
  });
  expectClose(
    got,
    want,
    1e-4,
    1e-3,
    `ddim step ${JSON.stringify({ ...c, coef: undefined, t: c.coef.t, c1: c.coef.c1 })}`,
  );
}

describe('ddim_step kernel vs ddimStepRef (in place)', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  const deterministic = ddimCoefficients([12, 0], 0, PAPER_CONFIG.diffusion);
  const stochastic = ddimCoefficients([25, 12, 0], 1, PAPER_CONFIG.diffusion);

  it('has a stochastic schedule to test (c1 > 0 before the last step)', () => {
    expect(stochastic[0].c1).to.be.greaterThan(0);
    expect(stochastic[1].c1).to.be.greaterThan(0);
  });

  for (const poses of [1, 7, 300]) {
    it(`updates every step of an eta = 0 and an eta = 1 schedule at ${poses} poses`, async () => {
      for (const hypotheses of poses === 300 ? [2] : [1, 3]) {
        for (const coefs of [deterministic, stochastic]) {
          for (let s = 0; s < coefs.length; s++) {
            await check(gpu, { poses, hypotheses, coef: coefs[s], stepIndex: s, poseOffset: poses === 7 ? 5 : 0 });
          }
        }
      }
    });
  }

  it('gives a pose the same bits alone (poseOffset 3) as inside a batch of 7', async () => {
    const c: Case = { poses: 7, hypotheses: 2, coef: stochastic[1], stepIndex: 1 };
    const perPose = c.hypotheses * J * 5;
    const x = randomFloats(7 * perPose, 1, -2, 2);
    const eps = randomFloats(7 * perPose, 2);
    const whole = bitsOf(await gpuStep(gpu, c, x, eps));
    const alone = bitsOf(
      await gpuStep(
        gpu,
        { ...c, poses: 1, poseOffset: 3 },
        x.slice(3 * perPose, 4 * perPose),
        eps.slice(3 * perPose, 4 * perPose),
      ),
    );
    expect(firstDifference(alone, whole.slice(3 * perPose, 4 * perPose))).to.equal(-1);
  });
});
