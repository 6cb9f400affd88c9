import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { HEATMAP_FIT_KERNEL, type HeatmapFitParams } from '../../src/kernels/heatmap-fit.js';
import { fitHeatmapsRef, FIT_STRIDE, type FitOutputMap } from '../../src/model/heatmap-fit.js';
import { renderHeatmap, type HeatmapBlob } from '../../src/pose/heatmap-render.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

interface Case {
  poses: number;
  joints: number;
  width: number;
  height: number;
  components: number;
  map?: FitOutputMap;
  /** Default: HEATMAP_FIT.targetSigma (the random blobs, std 1-6, fall on both sides of its floor). */
  targetSigma?: number;
}

/** Per (pose, joint) 1-3 random blobs (some overlapping, some wide) on a low noisy floor, plus a few negative values. */
function heatmaps(c: Case, seed: number): Float32Array {
  const { width: w, height: h } = c;
  const maps = c.poses * c.joints;
  const u = randomFloats(maps * 16, seed, 0, 1);
  const out = randomFloats(maps * w * h, seed + 1, -2e-4, 1e-3);
  for (let m = 0; m < maps; m++) {
    const r = u.subarray(m * 16, m * 16 + 16);
    const count = 1 + Math.floor(r[0] * 3);
    const blobs: HeatmapBlob[] = [];
    for (let b = 0; b < count; b++) {
      const s = 1 + r[1 + b * 5] * (b === 2 ? 5 : 2);
      blobs.push({
        weight: 0.2 + r[2 + b * 5],
        x: r[3 + b * 5] * (w - 1),
        y: r[4 + b * 5] * (h - 1),
        sx: s,
        sy: s * (0.7 + 0.6 * r[5 + b * 5]),
      });
    }
    renderHeatmap(out, m * w * h, w, h, blobs);
  }
  return out;
}

function boxesOf(poses: number, seed: number): Float32Array {
  const r = randomFloats(poses * 4, seed, 0, 1);
  const out = new Float32Array(poses * 4);
  for (let n = 0; n < poses; n++) {
    const left = 600 * r[n * 4],
      top = 400 * r[n * 4 + 1];
    out.set([left, top, left + 80 + 200 * r[n * 4 + 2], top + 150 + 300 * r[n * 4 + 3]], n * 4);
  }
  return out;
}

async function check(gpu: GpuContext, c: Case, seed: number) {
  const hm = heatmaps(c, seed);
  const boxes = boxesOf(c.poses, seed + 7);
  const map = c.map ?? { scale: 1, offsetX: 0, offsetY: 0 };
  const params: HeatmapFitParams = { ...c, map, writeUv: true };
  const got = await runKernel(gpu, {
    desc: HEATMAP_FIT_KERNEL,
    params,
    inputs: { heatmaps: hm, boxes },
    outputs: { fit: c.poses * c.joints * c.components * FIT_STRIDE, uv: c.poses * c.joints * 2 },
    calls: [{ ...batchRun(c.poses), batch: c.poses * c.joints }],
  });
  const want = fitHeatmapsRef({ ...c, heatmaps: hm, boxes, map });
  // Weights to 1e-3; means and stds to 2e-3 of a heatmap pixel in the output's units.
  const unit = (map.scale * 600) / c.width;
  const K = c.components;
  const weights = (a: Float32Array) => a.filter((_, i) => i % FIT_STRIDE === 0);
  const values = (a: Float32Array) => a.filter((_, i) => i % FIT_STRIDE !== 0);
  expectClose(
    got.fit.filter((_, i) => i % FIT_STRIDE === 0),
    weights(want),
    1e-3,
    0,
    `weights ${JSON.stringify(c)}`,
  );
  expectClose(values(got.fit), values(want), 2e-3 * unit, 1e-5, `means and stds ${JSON.stringify(c)}`);
  // uv: the heaviest component's mean.
  const uv = new Float32Array(c.poses * c.joints * 2);
  for (let i = 0; i < c.poses * c.joints; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (want[(i * K + k) * FIT_STRIDE] > want[(i * K + best) * FIT_STRIDE]) best = k;
    uv.set(want.subarray((i * K + best) * FIT_STRIDE + 1, (i * K + best) * FIT_STRIDE + 3), i * 2);
  }
  expectClose(got.uv, uv, 2e-3 * unit, 1e-5, `uv ${JSON.stringify(c)}`);
  return got.fit;
}

describe('heatmap_fit kernel vs fitHeatmapsRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  for (const components of [1, 3, 5]) {
    it(`odd sizes: 3 poses x 17 joints of 29 x 37, K = ${components}`, async function () {
      await check(gpu, { poses: 3, joints: 17, width: 29, height: 37, components }, 10 + components);
    });
  }

  it('in uv units (the liftBuffers form), 2 poses of 48 x 64, K = 3', async function () {
    await check(
      gpu,
      {
        poses: 2,
        joints: 17,
        width: 48,
        height: 64,
        components: 3,
        map: { scale: 2 / 640, offsetX: -1, offsetY: -0.75 },
      },
      3,
    );
  });

  for (const targetSigma of [0, 1.5]) {
    it(`targetSigma ${targetSigma}: the same rule as the reference, K = 3`, async function () {
      await check(gpu, { poses: 2, joints: 17, width: 29, height: 37, components: 3, targetSigma }, 20);
    });
  }

  it('128 x 128 heatmaps, K = 2', async function () {
    await check(gpu, { poses: 1, joints: 4, width: 128, height: 128, components: 2 }, 5);
  });

  it('maps smaller than the workgroup (5 x 3 pixels) and flat ones', async function () {
    const fit = await check(gpu, { poses: 2, joints: 3, width: 5, height: 3, components: 2 }, 9);
    expect(fit.every(Number.isFinite)).to.equal(true);
    const flat = await runKernel(gpu, {
      desc: HEATMAP_FIT_KERNEL,
      params: {
        width: 6,
        height: 4,
        joints: 1,
        components: 2,
        map: { scale: 1, offsetX: 0, offsetY: 0 },
        writeUv: false,
      },
      inputs: { heatmaps: new Float32Array(24).fill(0.5), boxes: new Float32Array([0, 0, 6, 4]) },
      outputs: { fit: 10, uv: 2 },
      calls: [batchRun(1)],
    });
    expect(Array.from(flat.fit)).to.deep.equal(
      Array.from(
        new Float32Array([
          1,
          3,
          2,
          6 / Math.sqrt(12),
          4 / Math.sqrt(12),
          0,
          3,
          2,
          6 / Math.sqrt(12),
          4 / Math.sqrt(12),
        ]),
      ),
    );
  });
});
