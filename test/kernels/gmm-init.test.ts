import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { GMM_INIT, type GmmInitParams } from '../../src/kernels/gmm-init.js';
import { gmmInitRef, GMM_STRIDE, type InitMode } from '../../src/model/gmm-init.js';
import { seedKey } from '../../src/model/philox.js';
import { PAPER_CONFIG } from '../../src/model/config.js';
import { alphaBars } from '../../src/model/diffusion.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';
import { bitsOf, firstDifference } from './rng-cases.js';

const J = 17;
const A = alphaBars(PAPER_CONFIG.diffusion)[12];

interface Case {
  poses: number;
  hypotheses: number;
  components: number;
  mode: InitMode;
  poseOffset?: number;
  key?: [number, number];
}

/** Mixtures [poses, 17, K, 5] with weights in (0.05, 1), means in (-1, 1), stds in (0.01, 0.2). */
function mixtures(poses: number, components: number, seed: number): Float32Array {
  const n = poses * J * components;
  const w = randomFloats(n, seed, 0.05, 1);
  const mu = randomFloats(2 * n, seed + 1);
  const sigma = randomFloats(2 * n, seed + 2, 0.01, 0.2);
  const gmm = new Float32Array(n * GMM_STRIDE);
  for (let i = 0; i < n; i++) gmm.set([w[i], mu[2 * i], mu[2 * i + 1], sigma[2 * i], sigma[2 * i + 1]], i * GMM_STRIDE);
  return gmm;
}

function paramsOf(c: Case): GmmInitParams {
  return { components: c.components, mode: c.mode, sqrtA: Math.sqrt(A), sqrtOneMinusA: Math.sqrt(1 - A) };
}

async function gpuInit(gpu: GpuContext, c: Case, gmm: Float32Array, lifterXyz: Float32Array): Promise<Float32Array> {
  const out = await runKernel(gpu, {
    desc: GMM_INIT,
    params: paramsOf(c),
    inputs: { gmm, lifter_xyz: lifterXyz },
    outputs: { x: c.poses * c.hypotheses * J * 5 },
    calls: [
      {
        batch: c.poses * c.hypotheses,
        poses: c.poses,
        hypotheses: c.hypotheses,
        poseOffset: c.poseOffset ?? 0,
        key: c.key ?? seedKey(2024),
      },
    ],
  });
  return out.x;
}

async function check(gpu: GpuContext, c: Case) {
  const gmm = mixtures(c.poses, c.components, c.poses + c.components);
  const lifterXyz = randomFloats(c.poses * J * 3, c.poses * 3 + 1);
  const got = await gpuInit(gpu, c, gmm, lifterXyz);
  const want = gmmInitRef({
    poses: c.poses,
    hypotheses: c.hypotheses,
    components: c.components,
    gmm,
    lifterXyz,
    mode: c.mode,
    sqrtA: Math.sqrt(A),
    sqrtOneMinusA: Math.sqrt(1 - A),
    key: c.key ?? seedKey(2024),
    poseOffset: c.poseOffset ?? 0,
  });
  expectClose(got, want, 1e-4, 1e-3, `gmm init ${JSON.stringify(c)}`);
}

describe('gmm_init kernel vs gmmInitRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const mode of ['official', 'paper'] as const) {
    for (const poses of [1, 7, 300]) {
      it(`${mode} init at ${poses} poses`, async () => {
        for (const hypotheses of poses === 300 ? [2] : [1, 4]) {
          for (const components of [1, 3])
            await check(gpu, { poses, hypotheses, components, mode, poseOffset: poses === 7 ? 11 : 0 });
        }
      });
    }
  }

  it('gives a pose the same bits alone (poseOffset 3) as inside a batch of 7 or a chunk', async () => {
    const c: Case = { poses: 7, hypotheses: 3, components: 3, mode: 'paper' };
    const gmm = mixtures(7, 3, 5);
    const lifterXyz = randomFloats(7 * J * 3, 6);
    const perPose = c.hypotheses * J * 5;
    const whole = bitsOf(await gpuInit(gpu, c, gmm, lifterXyz));
    const gmmOf = (from: number, to: number) => gmm.slice(from * J * 3 * GMM_STRIDE, to * J * 3 * GMM_STRIDE);
    const xyzOf = (from: number, to: number) => lifterXyz.slice(from * J * 3, to * J * 3);
    const alone = bitsOf(await gpuInit(gpu, { ...c, poses: 1, poseOffset: 3 }, gmmOf(3, 4), xyzOf(3, 4)));
    expect(firstDifference(alone, whole.slice(3 * perPose, 4 * perPose))).to.equal(-1);
    const chunk = bitsOf(await gpuInit(gpu, { ...c, poses: 4, poseOffset: 2 }, gmmOf(2, 6), xyzOf(2, 6)));
    expect(firstDifference(chunk, whole.slice(2 * perPose, 6 * perPose))).to.equal(-1);
  });

  for (const poses of [1, 7, 300]) {
    it(`paper init with a lifter's sigma as the xyz noise std (stored after the xyz) at ${poses} poses`, async () => {
      const c: Case = { poses, hypotheses: 3, components: 2, mode: 'paper', poseOffset: 5 };
      const gmm = mixtures(poses, 2, poses + 40);
      const xyz = randomFloats(poses * J * 3, poses + 41);
      const sigma = randomFloats(poses * J, poses + 42, 0.01, 0.3);
      const sigmaAt = poses * J * 3;
      const lifterXyz = new Float32Array(sigmaAt + poses * J);
      lifterXyz.set(xyz);
      lifterXyz.set(sigma, sigmaAt);
      const key = seedKey(2024);
      const out = await runKernel(gpu, {
        desc: GMM_INIT,
        params: { ...paramsOf(c), sigmaAt },
        inputs: { gmm, lifter_xyz: lifterXyz },
        outputs: { x: poses * c.hypotheses * J * 5 },
        calls: [{ batch: poses * c.hypotheses, poses, hypotheses: c.hypotheses, poseOffset: 5, key }],
      });
      const base = { ...paramsOf(c), poses, hypotheses: c.hypotheses, gmm, lifterXyz: xyz, key, poseOffset: 5 };
      expectClose(out.x, gmmInitRef({ ...base, xyzStd: sigma }), 1e-4, 1e-3, `sigma init at ${poses} poses`);
      // Not the uniform std: the sigma is read.
      const plain = gmmInitRef(base);
      expect(Math.max(...out.x.map((v, i) => Math.abs(v - plain[i])))).to.be.above(1e-2);
    });
  }

  it('draws different samples for different hypotheses and seeds', async () => {
    const c: Case = { poses: 1, hypotheses: 2, components: 1, mode: 'paper' };
    const gmm = mixtures(1, 1, 8);
    const xyz = randomFloats(J * 3, 9);
    const a = await gpuInit(gpu, c, gmm, xyz);
    const b = await gpuInit(gpu, { ...c, key: seedKey(2025) }, gmm, xyz);
    expect(a.subarray(0, J * 5)).to.not.deep.equal(a.subarray(J * 5));
    expect(a).to.not.deep.equal(b);
  });
});
