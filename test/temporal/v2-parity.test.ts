import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DiffPose } from '../../src/diffpose.js';
import { liftReference } from '../../src/model/reference-sampler.js';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.js';
import { resolveSettings } from '../../src/lift-options.js';
import { prepareInput } from '../../src/pose/input.js';
import { encodeTrackRef } from '../../src/temporal/context-encoder.ref.js';
import { ENCODER_MODES } from '../../src/temporal/encoder-config.js';
import { encodeSequenceRef, liftFramesRef, trackSequence } from '../../src/temporal/sequence-batch.js';
import { temporalModel } from '../../src/temporal/temporal-model.js';
import { parseTemporalWeights } from '../../src/temporal/temporal-weights.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenPath } from '../helpers/golden.js';
import { expectReject, expectWeightsError, trackPixels as pixelsOf } from '../helpers/temporal.js';

// train/fixtures_temporal.py --design v2 (docs/temporal-model.md §12.2): the tiny temporal model
// with 102 encoder inputs, a start average [27, 17] and an output average over 7 frames (pads
// 3/3 offline, 6/0 causal), each a moving average plus per-joint noise; its PyTorch outputs on a 20-frame track.
const tiny = new Uint8Array(readFileSync(goldenPath('tiny-temporal-v2.safetensors')));
const golden = JSON.parse(readFileSync(goldenPath('golden-temporal-v2.json'), 'utf8'));
const FRAME_WEIGHTS = new URL('../../weights/diffpose.safetensors', import.meta.url);
const track = f32(golden.track);
const FRAMES = track.length / 51;
const trackPixels = () => pixelsOf(track);

describe('temporal model v2: CPU reference vs PyTorch', () => {
  const w = parseTemporalWeights(tiny);
  const model = temporalModel(w);

  it('reads a v2 file: 102 inputs, the start average [27, 17], the output average [7, 17] with its pads', () => {
    expect(golden.design).to.equal('v2');
    for (const mode of ENCODER_MODES) {
      const e = w.encoders[mode];
      expect(e.config.inputs).to.equal(102);
      expect(e.input.cin).to.equal(102);
      expect(e.average!.length).to.equal(27 * 17);
      expect(e.fuse!.length).to.equal(7 * 17);
    }
    expect(w.config.temporal.offline.fuse).to.deep.equal({ window: 7, pad: [3, 3] });
    expect(w.config.temporal.causal.fuse).to.deep.equal({ window: 7, pad: [6, 0] });
    // A v1 file has none of it.
    const v1 = parseTemporalWeights(new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors'))));
    expect(v1.config.temporal.offline.fuse).to.equal(undefined);
    expect(v1.encoders.causal.average).to.equal(undefined);
  });

  it('the lifter over every frame, root-centred', () => {
    expectClose(liftFramesRef(model, track), f32(golden.lifted), 1e-4, 1e-4, 'lifted');
  });

  for (const mode of ENCODER_MODES) {
    it(`${mode}: delta, FiLM and start = average of the window's lifter xyz + delta, whole track and one frame`, () => {
      const lifted = liftFramesRef(model, track);
      const r = encodeTrackRef(w.encoders[mode], track, FRAMES, lifted);
      const g = golden[mode];
      expectClose(r.delta, f32(g.delta), 1e-4, 1e-4, `${mode} delta`);
      expectClose(r.film, f32(g.film), 1e-4, 1e-4, `${mode} film`);
      expectClose(r.start!, f32(g.start), 1e-4, 1e-4, `${mode} start`);
      expectClose(
        r.start!.map((v, i) => v - r.delta[i]),
        f32(g.average_start),
        1e-4,
        1e-4,
        `${mode} average start`,
      );
      const one = encodeTrackRef(w.encoders[mode], track, 1, lifted);
      expectClose(one.delta, f32(g.one_frame_delta), 1e-4, 1e-4, `${mode} one-frame delta`);
      expectClose(one.film, f32(g.one_frame_film), 1e-4, 1e-4, `${mode} one-frame film`);
      expectClose(one.start!, f32(g.one_frame_start), 1e-4, 1e-4, `${mode} one-frame start`);
    });

    it(`${mode}: the kernel's per-window reference equals the whole-track one; the denoised poses are PyTorch's`, async () => {
      const { keypoints, confidence } = trackPixels();
      const batch = prepareInput({ keypoints, imageSize: [1000, 1000], confidence });
      batch.sequence = trackSequence(batch, mode, [FRAMES]);
      const cond = encodeSequenceRef(model, batch.sequence, FRAMES);
      const whole = encodeTrackRef(w.encoders[mode], track, FRAMES, liftFramesRef(model, track));
      expectClose(cond.start!, whole.start!, 1e-5, 1e-5, `${mode} windows vs track: start`);
      expectClose(cond.film, whole.film, 1e-5, 1e-5, `${mode} windows vs track: film`);
      const settings = resolveSettings({ imageSize: [1000, 1000], init: 'official' }, model.config);
      const r = await liftReference(model, batch, settings, cond);
      expectClose(r.mean, f32(golden[mode].denoised), 2e-4, 2e-4, `${mode} denoised`);
    });

    it(`liftSequence (${mode}, official init, DDIM [12, 0]) gives PyTorch's output average; one frame too`, async () => {
      const m = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
      const { keypoints, confidence } = trackPixels();
      const opts = { imageSize: [1000, 1000] as const, init: 'official' as const, causal: mode === 'causal' };
      const r = await m.liftSequence(keypoints, { ...opts, confidence });
      expectClose(r.poses, f32(golden[mode].xyz), 2e-4, 2e-4, `${mode} poses`);
      // The output is not the denoised pose itself (the fixture's averages are not the identity).
      expect(Math.max(...r.poses.map((v, i) => Math.abs(v - golden[mode].denoised.data[i])))).to.be.above(1e-3);
      const one = await m.liftSequence(keypoints.subarray(0, 34), { ...opts, confidence: confidence.subarray(0, 17) });
      expectClose(one.poses, f32(golden[mode].one_frame_xyz), 2e-4, 2e-4, `${mode} one-frame poses`);
      m.dispose();
    });
  }

  it('liftSequences: the averages stay inside each track (tracks together = tracks alone); causal never reads later frames', async () => {
    const m = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const { keypoints, confidence } = trackPixels();
    const a = { keypoints: keypoints.subarray(0, 7 * 34), confidence: confidence.subarray(0, 7 * 17) };
    const b = { keypoints: keypoints.subarray(7 * 34), confidence: confidence.subarray(7 * 17) };
    for (const causal of [false, true]) {
      const opts = { imageSize: [1000, 1000] as const, hypotheses: 3, seed: 5, causal };
      const [ra, rb] = await m.liftSequences([a, b], opts);
      const alone = await m.liftSequence(b.keypoints, { ...opts, confidence: b.confidence, poseOffset: 7 });
      expect(ra.poses.length).to.equal(7 * 51);
      expect(Array.from(rb.poses)).to.deep.equal(Array.from(alone.poses));
      expect(Array.from(rb.spread)).to.deep.equal(Array.from(alone.spread));
      // Frames 12.. moved: the causal outputs of frames 0..11 stay, the offline ones near 11 change.
      const moved = Float32Array.from(keypoints);
      for (let i = 12 * 34; i < moved.length; i++) moved[i] += 20;
      const [x, y] = await Promise.all([
        m.liftSequence(keypoints, { ...opts, confidence }),
        m.liftSequence(moved, { ...opts, confidence }),
      ]);
      const same = Array.from(x.poses.subarray(0, 12 * 51)).every((v, i) => v === y.poses[i]);
      expect(same, causal ? 'causal' : 'offline').to.equal(causal);
    }
    m.dispose();
  });

  it("refuses reprojection aggregation (it picks among one frame's hypotheses), before any work", async () => {
    const m = await DiffPose.load({ weights: FRAME_WEIGHTS, temporalWeights: tiny, backend: 'cpu' });
    const kp = trackPixels().keypoints.subarray(0, 34);
    await expectReject(
      m.liftSequence(kp, { imageSize: [1000, 1000], aggregate: 'reprojection' }),
      /a v2 temporal file averages/,
    );
    m.dispose();
  });

  it('refuses a v2 config or tensor that is not exactly §12.2, naming the field', () => {
    const file = parseSafetensors(tiny);
    const config = JSON.parse(file.metadata['diffpose.config']);
    const tensors = Object.fromEntries(file.tensors);
    const rewrite = (edit: (c: any, t: Record<string, unknown>) => void) => {
      const c = structuredClone(config);
      const t = { ...tensors };
      edit(c, t);
      return serializeSafetensors(t as never, { ...file.metadata, 'diffpose.config': JSON.stringify(c) });
    };
    const v1 = parseSafetensors(new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors'))));
    const v1Config = JSON.parse(v1.metadata['diffpose.config']);
    const cases: Array<[(c: any, t: Record<string, unknown>) => void, RegExp]> = [
      [(c) => delete c.temporal.offline.start, /"temporal.offline.start" must be "lifter-average"/],
      [(c) => (c.temporal.causal.start = 'lifter'), /"temporal.causal.start" must be "lifter-average"/],
      [(c) => (c.temporal.offline.output = 'denoised'), /"temporal.offline.output" must be "fused"/],
      [(c) => delete c.temporal.causal.fuse, /"temporal.causal.fuse" is missing/],
      [(c) => (c.temporal.offline.fuse.window = 6), /"temporal.offline.fuse.window" must be odd/],
      [(c) => (c.temporal.causal.fuse.pad = [3, 3]), /"temporal.causal.fuse.pad" must be \[6,0\]/],
      [(c) => (c.temporal.offline.inputs = 77), /"temporal.offline.inputs" must be 51 .* or 102/],
      [(_, t) => delete t['context.causal.average'], /missing tensor "context.causal.average"/],
      [
        (_, t) => (t['context.offline.fuse'] = t['context.offline.average']),
        /"context.offline.fuse" has shape \[27,17\]/,
      ],
      // A v1 config over v2 tensors, and v2 fields in a v1 encoder.
      [
        (c) => (c.temporal = v1Config.temporal),
        /unexpected tensor "context.offline.average" for a offline encoder \(v1\)/,
      ],
      [
        (c, t) => {
          c.temporal = v1Config.temporal;
          for (const k of Object.keys(t)) if (/\.(average|fuse)$/.test(k)) delete t[k];
        },
        /"context.offline.input.weight" has shape \[12,102,3\] but the config implies \[12,51,3\]/,
      ],
      [
        (c) => {
          c.temporal.offline.inputs = 51;
        },
        /"temporal.offline.start" belongs to a v2 encoder/,
      ],
    ];
    for (const [edit, pattern] of cases) expectWeightsError(() => parseTemporalWeights(rewrite(edit)), pattern);
  });
});
