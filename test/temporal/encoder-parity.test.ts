import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { serializeSafetensors, parseSafetensors } from '../../src/model/safetensors.js';
import { rootCenterRef } from '../../src/model/root-center.js';
import { runNetworkRef } from '../../src/model/reference-network.js';
import { encodeTrackRef, normaliseFrames } from '../../src/temporal/context-encoder.ref.js';
import { ENCODER_MODES } from '../../src/temporal/encoder-config.js';
import { parseTemporalWeights } from '../../src/temporal/temporal-weights.js';
import { expectClose } from '../helpers/close.js';
import { f32, goldenPath } from '../helpers/golden.js';
import { expectWeightsError } from '../helpers/temporal.js';

// train/fixtures_temporal.py: a tiny random temporal model (12 channels, dilations 3 and 9, FiLM
// for a 2-layer, 16-wide denoiser) and its PyTorch outputs on a 20-frame track.
const bytes = new Uint8Array(readFileSync(goldenPath('tiny-temporal.safetensors')));
const golden = JSON.parse(readFileSync(goldenPath('golden-temporal.json'), 'utf8'));

describe('temporal context encoder: CPU reference vs PyTorch', () => {
  const w = parseTemporalWeights(bytes);
  const track = f32(golden.track);
  const frames = track.length / 51;

  it('reads the temporal weights file: the lifter, both encoders, the FiLM denoiser, windows of 27', () => {
    expect(w.config.lifter.coordsOut).to.equal(3);
    expect(frames).to.equal(20);
    expect(w.config.temporal.offline.pad).to.deep.equal([13, 13]);
    expect(w.config.temporal.causal.pad).to.deep.equal([26, 0]);
    expect(w.encoders.causal.blocks.map((b) => b.dilation)).to.deep.equal([3, 9]);
    expect(w.denoiser.temb).to.not.equal(undefined);
  });

  it('normalises each frame like PyTorch', () => {
    const x = Float32Array.from(track);
    normaliseFrames(x, frames);
    expectClose(x, f32(golden.normalised), 1e-5, 1e-5, 'normalised frames');
  });

  for (const mode of ENCODER_MODES) {
    it(`${mode}: start-pose corrections and FiLM of a 20-frame track and of a one-frame track; start = lifter + delta`, () => {
      const r = encodeTrackRef(w.encoders[mode], track, frames);
      expectClose(r.delta, f32(golden[mode].delta), 1e-4, 1e-4, `${mode} delta`);
      expectClose(r.film, f32(golden[mode].film), 1e-4, 1e-4, `${mode} film`);
      const one = encodeTrackRef(w.encoders[mode], track, 1);
      expectClose(one.delta, f32(golden[mode].one_frame_delta), 1e-4, 1e-4, `${mode} one-frame delta`);
      expectClose(one.film, f32(golden[mode].one_frame_film), 1e-4, 1e-4, `${mode} one-frame film`);
      // The lifter on each frame's uv (the track's first two channels), root-centred, plus delta.
      const uv = new Float32Array(frames * 34);
      for (let i = 0; i < frames * 17; i++) uv.set(track.subarray(3 * i, 3 * i + 2), 2 * i);
      const lifted = rootCenterRef(runNetworkRef(w.lifter, uv, frames), frames, 3, 0);
      expectClose(lifted, f32(golden[mode].lifter_start), 1e-4, 1e-4, `${mode} lifter start`);
      expectClose(
        lifted.map((v, i) => v + r.delta[i]),
        f32(golden[mode].start),
        1e-4,
        1e-4,
        `${mode} start`,
      );
    });
  }

  it('causal outputs never depend on later frames; offline ones do', () => {
    const changed = Float32Array.from(track);
    for (let i = 12 * 51; i < changed.length; i++) if (i % 3 !== 2) changed[i] += 0.2;
    for (const mode of ENCODER_MODES) {
      const a = encodeTrackRef(w.encoders[mode], track, frames),
        b = encodeTrackRef(w.encoders[mode], changed, frames);
      const same = Array.from(a.delta.subarray(0, 12 * 51)).every((v, i) => v === b.delta[i]);
      expect(same, mode).to.equal(mode === 'causal');
    }
  });

  it('refuses a file whose FiLM does not fit its denoiser, or whose window disagrees with its dilations', () => {
    const file = parseSafetensors(bytes);
    const config = JSON.parse(file.metadata['diffpose.config']);
    const tensors = Object.fromEntries([...file.tensors].map(([k, t]) => [k, t]));
    const rewrite = (edit: (c: any) => void) => {
      const c = structuredClone(config);
      edit(c);
      return serializeSafetensors(tensors, { ...file.metadata, 'diffpose.config': JSON.stringify(c) });
    };
    const cases: Array<[(c: any) => void, RegExp]> = [
      [
        (c) => {
          c.temporal.causal.filmWidth = 8;
        },
        /FiLM for 2 layers of width 8, but the denoiser has 2 layers of width 16/,
      ],
      [
        (c) => {
          c.temporal.offline.window = 25;
        },
        /window" is 25, but its dilations give 27/,
      ],
      [
        (c) => {
          c.temporal.offline.pad = [26, 0];
        },
        /pad" must be \[13,13\]/,
      ],
      [
        (c) => {
          delete c.temporal;
        },
        /"temporal" is missing/,
      ],
      [
        (c) => {
          delete c.lifter;
        },
        /"lifter" is missing/,
      ],
    ];
    for (const [edit, pattern] of cases) expectWeightsError(() => parseTemporalWeights(rewrite(edit)), pattern);
  });
});

describe('the shipped temporal weights', () => {
  it('weights/diffpose-temporal.safetensors reads, and both encoders give finite corrections on the walk clip', () => {
    const w = parseTemporalWeights(
      new Uint8Array(readFileSync(new URL('../../weights/diffpose-temporal.safetensors', import.meta.url))),
    );
    expect(w.config.temporal.offline.window).to.equal(27);
    const walk = JSON.parse(readFileSync(new URL('../../examples/walk-h36m17.json', import.meta.url), 'utf8')) as {
      imageSize: [number, number];
      frames: Array<{ keypoints: number[][] }>;
    };
    const [width, height] = walk.imageSize;
    const track = Float32Array.from(
      walk.frames
        .slice(0, 30)
        .flatMap((f) => f.keypoints.flatMap(([x, y, c]) => [(x / width) * 2 - 1, (y / width) * 2 - height / width, c])),
    );
    // A v2 file's encoders also read the lifter's root-centred xyz of every frame: here the clip's true poses.
    const truth = JSON.parse(readFileSync(new URL('../../examples/walk-truth.json', import.meta.url), 'utf8')) as {
      frames: Array<{ joints: number[] }>;
    };
    const lifted = Float32Array.from(
      truth.frames.slice(0, 30).flatMap((f) => f.joints.map((v, k) => v - f.joints[k % 3])),
    );
    for (const mode of ENCODER_MODES) {
      const r = encodeTrackRef(w.encoders[mode], track, 30, lifted);
      expect(r.delta.every(Number.isFinite) && r.film.every(Number.isFinite), mode).to.equal(true);
      // A correction, not a pose: centimetres to decimetres, not metres.
      expect(Math.max(...r.delta.map(Math.abs)), mode).to.be.below(1);
    }
  });
});
