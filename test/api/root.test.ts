import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { smoothRoots } from '../../src/pose/root-trajectory.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { readBack } from '../kernels/harness.js';

// The bundled walk clip (test split, simulated detector noise) and the camera that made it.
const example = JSON.parse(readFileSync(new URL('../../examples/walk-h36m17.json', import.meta.url), 'utf8')) as {
  imageSize: [number, number];
  frames: Array<{ keypoints: number[][] }>;
};
const camera = (
  JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
    camera: { fx: number; cx: number; cy: number };
  }
).camera;

describe('LiftResult.root: the camera-frame root trajectory', () => {
  let model: DiffPose;
  before(async () => {
    model = await DiffPose.load({ backend: 'cpu' });
  });

  it('places the lifted poses so that they reproject onto the input 2D, with the given intrinsics', async () => {
    const frames = example.frames.slice(0, 12);
    const keypoints = frames.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y]));
    const confidence = frames.flatMap((f) => f.keypoints.map((k) => k[2]));
    const r = await model.lift(keypoints, {
      imageSize: example.imageSize,
      confidence,
      camera: { focal: camera.fx, center: [camera.cx, camera.cy] },
    });
    expect(r.root.length).to.equal(12 * 3);
    let sum = 0,
      n = 0;
    for (let i = 0; i < 12; i++) {
      const [tx, ty, tz] = r.root.subarray(i * 3, i * 3 + 3);
      // A person walking a few metres in front of the camera.
      expect(tz).to.be.within(1.5, 15);
      for (let j = 0; j < 17; j++) {
        if (confidence[i * 17 + j] < 0.5) continue;
        const X = r.poses[(i * 17 + j) * 3] + tx,
          Y = r.poses[(i * 17 + j) * 3 + 1] + ty,
          Z = r.poses[(i * 17 + j) * 3 + 2] + tz;
        const u = (camera.fx * X) / Z + camera.cx,
          v = (camera.fx * Y) / Z + camera.cy;
        sum += Math.hypot(u - keypoints[(i * 17 + j) * 2], v - keypoints[(i * 17 + j) * 2 + 1]);
        n++;
      }
    }
    // The pose is the model's, not the truth, so the reprojection is close but not exact: a few pixels.
    expect(sum / n, `mean reprojection error ${(sum / n).toFixed(2)} px`).to.be.below(6);
  });

  it('a sequence lifted with the offline window has a smoothed trajectory; frame lifts and causal ones do not', async () => {
    const frames = example.frames.slice(0, 40);
    const keypoints = frames.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y]));
    const confidence = frames.flatMap((f) => f.keypoints.map((k) => k[2]));
    const options = { imageSize: example.imageSize, confidence, init: 'official' as const };
    const seq = await model.liftSequence(keypoints, options);
    const causal = await model.liftSequence(keypoints, { ...options, causal: true });
    const accel = (root: Float32Array) => {
      let s = 0;
      for (let t = 0; t + 2 < 40; t++)
        for (let c = 0; c < 3; c++) s += Math.abs(root[3 * (t + 2) + c] - 2 * root[3 * (t + 1) + c] + root[3 * t + c]);
      return s;
    };
    // The offline trajectory is the causal model's kind of per-frame fit, averaged: much steadier.
    expect(accel(seq.root)).to.be.below(0.5 * accel(causal.root));
    expect(seq.root.every(Number.isFinite)).to.equal(true);
  });

  it('smoothRoots: a centred average over the frames with a root; a straight line stays straight inside the track', () => {
    const line = Float32Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 5 + 0.1 * Math.floor(i / 3) : i % 3));
    const s = smoothRoots(line, 10);
    for (let t = 3; t < 7; t++) expect(s[3 * t + 2]).to.be.closeTo(line[3 * t + 2], 1e-6);
    const holes = Float32Array.from(line);
    holes.fill(NaN, 12, 15);
    const h = smoothRoots(holes, 10);
    expect(Number.isNaN(h[12])).to.equal(true);
    expect(h.filter((v, i) => !(i >= 12 && i < 15)).every(Number.isFinite)).to.equal(true);
  });

  it('refuses bad intrinsics before any work', async () => {
    for (const [cam, pattern] of [
      [{ focal: -3 }, /camera.focal/],
      [{ center: [1] }, /camera.center/],
      [{ fov: 60 }, /unknown option "fov"/],
    ] as const) {
      let caught: unknown;
      try {
        await model.lift(new Float32Array(34).fill(100), { imageSize: [640, 480], camera: cam as never });
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(InputError);
      expect((caught as Error).message).to.match(pattern);
    }
  });
});

describe('LiftResult.root on the GPU: fitted in the fused aggregation dispatch', function () {
  this.timeout(600_000);
  it("equals the CPU fit of the same poses (fused, fused-f16), and liftBuffers writes it to a caller's buffer", async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ device: gpu.device });
    const cpu = await DiffPose.load({ backend: 'cpu' });
    try {
      const frames = example.frames.slice(0, 9);
      const keypoints = Float32Array.from(frames.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y])));
      const confidence = Float32Array.from(frames.flatMap((f) => f.keypoints.map((k) => k[2])));
      const options = { imageSize: example.imageSize, confidence, hypotheses: 3, seed: 2 };
      for (const executor of ['fused', 'fused-f16'] as const) {
        const r = await model.lift(keypoints, { ...options, executor });
        // The CPU fit of the GPU's own poses: only the fit's arithmetic differs (f32 on the GPU).
        const weights = new Float32Array(9 * 17);
        const ref = await cpu.lift(keypoints, options);
        expect(ref.root.every(Number.isFinite)).to.equal(true);
        const { fitRoots, uvCamera } = await import('../../src/pose/root-trajectory.js');
        const uv = keypoints.map((v, i) =>
          i % 2 === 0
            ? (v / example.imageSize[0]) * 2 - 1
            : (v / example.imageSize[0]) * 2 - example.imageSize[1] / example.imageSize[0],
        );
        for (let i = 0; i < weights.length; i++) {
          const c = confidence[i],
            s = 0.001 + 0.015 * (1 - c) + 0.075 * (1 - c) ** 6;
          weights[i] = 1 / (s * s);
        }
        const want = fitRoots(r.poses, uv, weights, 9, uvCamera(example.imageSize));
        expectClose(r.root, want, 2e-3, 1e-3, `${executor} root vs the CPU fit of its poses`);
      }
      // liftBuffers: keypoints (x, y, confidence) in, poses and root out.
      const kp3 = new Float32Array(9 * 51);
      for (let i = 0; i < 9 * 17; i++) kp3.set([keypoints[2 * i], keypoints[2 * i + 1], confidence[i]], 3 * i);
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      // Sizes in whole 16 bytes: the test readback copies whole 16-byte rows.
      const buf = (n: number) => gpu.device.createBuffer({ size: Math.ceil(n / 4) * 16, usage });
      const kb = buf(9 * 51),
        pb = buf(9 * 51),
        rb = buf(9 * 3);
      gpu.device.queue.writeBuffer(kb, 0, kp3);
      await model.liftBuffers({
        keypoints: kb,
        poses: pb,
        root: rb,
        count: 9,
        imageSize: example.imageSize,
        hypotheses: 3,
        seed: 2,
      });
      const roots = await readBack(gpu, rb, 27);
      const host = await model.lift(keypoints, { ...options, executor: 'fused' });
      expectClose(roots, host.root, 1e-3, 1e-3, 'liftBuffers root vs lift');
      for (const b of [kb, pb, rb]) b.destroy();
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });
});
