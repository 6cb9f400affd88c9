import type { GpuContext } from '../../src/gpu/context.js';
import { AGGREGATE } from '../../src/kernels/aggregate.js';
import { readFileSync } from 'node:fs';
import { aggregateRef } from '../../src/model/aggregate.js';
import { fitRoots } from '../../src/pose/root-trajectory.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';

const J = 17;

async function check(gpu: GpuContext, poses: number, hypotheses: number, maxWorkgroupsPerDimension?: number) {
  const x = randomFloats(poses * hypotheses * J * 5, poses * 100 + hypotheses, -2, 2);
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: { fitRoot: false },
    inputs: { x },
    outputs: { mean: poses * J * 3, spread: poses * J, samples: poses * hypotheses * J * 3, root: 4 },
    calls: [{ batch: poses * hypotheses, poses, hypotheses, poseOffset: 0, key: [0, 0] }],
    maxWorkgroupsPerDimension,
  });
  const want = aggregateRef(x, poses, hypotheses);
  const what = `aggregate poses ${poses} hypotheses ${hypotheses}`;
  expectClose(out.mean, want.mean, 1e-4, 1e-3, `${what}: mean`);
  expectClose(out.spread, want.spread, 1e-4, 1e-3, `${what}: spread`);
  expectClose(out.samples, want.samples, 1e-5, 1e-5, `${what}: samples`);
}

/**
 * The root fit: states whose poses are the walk clip's true 3D (every hypothesis near it), the
 * 2D its projection plus a little noise, mixtures from confidences; against fitRoots.
 */
async function checkRoot(gpu: GpuContext, poses: number, hypotheses: number, uvInGmm: boolean) {
  const truth = JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
    frames: Array<{ joints: number[] }>;
  };
  const cam = { focal: 1.6, center: [0.05, -0.02] as const };
  const jitter = randomFloats(poses * hypotheses * J * 5, 9, -0.01, 0.01);
  const x = new Float32Array(poses * hypotheses * J * 5);
  const uv = new Float32Array(poses * J * 2);
  const gmm = new Float32Array(poses * J * 2 * 5);
  const noise = randomFloats(poses * J * 2, 4, -0.004, 0.004);
  for (let n = 0; n < poses; n++) {
    const pose = truth.frames[n % truth.frames.length].joints;
    const t = [0.3 - 0.1 * n, 0.2, 3 + 0.5 * n];
    for (let h = 0; h < hypotheses; h++)
      for (let j = 0; j < J; j++)
        for (let c = 0; c < 3; c++) {
          const i = ((n * hypotheses + h) * J + j) * 5 + 2 + c;
          x[i] = pose[3 * j + c] + jitter[i];
        }
    for (let j = 0; j < J; j++) {
      const X = pose[3 * j] + t[0],
        Y = pose[3 * j + 1] + t[1],
        Z = pose[3 * j + 2] + t[2];
      const u = (cam.focal * X) / Z + cam.center[0] + noise[(n * J + j) * 2],
        v = (cam.focal * Y) / Z + cam.center[1] + noise[(n * J + j) * 2 + 1];
      uv.set([u, v], (n * J + j) * 2);
      // Two components: the first at the keypoint; widths differ per joint so the weights matter.
      const s = 0.002 + 0.001 * (j % 5);
      gmm.set([0.7, u, v, s, s, 0.3, u + 0.01, v, 2 * s, 2 * s], (n * J + j) * 10);
    }
  }
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: { fitRoot: true, components: 2, uvInGmm, camera: cam },
    inputs: { x, uv: uvInGmm ? new Float32Array(4) : uv, gmm },
    outputs: { mean: poses * J * 3, spread: poses * J, samples: poses * hypotheses * J * 3, root: poses * 3 },
    calls: [{ batch: poses * hypotheses, poses, hypotheses, poseOffset: 0, key: [0, 0] }],
  });
  const want = aggregateRef(x, poses, hypotheses);
  const weights = new Float32Array(poses * J);
  for (let i = 0; i < poses * J; i++) {
    const g = gmm.subarray(i * 10, i * 10 + 10);
    weights[i] = 1 / ((g[0] * (g[3] ** 2 + g[4] ** 2)) / 2 + (g[5] * (g[8] ** 2 + g[9] ** 2)) / 2);
  }
  const root = fitRoots(want.mean, uv, weights, poses, cam);
  expectClose(
    out.root,
    root,
    2e-4,
    2e-4,
    `root, ${poses} poses, ${hypotheses} hypotheses${uvInGmm ? ', 2D from the mixtures' : ''}`,
  );
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

  it("fits each pose's root like fitRoots (reading the 2D from uv, or from the mixtures)", async () => {
    await checkRoot(gpu, 7, 3, false);
    await checkRoot(gpu, 5, 1, true);
  });

  it('runs on a 2D grid', async () => {
    await check(gpu, 300, 3, 9);
  });
});
