import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { InputError } from '../../src/errors.js';
import { upsampleFactor, upsampleTrack } from '../../src/temporal/frame-rate.js';
import { expectClose } from '../helpers/close.js';
import { goldenPath } from '../helpers/golden.js';
import { testGpu } from '../helpers/gpu.js';
import { someKeypoints } from '../helpers/models.js';

const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);
const tinyV2 = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));
const IMAGE = [640, 480] as const;
const T = 12;
const keypoints = someKeypoints(T, 41);
const confidence = Float32Array.from({ length: T * 17 }, (_, i) =>
  i % 5 === 0 ? 0 : 0.3 + (0.7 * ((i * 13) % 7)) / 7,
);

/** Every `f`-th pose of [N, 17, 3] poses. */
const everyNth = (poses: Float32Array, f: number) =>
  Float32Array.from(
    { length: Math.ceil(poses.length / 51 / f) * 51 },
    (_, k) => poses[Math.floor(k / 51) * f * 51 + (k % 51)],
  );

/** The 15 fps track at 30 fps by hand: a midpoint between each two frames, each joint as sure as the less sure of the two. */
function doubled(kp: Float32Array, conf: Float32Array) {
  const n = kp.length / 34;
  const k2: number[] = [],
    c2: number[] = [];
  for (let t = 0; t < n; t++) {
    k2.push(...kp.subarray(t * 34, (t + 1) * 34));
    c2.push(...conf.subarray(t * 17, (t + 1) * 17));
    if (t === n - 1) break;
    for (let j = 0; j < 34; j++) k2.push((kp[t * 34 + j] + kp[(t + 1) * 34 + j]) / 2);
    for (let j = 0; j < 17; j++) c2.push(Math.min(conf[t * 17 + j], conf[(t + 1) * 17 + j]));
  }
  return { keypoints: Float32Array.from(k2), confidence: Float32Array.from(c2) };
}

describe('low frame rates: the temporal model reads the 2D upsampled to about 30 fps (fps option)', function () {
  this.timeout(600_000);

  it('upsampleFactor: round(30 / fps), 1 from 25 fps up, at most 6; a bad fps is an InputError', () => {
    expect([60, 30, 25, 24, 20, 15, 12, 10, 6, 1, 0.1].map(upsampleFactor)).to.deep.equal([
      1, 1, 1, 1, 2, 2, 3, 3, 5, 6, 6,
    ]);
    expect(upsampleFactor(undefined)).to.equal(1);
    for (const bad of [0, -15, NaN, Infinity, '15'])
      expect(() => upsampleFactor(bad as number), String(bad)).to.throw(InputError, /fps must be a positive number/);
  });

  it('upsampleTrack: interpolated positions, the lower confidence of the two frames, the real frames unchanged', () => {
    const kp = Float32Array.from([0, 10, 30, 40, 90, 70]); // 3 frames x 1 keypoint
    const conf = Float32Array.from([0.2, 0.9, 0.6]);
    const up = upsampleTrack(kp, conf, 1, 3);
    expectClose(
      up.keypoints,
      Float32Array.from([0, 10, 10, 20, 20, 30, 30, 40, 50, 50, 70, 60, 90, 70]),
      1e-5,
      0,
      'keypoints',
    );
    expectClose(up.confidence!, Float32Array.from([0.2, 0.2, 0.2, 0.9, 0.6, 0.6, 0.6]), 1e-7, 0, 'confidence');
    expect(upsampleTrack(kp.subarray(0, 2), conf.subarray(0, 1), 1, 3).keypoints.length, 'one frame').to.equal(2);
  });

  it('liftSequence at 15 fps = the hand-doubled track at 30 fps read at the real frames; 25 fps and up as without fps (CPU)', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, backend: 'cpu' });
    for (const causal of [false, true]) {
      const options = { imageSize: IMAGE, init: 'official' as const, hypotheses: 1, causal };
      const plain = await model.liftSequence(keypoints, { ...options, confidence });
      for (const fps of [25, 30, 60])
        expect(Array.from((await model.liftSequence(keypoints, { ...options, confidence, fps })).poses)).to.deep.equal(
          Array.from(plain.poses),
        );
      const slow = await model.liftSequence(keypoints, { ...options, confidence, fps: 15 });
      const d = doubled(keypoints, confidence);
      const want = await model.liftSequence(d.keypoints, { ...options, confidence: d.confidence });
      expect(slow.poses.length).to.equal(T * 51);
      expect(slow.root.length).to.equal(T * 3);
      expectClose(slow.poses, everyNth(want.poses, 2), 1e-6, 0, `causal ${causal}`);
      expect(
        Math.max(...slow.poses.map((v, i) => Math.abs(v - plain.poses[i]))),
        'upsampling changes the poses',
      ).to.be.greaterThan(1e-4);
    }
    let caught: unknown;
    try {
      await model.liftSequence(keypoints, { imageSize: IMAGE, fps: -1 });
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).message).to.match(/fps must be a positive number/);
    model.dispose();
  });

  /** A 15 fps stream: each push equals liftSequence (causal, fps 15) on the frames its track was pushed. */
  async function checkStream(model: DiffPose, executor: 'cpu' | 'fused', atol: number) {
    const stream = await model.createStream({ imageSize: IMAGE, init: 'official', executor, fps: 15, maxTracks: 3 });
    const other = someKeypoints(T, 43);
    const pushed: Record<string, number[]> = { a: [], b: [] };
    for (let f = 0; f < T; f++) {
      // "b" joins at frame 3 and misses frames 6 and 7 (bridged, interpolated across).
      const ids = ['a', ...(f >= 3 && f !== 6 && f !== 7 ? ['b'] : [])];
      const kp = ids.flatMap((id) => Array.from((id === 'a' ? keypoints : other).subarray(f * 34, (f + 1) * 34)));
      const conf = ids.flatMap(() => Array.from(confidence.subarray(f * 17, (f + 1) * 17)));
      const r = await stream.push(kp, { confidence: conf, tracks: ids });
      expect(r.frame).to.equal(f);
      for (const [p, id] of ids.entries()) {
        pushed[id].push(f);
        const frames = pushed[id];
        const source = id === 'a' ? keypoints : other;
        const want = await model.liftSequence(
          Float32Array.from(frames.flatMap((g) => Array.from(source.subarray(g * 34, (g + 1) * 34)))),
          {
            imageSize: IMAGE,
            init: 'official',
            causal: true,
            fps: 15,
            executor,
            confidence: Float32Array.from(frames.flatMap((g) => Array.from(confidence.subarray(g * 17, (g + 1) * 17)))),
          },
        );
        expectClose(
          r.poses.subarray(p * 51, (p + 1) * 51),
          want.poses.subarray(want.poses.length - 51),
          atol,
          0,
          `${executor} ${id} frame ${f}`,
        );
      }
    }
    stream.dispose();
  }

  it('a 15 fps stream runs the interpolated frames too: every push = liftSequence (causal, fps 15) of its track (CPU)', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, backend: 'cpu' });
    await checkStream(model, 'cpu', 1e-6);
    model.dispose();
  });

  it('the same on the GPU rings (fused); pushBuffers refuses an upsampling stream', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tinyV2, device: gpu.device });
    await checkStream(model, 'fused', 2e-4);
    const stream = await model.createStream({ imageSize: IMAGE, fps: 15 });
    const buffer = (size: number) =>
      gpu.device.createBuffer({
        label: 'test: frame-rate buffer',
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      });
    let caught: unknown;
    try {
      await stream.pushBuffers({ keypoints: buffer(17 * 12), poses: buffer(17 * 12), count: 1 });
    } catch (e) {
      caught = e;
    }
    expect((caught as Error).message).to.match(/upsamples its 2D in time/);
    stream.dispose();
    model.dispose();
  });
});
