import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { networkProgram, programOf } from '../../src/model/network-program.js';
import { runNetworkRef, runProgramRef } from '../../src/model/reference-network.js';
import { ENCODER_MODES } from '../../src/temporal/encoder-config.js';
import { chunkWindows, type SequenceInfo } from '../../src/temporal/sequence-batch.js';
import { parseTemporalWeights } from '../../src/temporal/temporal-weights.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenPath } from '../helpers/golden.js';
import { expectReject, trackPixels as pixelsOf } from '../helpers/temporal.js';

// train/fixtures_temporal.py: a tiny random temporal model and its PyTorch outputs (see encoder-parity.test.ts).
const tiny = new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors')));
const golden = JSON.parse(readFileSync(goldenPath('golden-temporal.json'), 'utf8'));
const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);

const trackPixels = () => pixelsOf(f32(golden.track));

describe('temporal lift on the CPU: FiLM denoiser and the whole sequence vs PyTorch', () => {
  const w = parseTemporalWeights(tiny);

  it("the FiLM-conditioned denoiser gives PyTorch's eps per item (own t and FiLM each)", () => {
    const x = f32(golden.denoiser.x),
      film = f32(golden.denoiser.film),
      eps = f32(golden.denoiser.eps);
    const t: number[] = golden.denoiser.t;
    const stride = film.length / t.length;
    t.forEach((ti, i) => {
      const out = runNetworkRef(
        w.denoiser,
        x.subarray(i * 85, (i + 1) * 85),
        1,
        ti,
        film.subarray(i * stride, (i + 1) * stride),
      );
      expectClose(out, eps.subarray(i * 85, (i + 1) * 85), 1e-4, 1e-4, `eps of item ${i} (t = ${ti})`);
    });
  });

  it("a FiLM op per residual block; with zero FiLM the program is the frame denoiser's, bit for bit", () => {
    const program = programOf(w.denoiser);
    expect(program.ops.filter((op) => op.kind === 'film').map((op) => op.name)).to.deep.equal(['L0 film', 'L1 film']);
    const plain = networkProgram(w.denoiser);
    expect(plain.ops.some((op) => op.kind === 'film')).to.equal(false);
    const x = f32(golden.denoiser.x).subarray(0, 3 * 85);
    const a = runProgramRef(program, x, 3, 25, new Float32Array(3 * program.film!.layers * 2 * program.film!.width));
    expect(Array.from(a)).to.deep.equal(Array.from(runProgramRef(plain, x, 3, 25)));
    expect(() => runProgramRef(program, x, 3, 25)).to.throw(/FiLM values/);
  });

  for (const mode of ENCODER_MODES) {
    it(`liftSequence (${mode}, official init, DDIM [12, 0]) gives PyTorch's poses`, async () => {
      const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
      const { keypoints, confidence } = trackPixels();
      const r = await model.liftSequence(keypoints, {
        imageSize: [1000, 1000],
        confidence,
        init: 'official',
        causal: mode === 'causal',
      });
      expect(r.poses.length).to.equal(20 * 51);
      expectClose(r.poses, f32(golden[mode].xyz), 2e-4, 2e-4, `${mode} poses`);
      // A one-frame track is its own window, edge padded.
      const one = await model.liftSequence(keypoints.subarray(0, 34), {
        imageSize: [1000, 1000],
        confidence: confidence.subarray(0, 17),
        init: 'official',
        causal: mode === 'causal',
      });
      expect(one.poses.length).to.equal(51);
      model.dispose();
    });
  }

  it('liftSequences: tracks lifted together equal tracks lifted alone; empty tracks give empty results', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const { keypoints, confidence } = trackPixels();
    const a = { keypoints: keypoints.subarray(0, 7 * 34), confidence: confidence.subarray(0, 7 * 17) };
    const b = { keypoints: keypoints.subarray(7 * 34), confidence: confidence.subarray(7 * 17) };
    const opts = { imageSize: [1000, 1000] as const, hypotheses: 3, seed: 5 };
    const [ra, re, rb] = await model.liftSequences([a, { keypoints: [], confidence: [] }, b], opts);
    const alone = await model.liftSequence(b.keypoints, { ...opts, confidence: b.confidence, poseOffset: 7 });
    expect(re.poses.length).to.equal(0);
    expect(ra.poses.length).to.equal(7 * 51);
    expect(Array.from(rb.poses)).to.deep.equal(Array.from(alone.poses));
    expect(Array.from(rb.root)).to.deep.equal(Array.from(alone.root));
    model.dispose();
  });

  it('refuses what it cannot do, before any work: no temporal weights, a bad causal, confidence per call in liftSequences', async () => {
    const frameOnly = await DiffPose.load({ weights: FRAME_WEIGHTS, backend: 'cpu' });
    const kp = trackPixels().keypoints.subarray(0, 34);
    await expectReject(frameOnly.liftSequence(kp, { imageSize: [1000, 1000] }), /no temporal weights/);
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    await expectReject(
      model.liftSequence(kp, { imageSize: [1000, 1000], causal: 'yes' as unknown as boolean }),
      /causal must be true or false/,
    );
    await expectReject(
      model.liftSequences([{ keypoints: kp }], { imageSize: [1000, 1000], confidence: [1] } as never),
      /give each track its confidence/,
    );
    await expectReject(
      model.liftSequences([{ keypoints: kp.subarray(0, 33) }], { imageSize: [1000, 1000] }),
      /not a multiple of 34/,
    );
    await expectReject(
      model.liftSequences([{ keypoints: kp, confidence: new Float32Array(17) }, { keypoints: kp }], {
        imageSize: [1000, 1000],
      }),
      /every track or for none/,
    );
    // A bad value's index is in what the caller passed: not in the track upsampled in time
    // (fps 15) nor in the tracks joined together.
    const track = trackPixels()
      .keypoints.subarray(0, 3 * 34)
      .slice();
    track[72] = NaN;
    await expectReject(model.liftSequence(track, { imageSize: [1000, 1000], fps: 15 }), /^keypoints\[72\] is NaN/);
    await expectReject(
      model.liftSequences([{ keypoints: kp }, { keypoints: track }], { imageSize: [1000, 1000] }),
      /^tracks\[1\]\.keypoints\[72\] is NaN/,
    );
    const unsure = new Float32Array(3 * 17).fill(0.5);
    unsure[20] = 1.5;
    await expectReject(
      model.liftSequences(
        [{ keypoints: kp }, { keypoints: trackPixels().keypoints.subarray(0, 3 * 34), confidence: unsure }],
        {
          imageSize: [1000, 1000],
        },
      ),
      /^tracks\[1\]\.confidence\[20\] = 1\.5 is outside \[0, 1\]/,
    );
    // Still usable.
    expect((await model.liftSequence(kp, { imageSize: [1000, 1000] })).poses.length).to.equal(51);
  });

  it('takes a mixture without keypoints, as lift does: each joint at its heaviest component', async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const { keypoints } = trackPixels();
    const T = 5;
    const kp = keypoints.subarray(0, T * 34);
    // Two components per joint: the heavier one at the keypoint, a lighter one 30 px to the right.
    const gmm = {
      components: 2,
      weights: Float32Array.from({ length: T * 17 * 2 }, (_, i) => (i % 2 ? 0.3 : 0.7)),
      means: Float32Array.from(
        { length: T * 17 * 4 },
        (_, i) => kp[2 * Math.floor(i / 4) + (i % 2)] + (i % 4 === 2 ? 30 : 0),
      ),
      sigmas: new Float32Array(T * 17 * 4).fill(6),
    };
    const opts = { imageSize: [1000, 1000] as const, hypotheses: 2, seed: 3, gmm };
    const left = await model.liftSequence([], opts);
    const given = await model.liftSequence(kp, opts);
    expect(left.poses.length).to.equal(T * 51);
    expect(Array.from(left.poses)).to.deep.equal(Array.from(given.poses));
    model.dispose();
  });

  it("pose counters wrap at 2^32: an upsampled track's offset (fps 15)", async () => {
    const model = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu', maxBatch: 2 });
    const kp = trackPixels().keypoints.subarray(0, 4 * 34);
    // Upsampled twice, real frame i draws with counter 2 (poseOffset + i) mod 2^32: 2^31 is 0.
    const opts = { imageSize: [1000, 1000] as const, hypotheses: 2, seed: 9, fps: 15 };
    const wrapped = await model.liftSequence(kp, { ...opts, poseOffset: 2 ** 31 });
    const zero = await model.liftSequence(kp, { ...opts, poseOffset: 0 });
    const one = await model.liftSequence(kp, { ...opts, poseOffset: 1 });
    expect(Array.from(wrapped.poses)).to.deep.equal(Array.from(zero.poses));
    expect(Array.from(one.poses)).to.not.deep.equal(Array.from(zero.poses));
    model.dispose();
  });
});

describe('sequence windows of a chunk', () => {
  it("the frames a chunk reads and each pose's (track first, track last, own) index in them", () => {
    // Tracks of 5, 40 and 3 frames, every frame a pose.
    const windows: number[] = [];
    let start = 0;
    for (const n of [5, 40, 3]) {
      for (let t = start; t < start + n; t++) windows.push(start, start + n - 1, t, 0);
      start += n;
    }
    const info: SequenceInfo = {
      mode: 'offline',
      frames: new Float32Array(48 * 51),
      windows: Uint32Array.from(windows),
      ring: 0,
    };
    // A chunk of poses 3..46 with the offline reach (13, 13).
    const c = chunkWindows(info, [13, 13], 3, 44);
    expect([c.first, c.end]).to.deep.equal([0, 48]);
    expect(Array.from(c.windows.subarray(0, 4))).to.deep.equal([0, 4, 3, 0]);
    expect(Array.from(c.windows.subarray(8, 12))).to.deep.equal([5, 44, 5, 0]);
    // A chunk inside the long track reads only the reach of its windows.
    const inner = chunkWindows(info, [26, 0], 40, 2);
    expect([inner.first, inner.end]).to.deep.equal([14, 42]);
    expect(Array.from(inner.windows)).to.deep.equal([0, 27, 26, 0, 0, 27, 27, 0]);
  });
});
