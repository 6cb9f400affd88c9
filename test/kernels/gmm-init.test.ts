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

const ONES: Float32Array = new Float32Array(J).fill(1);

async function gpuInit(
  gpu: GpuContext,
  c: Case,
  gmm: Float32Array,
  lifterXyz: Float32Array,
  xyzGain = ONES,
): Promise<Float32Array> {
  const out = await runKernel(gpu, {
    desc: GMM_INIT,
    params: paramsOf(c),
    inputs: { gmm, lifter_xyz: lifterXyz, xyz_gain: xyzGain },
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
        inputs: { gmm, lifter_xyz: lifterXyz, xyz_gain: ONES },
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

  for (const poses of [1, 7]) {
    it(`paper init with per-joint xyz noise gains at ${poses} poses`, async () => {
      const c: Case = { poses, hypotheses: 5, components: 2, mode: 'paper', poseOffset: 2 };
      const gmm = mixtures(poses, 2, poses + 60);
      const xyz = randomFloats(poses * J * 3, poses + 61);
      const gain = randomFloats(J, poses + 62, 0.3, 3);
      const got = await gpuInit(gpu, c, gmm, xyz, gain);
      const base = {
        ...paramsOf(c),
        poses,
        hypotheses: c.hypotheses,
        gmm,
        lifterXyz: xyz,
        key: seedKey(2024),
        poseOffset: 2,
      };
      expectClose(got, gmmInitRef({ ...base, xyzGain: gain }), 1e-4, 1e-3, `gains at ${poses} poses`);
      // Only the xyz channels move, each joint's by its gain.
      const plain = gmmInitRef(base);
      for (let i = 0; i < got.length; i++) {
        const ch = i % 5,
          j = Math.floor(i / 5) % J;
        const centre = Math.sqrt(A) * (ch < 2 ? 0 : xyz[(Math.floor(i / (5 * J * c.hypotheses)) * J + j) * 3 + ch - 2]);
        if (ch < 2) expect(got[i]).to.be.closeTo(plain[i], 1e-5);
        else expect(got[i] - centre).to.be.closeTo((plain[i] - centre) * gain[j], 1e-4);
      }
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

  for (const hypotheses of [2, 5, 8]) {
    it(`centres each joint's ${hypotheses} starts on the mixture mean and the lifter, exactly as wide as the noise std`, async () => {
      const poses = 3;
      const c: Case = { poses, hypotheses, components: 1, mode: 'paper', poseOffset: 4 };
      const gmm = mixtures(poses, 1, 70 + hypotheses);
      const xyz = randomFloats(poses * J * 3, 71);
      const got = await gpuInit(gpu, c, gmm, xyz);
      const sqrtA = Math.sqrt(A),
        noise = Math.sqrt(1 - A);
      for (let n = 0; n < poses; n++) {
        for (let j = 0; j < J; j++) {
          const g = (n * J + j) * GMM_STRIDE;
          for (let ch = 0; ch < 5; ch++) {
            const centre = ch < 2 ? sqrtA * gmm[g + 1 + ch] : sqrtA * xyz[(n * J + j) * 3 + ch - 2];
            const d = Array.from(
              { length: hypotheses },
              (_, h) => got[((n * hypotheses + h) * J + j) * 5 + ch] - centre,
            );
            const mean = d.reduce((a, b) => a + b) / hypotheses;
            const rms = Math.sqrt(d.reduce((a, b) => a + b * b, 0) / hypotheses);
            expect(Math.abs(mean), `pose ${n} joint ${j} channel ${ch}: mean offset`).to.be.below(1e-5);
            // uv: two matched normals (the draw inside the component and the forward noise) whose
            // sample correlation is free, so the rms lies between their difference and their sum;
            // xyz: exactly the noise std.
            if (ch >= 2) expect(rms).to.be.closeTo(noise, 1e-4 * noise);
            else {
              const s = gmm[g + 3 + ch];
              expect(rms).to.be.within(s * (sqrtA - noise) * (1 - 1e-4), s * (sqrtA + noise) * (1 + 1e-4));
            }
          }
        }
      }
    });
  }
});
