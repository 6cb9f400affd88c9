import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose, type SequenceTrack } from '../../src/diffpose.js';
import { testGpu } from '../helpers/gpu.js';
import { expectClose } from '../helpers/close.js';
import { goldenPath } from '../helpers/golden.js';
import { someKeypoints } from '../helpers/models.js';

const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);
const tiny = new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors')));

/** Tracks of 1, 30 and 9 frames (someKeypoints: plausible 2D bodies, one pose per frame). */
function tracks(): SequenceTrack[] {
  return [1, 30, 9].map((n, i) => {
    const keypoints = someKeypoints(n, 70 + i);
    const confidence = Float32Array.from({ length: n * 17 }, (_, k) => 0.3 + (0.7 * ((k * 7919 + i) % 13)) / 12);
    return { keypoints, confidence };
  });
}

describe('temporal sequence lifts on the fused plans vs the CPU reference', function () {
  this.timeout(600_000);

  // Tolerances (absolute, relative) per executor. fused-f16 only on the shipped model: the tiny
  // random one's FiLM gains of several units amplify f16's rounding to centimetres, which says
  // nothing about the path; the shipped model's real value ranges (FiLM up to ~0.3) are what f16
  // must hold, to the frame model's 5 mm (fused-f16.test.ts).
  const cases = [
    ['tiny random model', tiny, { fused: [2e-4, 2e-4] }],
    ['shipped temporal model', undefined, { fused: [5e-4, 0], 'fused-f16': [5e-3, 0] }],
  ] as const;
  for (const [name, temporalWeights, tolerances] of cases) {
    it(`${name}: ${Object.keys(tolerances).join(' and ')} = cpu, offline and causal, in 4 dispatches per chunk (chunked by maxBatch)`, async function () {
      const gpu = await testGpu(this);
      const opts = temporalWeights ? { weights: FRAME_WEIGHTS, temporalWeights } : {};
      // The smallest plan (64 items) with 3 hypotheses: chunks of 21 poses, so windows reach across chunk edges.
      const model = await DiffPose.load({ ...opts, device: gpu.device, maxBatch: 64 });
      const cpu = await DiffPose.load({ ...opts, backend: 'cpu' });
      try {
        for (const causal of [false, true]) {
          const o = { imageSize: [640, 480] as const, hypotheses: 3, seed: 11, causal, samples: true as const };
          const ref = await cpu.liftSequences(tracks(), { ...o, executor: 'cpu' });
          for (const [executor, [atol, rtol]] of Object.entries(tolerances) as Array<
            ['fused' | 'fused-f16', readonly [number, number]]
          >) {
            const got = await model.liftSequences(tracks(), { ...o, executor });
            // 40 poses in chunks of 21 (a v2 file's chunk also denoises its output average's
            // reach: 21 - (fuse.window - 1) outputs): one submission of 4 dispatches per chunk.
            const fuse = model.temporal!.encoders[causal ? 'causal' : 'offline'].config.fuse;
            const chunks = Math.ceil(40 / (21 - (fuse ? fuse.window - 1 : 0)));
            expect(model.lastCall(executor, 'temporal')).to.deep.include({ dispatches: 4 * chunks, submits: chunks });
            got.forEach((r, i) =>
              expectClose(r.samples, ref[i].samples!, atol, rtol, `${executor} causal=${causal} track ${i}`),
            );
          }
        }
        // The frame model on the same device is untouched: 3 dispatches, no FiLM.
        await model.lift(someKeypoints(2, 3), { imageSize: [640, 480], executor: 'fused' });
        expect(model.lastCall('fused')!.dispatches).to.equal(3);
      } finally {
        model.dispose();
        cpu.dispose();
      }
    });
  }

  it('the temporal model really uses the context: a sequence lift differs from lifting its frames alone', async function () {
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ device: gpu.device });
    try {
      const [, t] = tracks();
      const seq = await model.liftSequence(t.keypoints, { imageSize: [640, 480], confidence: t.confidence });
      const frames = await model.lift(t.keypoints, { imageSize: [640, 480], confidence: t.confidence });
      let diff = 0;
      seq.poses.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - frames.poses[i]));
      });
      expect(diff).to.be.above(1e-3);
    } finally {
      model.dispose();
    }
  });
});
