import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import {
  AGGREGATE,
  CALIBRATION_BYTES,
  FUSE_BYTES,
  fuseRecords,
  packCalibration,
  packFuse,
} from '../../src/kernels/aggregate.js';
import { readFileSync } from 'node:fs';
import { aggregateRef } from '../../src/model/aggregate.js';
import { mixtureBands, radius90, type Calibration } from '../../src/model/calibration.js';
import { sigmaFromConfidence } from '../../src/pose/input.js';
import { fitRoots } from '../../src/pose/root-trajectory.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';

const J = 17;
/** An uncalibrated plan's calibration uniform: no radius written. */
const UNCALIBRATED = new Float32Array(CALIBRATION_BYTES / 4);
/** The outputs (with a root per pose) and the one call of a case of `poses` x `hypotheses`. */
function outputsAndCall(poses: number, hypotheses: number) {
  return {
    outputs: {
      mean: poses * J * 3,
      spread: poses * J,
      samples: poses * hypotheses * J * 3,
      root: poses * 3,
      radius: 4,
    },
    calls: [{ batch: poses * hypotheses, poses, hypotheses, poseOffset: 0, key: [0, 0] as const }],
  };
}

/** No output average (every lift but a v2 sequence's). */
const NO_FUSE = new Float32Array(FUSE_BYTES / 4);

async function check(gpu: GpuContext, poses: number, hypotheses: number, maxWorkgroupsPerDimension?: number) {
  const x = randomFloats(poses * hypotheses * J * 5, poses * 100 + hypotheses, -2, 2);
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: { fitRoot: false },
    inputs: { x, uv: new Float32Array(4), calibration: UNCALIBRATED, fuse: NO_FUSE },
    outputs: { mean: poses * J * 3, spread: poses * J, samples: poses * hypotheses * J * 3, root: 4, radius: 4 },
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
    inputs: { x, uv: uvInGmm ? new Float32Array(4) : uv, gmm, calibration: UNCALIBRATED, fuse: NO_FUSE },
    ...outputsAndCall(poses, hypotheses),
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

/** A calibration with distinct values in every cell, so a wrong joint or band shows. */
function testCalibration(bands: number[]): Calibration {
  const cell = (base: number) =>
    Array.from({ length: J }, (_, j) =>
      bands.map((_, b) => base + 0.01 * j + 0.1 * b).concat(base + 0.01 * j + 0.1 * bands.length),
    );
  return { bands, offset: cell(0.02), scale: cell(1.5), single: cell(0.05), fitted: 'test' };
}

/**
 * radius90 in the kernel against radius90(mixtureBands) on the CPU: mixtures from confidences
 * (edges 0.5 and 0.8 exactly among them) or a caller's 3-component mixtures of random widths.
 * Even poses have sure pelvis and hips (each joint then banded by its own mixture), odd poses
 * random ones (the widest of the joint's and theirs).
 */
async function checkRadius(gpu: GpuContext, poses: number, hypotheses: number, components: number, cal: Calibration) {
  const x = randomFloats(poses * hypotheses * J * 5, poses * 31 + hypotheses, -1, 1);
  const conf = randomFloats(poses * J, 77 + poses, 0, 1);
  const edges = [0, 0.5, 0.8, 1, 0.25];
  for (let i = 0; i < conf.length; i += 3) conf[i] = edges[(i / 3) % edges.length];
  const widths = randomFloats(poses * J * components * 2, 5 + components, 0.0005, 0.05);
  const sureRoot = (i: number) => Math.floor(i / J) % 2 === 0 && [0, 1, 4].includes(i % J);
  for (let i = 0; i < poses * J; i++)
    if (sureRoot(i)) {
      conf[i] = 1;
      for (let k = 0; k < components * 2; k++) widths[i * components * 2 + k] = 0.0005;
    }
  const gmm = new Float32Array(poses * J * components * 5);
  for (let i = 0; i < poses * J; i++)
    for (let k = 0; k < components; k++) {
      const g = (i * components + k) * 5;
      if (components === 1) {
        const s = sigmaFromConfidence(conf[i]);
        gmm.set([1, 0.1, -0.2, s, s], g);
      } else
        gmm.set(
          [1 / components, 0.1 * k, 0, widths[(i * components + k) * 2], widths[(i * components + k) * 2 + 1]],
          g,
        );
    }
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: { fitRoot: false, components },
    inputs: { x, uv: new Float32Array(4), gmm, calibration: new Float32Array(packCalibration(cal)), fuse: NO_FUSE },
    outputs: {
      mean: poses * J * 3,
      spread: poses * J,
      samples: poses * hypotheses * J * 3,
      root: 4,
      radius: poses * J,
    },
    calls: [{ batch: poses * hypotheses, poses, hypotheses, poseOffset: 0, key: [0, 0] }],
  });
  const bandsOf = mixtureBands(cal, gmm, components, poses * J);
  if (components === 1) {
    // Mixtures from confidences fall in the band of the lowest confidence of the joint, the
    // pelvis and the hips, edges included.
    for (let i = 0; i < conf.length; i++) {
      const pose = i - (i % J);
      const c = Math.min(conf[i], conf[pose], conf[pose + 1], conf[pose + 4]);
      let b = 0;
      while (b < cal.bands.length && c >= cal.bands[b]) b++;
      if (bandsOf[i] !== b) throw new Error(`joint ${i % J} confidence ${c}: band ${bandsOf[i]}, expected ${b}`);
    }
    const used = new Set(bandsOf);
    if (used.size !== cal.bands.length + 1) throw new Error(`bands used: ${[...used]}, expected all`);
  }
  const want = radius90(cal, aggregateRef(x, poses, hypotheses).spread, bandsOf, hypotheses);
  expectClose(out.radius, want, 1e-5, 1e-5, `radius90, ${poses} poses, H ${hypotheses}, K ${components}`);
}

/**
 * v2's output average (docs/temporal-model.md §12.1 step 5): 12 state poses in two tracks (0-4,
 * 5-11), outputs the state poses 3-8 (offset 3), 7 taps 3 before; each output the weighted
 * neighbours' means clamped to its track, the root fitted to it, spread and samples its own.
 */
async function checkFuse(gpu: GpuContext, hypotheses: number) {
  const truth = JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
    frames: Array<{ joints: number[] }>;
  };
  const states = 12,
    offset = 3,
    poses = 6,
    taps = 7,
    before = 3;
  const cam = { focal: 1.6, center: [0.05, -0.02] as const };
  const jitter = randomFloats(states * hypotheses * J * 5, 19, -0.02, 0.02);
  const x = new Float32Array(states * hypotheses * J * 5);
  for (let e = 0; e < states; e++)
    for (let h = 0; h < hypotheses; h++)
      for (let i = 0; i < J * 5; i++) {
        const r = (e * hypotheses + h) * J * 5 + i;
        x[r] = (i % 5 >= 2 ? truth.frames[e].joints[3 * Math.floor(i / 5) + (i % 5) - 2] : 0) + jitter[r];
      }
  const weights = randomFloats(taps * J, 23, -0.1, 0.4);
  const bounds = Array.from({ length: poses }, (_, n): [number, number] => (n + offset <= 4 ? [0, 4] : [5, 11]));
  // The 2D of each output: its truth pose 3 m in front of the camera, projected.
  const uv = new Float32Array(poses * J * 2);
  for (let n = 0; n < poses; n++)
    for (let j = 0; j < J; j++) {
      const [X, Y, Z] = truth.frames[n + offset].joints.slice(3 * j, 3 * j + 3);
      uv.set([(cam.focal * X) / (Z + 3) + cam.center[0], (cam.focal * Y) / (Z + 3) + cam.center[1]], (n * J + j) * 2);
    }
  const gmm = new Float32Array(states * J * 5);
  for (let i = 0; i < states * J; i++) gmm.set([1, 0, 0, 0.002 + 0.001 * (i % 7), 0.003], i * 5);
  const out = await runKernel(gpu, {
    desc: AGGREGATE,
    params: { fitRoot: true, components: 1, camera: cam },
    inputs: {
      x,
      uv: fuseRecords(uv, bounds),
      gmm,
      calibration: UNCALIBRATED,
      fuse: new Float32Array(packFuse({ weights, taps, before, offset })),
    },
    ...outputsAndCall(poses, hypotheses),
  });
  const all = aggregateRef(x, states, hypotheses);
  const want = new Float32Array(poses * J * 3);
  for (let n = 0; n < poses; n++)
    for (let k = 0; k < taps; k++) {
      const q = Math.min(Math.max(n + offset - before + k, bounds[n][0]), bounds[n][1]);
      for (let i = 0; i < J * 3; i++)
        want[n * J * 3 + i] += weights[k * J + Math.floor(i / 3)] * all.mean[q * J * 3 + i];
    }
  const what = `output average, H ${hypotheses}`;
  expectClose(out.mean, want, 1e-5, 1e-4, `${what}: mean`);
  expectClose(out.spread, all.spread.subarray(offset * J, (offset + poses) * J), 1e-5, 1e-4, `${what}: spread`);
  expectClose(
    out.samples,
    all.samples.subarray(offset * hypotheses * J * 3, (offset + poses) * hypotheses * J * 3),
    1e-6,
    1e-6,
    `${what}: samples`,
  );
  const jointWeights = new Float32Array(poses * J);
  for (let i = 0; i < poses * J; i++) {
    const g = gmm.subarray((offset * J + i) * 5);
    jointWeights[i] = 1 / ((g[3] ** 2 + g[4] ** 2) / 2);
  }
  const root = fitRoots(want, uv, jointWeights, poses, cam);
  expect(root.every(Number.isFinite), 'roots in front of the camera').to.equal(true);
  expectClose(out.root, root, 2e-4, 2e-4, `${what}: root of the averaged pose`);
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

  it('computes radius90 like radius90(mixtureBands) on the CPU, per joint and band, H = 1 and more', async () => {
    await checkRadius(gpu, 7, 5, 1, testCalibration([0.5, 0.8]));
    await checkRadius(gpu, 3, 1, 1, testCalibration([0.5, 0.8]));
    await checkRadius(gpu, 11, 3, 3, testCalibration([0.3, 0.6, 0.9]));
    await checkRadius(gpu, 5, 2, 1, testCalibration([]));
  });

  it("v2's output average: the neighbours' means clamped to the track, the root fitted to it, spread and samples the pose's own", async () => {
    await checkFuse(gpu, 1);
    await checkFuse(gpu, 3);
  });

  it('runs on a 2D grid', async () => {
    await check(gpu, 300, 3, 9);
  });
});
