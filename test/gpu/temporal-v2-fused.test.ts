import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose, type SequenceTrack } from '../../src/diffpose.js';
import { testGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/close.js';
import { goldenPath } from '../helpers/golden.js';
import { someKeypoints } from '../helpers/models.js';

// A v2 temporal file (docs/temporal-model.md §12): the tiny v2 fixture (train/fixtures_temporal.py
// --design v2), its output average over 7 frames (3 / 3 offline, 6 / 0 causal).
const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);
const tinyV2 = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));

/** Tracks of 1, 2, 5 and 37 frames (someKeypoints: plausible 2D bodies, one pose per frame). */
function tracks(): SequenceTrack[] {
  return [1, 2, 5, 37].map((n, i) => {
    const keypoints = someKeypoints(n, 90 + i);
    const confidence = Float32Array.from({ length: n * 17 }, (_, k) => 0.3 + (0.7 * ((k * 7919 + i) % 13)) / 12);
    return { keypoints, confidence };
  });
}

describe('v2 temporal sequence lifts on the fused plans vs the CPU reference', function () {
  this.timeout(600_000);

  it('fused = cpu for tracks of 1, 2, 5 and 37 frames in one call, both windows, across chunk edges, in 4 dispatches per chunk', async function () {
    const gpu = await testGpu(this);
    const opts = { weights: FRAME_WEIGHTS, temporalWeights: tinyV2 };
    // The smallest plan (64 items) with 3 hypotheses: 21 poses per chunk, less the output
    // average's reach of 6: outputs in chunks of 15, so windows and averages reach across chunk edges.
    const model = await DiffPose.load({ ...opts, device: gpu.device, maxBatch: 64 });
    const cpu = await DiffPose.load({ ...opts, backend: 'cpu' });
    try {
      for (const causal of [false, true]) {
        const o = { imageSize: [640, 480] as const, hypotheses: 3, seed: 11, causal, samples: true as const };
        const ref = await cpu.liftSequences(tracks(), { ...o, executor: 'cpu' });
        const got = await model.liftSequences(tracks(), { ...o, executor: 'fused' });
        // 45 poses in chunks of 15: 3 submissions of 4 dispatches.
        expect(model.lastCall('fused', 'temporal')).to.deep.include({ dispatches: 12, submits: 3 });
        got.forEach((r, i) => {
          const what = `causal=${causal} track ${i}`;
          expectClose(r.poses, ref[i].poses, 2e-4, 2e-4, `${what}: poses (the output average)`);
          expectClose(r.samples!, ref[i].samples!, 2e-4, 2e-4, `${what}: samples`);
          expectClose(r.spread, ref[i].spread, 2e-4, 2e-4, `${what}: spread`);
          // The root, fitted to the averaged pose (NaN where the 2D fixes none, on both).
          expect(Array.from(r.root, Number.isNaN), `${what}: no root`).to.deep.equal(
            Array.from(ref[i].root, Number.isNaN),
          );
          const finite = (a: Float32Array) => a.filter((_, k) => !Number.isNaN(ref[i].root[k]));
          expectClose(finite(r.root), finite(ref[i].root), 2e-3, 2e-3, `${what}: root`);
        });
        // The output average is really applied: a pose is not its own hypotheses' mean.
        const [, , , long] = got;
        const own = long.samples!.subarray(0, 3 * 51);
        const mean = Array.from({ length: 51 }, (_, k) => (own[k] + own[51 + k] + own[102 + k]) / 3);
        expect(Math.max(...mean.map((v, k) => Math.abs(v - long.poses[k])))).to.be.above(1e-3);
      }
      // 16 hypotheses leave 4 poses per chunk, fewer than the output average's reach of 6: refused before any work.
      let refused: unknown;
      await model
        .liftSequences(tracks(), { imageSize: [640, 480], hypotheses: 16, executor: 'fused' })
        .catch((e: unknown) => (refused = e));
      expect(String(refused)).to.match(
        /InputError: 16 hypotheses and an output average of 7 frames exceed the plan's 64 items/,
      );
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });

  it('fused-f16 and one call on a larger plan agree with the CPU on the long track', async function () {
    const gpu = await testGpu(this);
    const opts = { weights: FRAME_WEIGHTS, temporalWeights: tinyV2 };
    const model = await DiffPose.load({ ...opts, device: gpu.device });
    const cpu = await DiffPose.load({ ...opts, backend: 'cpu' });
    try {
      const t = tracks()[3];
      for (const causal of [false, true]) {
        const o = { imageSize: [640, 480] as const, confidence: t.confidence, init: 'official' as const, causal };
        const ref = await cpu.liftSequence(t.keypoints, o);
        const got = await model.liftSequence(t.keypoints, { ...o, executor: 'fused' });
        expect(model.lastCall('fused', 'temporal')).to.deep.include({ dispatches: 4, submits: 1 });
        expectClose(got.poses, ref.poses, 2e-4, 2e-4, `fused causal=${causal}`);
        // f16 weights and activations: within the shipped v1 model's 5 mm (temporal-fused.test.ts; measured 0.8 mm).
        const half = await model.liftSequence(t.keypoints, { ...o, executor: 'fused-f16' });
        expectClose(half.poses, ref.poses, 5e-3, 0, `fused-f16 causal=${causal}`);
      }
    } finally {
      model.dispose();
      cpu.dispose();
    }
  });
});
