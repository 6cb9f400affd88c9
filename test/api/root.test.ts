import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { smoothRoots } from '../../src/pose/root-trajectory.js';

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
