import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose, type SequenceTrack } from '../../src/diffpose.js';
import type { ExecutorName } from '../../src/lift-options.js';
import { randomWeightsFile } from '../../src/model/random-weights.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenPath } from '../helpers/golden.js';
import { readBack, testGpu } from '../helpers/gpu.js';
import { SMALL_CONFIG, someKeypoints, withLifter } from '../helpers/models.js';

// A lifter that reads each joint's confidence as a third input channel (docs/temporal-model.md
// §13) through every executor: PyTorch's outputs (train/fixtures.py), the CPU reference, per-op,
// fused f32 and f16, the GPU-resident buffer lift, and the temporal model's sequences and streams.
const golden = JSON.parse(readFileSync(goldenPath('golden-confidence.json'), 'utf8'));
const goldenWeights = new Uint8Array(readFileSync(goldenPath('tiny-confidence.safetensors')));
const CONFIDENCE_CONFIG = { ...SMALL_CONFIG, lifter: { ...SMALL_CONFIG.lifter, coordsIn: 3 } };

/** The golden uv as pixels of a 2 x 2 image (uv = p - 1). */
function goldenKeypoints(): { keypoints: Float32Array; confidence: Float32Array; n: number } {
  const keypoints = f32(golden.uv).map((v) => v + 1);
  return { keypoints, confidence: f32(golden.confidence), n: keypoints.length / 34 };
}

/** [N, 17, 3] (x, y, confidence) rows for a buffer lift. */
function interleave(keypoints: Float32Array, confidence: Float32Array): Float32Array {
  const out = new Float32Array(confidence.length * 3);
  confidence.forEach((c, i) => out.set([keypoints[2 * i], keypoints[2 * i + 1], c], 3 * i));
  return out;
}

describe('a confidence-reading lifter (coordsIn 3)', function () {
  this.timeout(600_000);

  it('matches PyTorch on every executor (official init, [12, 0])', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: goldenWeights, device: gpu.device });
    const cpu = await DiffPose.load({ weights: goldenWeights, backend: 'cpu' });
    try {
      expect(model.weights.config.lifter.coordsIn).to.equal(3);
      const { keypoints, confidence } = goldenKeypoints();
      const opts = { imageSize: [2, 2] as const, init: 'official' as const, timesteps: [12, 0], confidence };
      const want = f32(golden.xyz);
      const ref = await cpu.lift(keypoints, { ...opts, executor: 'cpu' });
      expectClose(ref.poses, want, 1e-4, 0, 'CPU reference vs PyTorch');
      for (const executor of ['per-op', 'fused'] as ExecutorName[]) {
        const r = await model.lift(keypoints, { ...opts, executor });
        expectClose(r.poses, want, 1e-4, 0, `${executor} vs PyTorch`);
      }
      // f16 weights and activations: the f16 tests' tolerance against f32.
      const half = await model.lift(keypoints, { ...opts, executor: 'fused-f16' });
      expectClose(half.poses, want, 5e-3, 2e-2, 'fused-f16 vs PyTorch');
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });

  it('reads the confidence: the same keypoints lift differently with other confidences, and "none" means 1', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: goldenWeights, device: gpu.device });
    try {
      const { keypoints, confidence, n } = goldenKeypoints();
      const opts = { imageSize: [2, 2] as const, init: 'official' as const, executor: 'fused' as const };
      const given = await model.lift(keypoints, { ...opts, confidence });
      const none = await model.lift(keypoints, opts);
      // Pose 0's confidences are all 1 in the fixture: the same as giving none.
      expectClose(given.poses.subarray(0, 51), none.poses.subarray(0, 51), 1e-6, 0, 'pose 0: all 1 = none');
      for (let p = 1; p < n; p++) {
        const diff = Math.max(
          ...given.poses.subarray(p * 51, (p + 1) * 51).map((v, k) => Math.abs(v - none.poses[p * 51 + k])),
        );
        expect(diff, `pose ${p}: lifted as if sure`).to.be.above(1e-3);
      }
    } finally {
      model.dispose();
    }
  });

  it('GPU-resident buffer lift = host lift (confidence read from the keypoints buffer), f32 and f16', async function () {
    const gpu = await testGpu(this);
    const { device } = gpu;
    const model = await DiffPose.load({ weights: randomWeightsFile(CONFIDENCE_CONFIG, 5), device });
    const n = 7;
    const keypoints = someKeypoints(n, 3);
    const confidence = Float32Array.from({ length: n * 17 }, (_, i) => ((i * 37) % 101) / 100);
    const rows = interleave(keypoints, confidence);
    const input = device.createBuffer({
      label: 'test: keypoints with confidence',
      size: rows.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const poses = device.createBuffer({
      label: 'test: poses',
      size: n * 51 * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    try {
      device.queue.writeBuffer(input, 0, rows as Float32Array<ArrayBuffer>);
      const options = { imageSize: [640, 480] as const, hypotheses: 4, init: 'paper' as const, seed: 3 };
      for (const executor of ['fused', 'fused-f16'] as const) {
        await model.liftBuffers({ ...options, keypoints: input, poses, count: n, executor });
        const got = await readBack(device, device.createCommandEncoder(), poses, n * 51 * 4);
        const host = await model.lift(keypoints, { ...options, confidence, executor });
        expectClose(got, host.poses, 1e-5, 1e-5, `${executor}: buffer lift vs host lift`);
      }
    } finally {
      for (const b of [input, poses]) b.destroy();
      model.dispose();
    }
  });

  for (const n of [1, 7, 300]) {
    it(`fused = per-op = CPU reference within 1e-4 m on a random model: batch ${n}, H 8, paper init`, async function () {
      const gpu = await testGpu(this);
      const weights = randomWeightsFile(CONFIDENCE_CONFIG, 17);
      const model = await DiffPose.load({ weights, device: gpu.device, maxBatch: 1024 });
      const cpu = await DiffPose.load({ weights, backend: 'cpu' });
      try {
        const keypoints = someKeypoints(n, n + 2);
        const confidence = Float32Array.from({ length: n * 17 }, (_, i) => ((i * 13) % 17) / 16);
        const opts = { imageSize: [640, 480] as const, hypotheses: 8, init: 'paper' as const, seed: n, confidence };
        const fused = await model.lift(keypoints, { ...opts, executor: 'fused' });
        const perOp = await model.lift(keypoints, { ...opts, executor: 'per-op' });
        const ref = await cpu.lift(keypoints, { ...opts, executor: 'cpu' });
        expectClose(fused.poses, ref.poses, 1e-4, 0, 'fused vs CPU');
        expectClose(perOp.poses, ref.poses, 1e-4, 0, 'per-op vs CPU');
        expectClose(fused.spread, ref.spread, 1e-4, 0, 'spread fused vs CPU');
      } finally {
        model.dispose();
        cpu.dispose();
      }
    });
  }

  it('in a temporal model: sequences and stream pushes on the GPU = the CPU reference', async function () {
    const gpu = await testGpu(this);
    const temporal = withLifter(
      new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors'))),
      goldenWeights,
    );
    const opts = { weights: goldenWeights, temporalWeights: temporal };
    const model = await DiffPose.load({ ...opts, device: gpu.device, maxBatch: 64 });
    const cpu = await DiffPose.load({ ...opts, backend: 'cpu' });
    try {
      const tracks: SequenceTrack[] = [1, 5, 23].map((n, i) => ({
        keypoints: someKeypoints(n, 40 + i),
        confidence: Float32Array.from({ length: n * 17 }, (_, k) => ((k * 7919 + i) % 11) / 10),
      }));
      for (const causal of [false, true]) {
        const o = { imageSize: [640, 480] as const, hypotheses: 2, seed: 4, causal };
        const ref = await cpu.liftSequences(tracks, { ...o, executor: 'cpu' });
        const got = await model.liftSequences(tracks, { ...o, executor: 'fused' });
        got.forEach((r, i) => expectClose(r.poses, ref[i].poses, 2e-4, 2e-4, `causal=${causal} track ${i}`));
      }
      // A live stream of the 23-frame track, frame by frame, = the causal sequence lift (official
      // init: deterministic, so the pushes' random keys do not matter).
      const { keypoints, confidence } = tracks[2] as { keypoints: Float32Array; confidence: Float32Array };
      const live = { imageSize: [640, 480] as const, init: 'official' as const };
      const want = await cpu.liftSequence(keypoints, { ...live, confidence, causal: true, executor: 'cpu' });
      const stream = await model.createStream({ ...live, executor: 'fused' });
      try {
        for (let t = 0; t < 23; t++) {
          const r = await stream.push(keypoints.subarray(t * 34, (t + 1) * 34), {
            confidence: confidence.subarray(t * 17, (t + 1) * 17),
          });
          expectClose(r.poses, want.poses.subarray(t * 51, (t + 1) * 51), 2e-4, 2e-4, `push ${t}`);
        }
      } finally {
        stream.dispose();
      }
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });
});
