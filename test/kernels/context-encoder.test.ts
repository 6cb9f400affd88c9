import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { CONTEXT_ENCODER } from '../../src/kernels/context-encoder.js';
import { encodeTrackRef } from '../../src/temporal/context-encoder.ref.js';
import { ENCODER_INPUTS, type EncoderConfig } from '../../src/temporal/encoder-config.js';
import { encoderPlan, encoderWindows, encodeWindowsRef } from '../../src/temporal/encoder-plan.js';
import { chunkWindows, type SequenceInfo } from '../../src/temporal/sequence-batch.js';
import type { ConvParams, EncoderParams } from '../../src/temporal/temporal-weights.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

/** A random encoder of odd width with the given dilations (window 1 + 2 (1 + sum)). */
function randomEncoder(
  channels: number,
  dilations: number[],
  causal: boolean,
  normalise: boolean,
  filmOut: number,
  seed: number,
  v2 = false,
): EncoderParams {
  let s = seed;
  const conv = (cout: number, cin: number, taps: number): ConvParams => ({
    cout,
    cin,
    taps,
    weight: randomFloats(cout * cin * taps, s++, -0.3, 0.3),
    bias: randomFloats(cout, s++, -0.2, 0.2),
  });
  const window = 1 + 2 * (1 + dilations.reduce((a, b) => a + b, 0));
  const config: EncoderConfig = {
    channels,
    dilations,
    causal,
    window,
    pad: causal ? [window - 1, 0] : [(window - 1) / 2, (window - 1) / 2],
    inputs: v2 ? 2 * ENCODER_INPUTS : ENCODER_INPUTS,
    filmLayers: 1,
    filmWidth: filmOut / 2,
    normalise,
    // v2 (docs/temporal-model.md §12): 102 inputs, the start average; the output average is the aggregation's.
    ...(v2 ? { fuse: { window: 5, pad: causal ? [4, 0] : [2, 2] } } : {}),
  };
  return {
    config,
    ...(v2 ? { average: randomFloats(window * 17, s++, -0.2, 0.4), fuse: randomFloats(5 * 17, s++, 0, 0.3) } : {}),
    input: conv(channels, config.inputs, 3),
    blocks: dilations.map((dilation) => ({
      dilation,
      conv: conv(channels, channels, 3),
      point: conv(channels, channels, 1),
    })),
    pose: conv(ENCODER_INPUTS, channels, 1),
    film: conv(filmOut, channels, 1),
  };
}

/** Frames of several tracks: (u, v) around a moving centre, confidence in [0, 1]. */
function trackFrames(frames: number, seed: number): Float32Array {
  const x = randomFloats(frames * ENCODER_INPUTS, seed, -0.6, 0.6);
  for (let i = 2; i < x.length; i += 3) x[i] = Math.abs(x[i]) / 0.6;
  return x;
}

/** Windows of consecutive tracks over `frames`, every frame a pose. */
function tracksInfo(tracks: number[], frames: Float32Array): SequenceInfo {
  const windows: number[] = [];
  let start = 0;
  for (const n of tracks) {
    for (let t = start; t < start + n; t++) windows.push(start, start + n - 1, t, 0);
    start += n;
  }
  return { mode: 'offline', frames, windows: Uint32Array.from(windows), ring: 0 };
}

describe('context_encoder kernel vs encodeWindowsRef (and that vs the whole-track reference)', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  const cases: Array<[string, number[], boolean, boolean, number, number]> = [
    // name, dilations, causal, normalise, channels, workgroup size
    ['offline, dilations 3 and 9, 13 channels', [3, 9], false, true, 13, 64],
    ['causal, dilations 2, 3 and 4, 7 channels, raw 2D, 8-wide workgroups', [2, 3, 4], true, false, 7, 8],
    ['offline, one block of dilation 5, 5 channels, 1-wide workgroups', [5], false, true, 5, 1],
  ];
  for (const [name, dilations, causal, normalise, channels, workgroupSize] of cases) {
    it(name, async () => {
      const enc = randomEncoder(channels, dilations, causal, normalise, 22, channels * 31 + dilations.length);
      const plan = encoderPlan(enc);
      // Tracks of 1, 2, 40 and 9 frames; a chunk of poses 2..48 (from the middle of one track to the last).
      const tracks = [1, 2, 40, 9];
      const all = trackFrames(52, channels);
      const info = tracksInfo(tracks, all);
      const { first, end, windows } = chunkWindows(info, enc.config.pad, 2, 47);
      const frames = all.slice(first * ENCODER_INPUTS, end * ENCODER_INPUTS);
      const ref = encodeWindowsRef(plan, frames, windows, 47);
      // The windowed form is the whole-track encoder.
      const whole = encodeTrackRef(enc, all.subarray(3 * ENCODER_INPUTS, 43 * ENCODER_INPUTS), 40);
      expectClose(ref.delta.subarray(51, 41 * 51), whole.delta, 1e-5, 1e-5, `${name}: windows vs whole track, delta`);
      expectClose(ref.film.subarray(22, 41 * 22), whole.film, 1e-5, 1e-5, `${name}: windows vs whole track, film`);
      const lifted = randomFloats(47 * 51, 7, -0.5, 0.5);
      const slots = 5;
      const out = await runKernel(gpu, {
        desc: CONTEXT_ENCODER,
        params: { slots, phases: plan.phases, ring: 0, workgroupSize },
        inputs: { plan: plan.table, weights: plan.weights, frames, windows: encoderWindows(windows, 47, false) },
        outputs: { scratch: slots * plan.scratchFloats, lifter_xyz: Float32Array.from(lifted), film: 47 * 22 },
        calls: [batchRun(47)],
        workgroupSize,
      });
      expectClose(out.film, ref.film, 1e-4, 1e-4, `${name}: film`);
      expectClose(
        out.lifter_xyz,
        lifted.map((v, i) => v + ref.delta[i]),
        1e-4,
        1e-4,
        `${name}: lifter + delta`,
      );
    });
  }

  for (const causal of [false, true])
    it(`v2 (${causal ? 'causal' : 'offline'}): 102 inputs with the window frames' lifter xyz; the start average + delta written at startAt`, async () => {
      const enc = randomEncoder(11, [3, 9], causal, true, 22, 41 + Number(causal), true);
      const plan = encoderPlan(enc);
      const tracks = [1, 2, 40, 9];
      const all = trackFrames(52, 3);
      const lifted = randomFloats(52 * 51, 8, -0.5, 0.5);
      const info = tracksInfo(tracks, all);
      const { first, end, windows } = chunkWindows(info, enc.config.pad, 2, 47);
      const frames = all.slice(first * ENCODER_INPUTS, end * ENCODER_INPUTS);
      const liftedChunk = lifted.slice(first * 51, end * 51);
      const ref = encodeWindowsRef(plan, frames, windows, 47, 0, liftedChunk);
      const whole = encodeTrackRef(
        enc,
        all.subarray(3 * ENCODER_INPUTS, 43 * ENCODER_INPUTS),
        40,
        lifted.subarray(3 * 51, 43 * 51),
      );
      expectClose(ref.start!.subarray(51, 41 * 51), whole.start!, 1e-5, 1e-5, 'v2 windows vs whole track, start');
      expectClose(ref.film.subarray(22, 41 * 22), whole.film, 1e-5, 1e-5, 'v2 windows vs whole track, film');
      // The lifter output of the frames, then (at a 64-row boundary) the start poses.
      const startAt = 64 * 51;
      const xyz = new Float32Array(startAt + 47 * 51);
      xyz.set(liftedChunk);
      const out = await runKernel(gpu, {
        desc: CONTEXT_ENCODER,
        params: { slots: 4, phases: plan.phases, ring: 0, workgroupSize: 64, startAt },
        inputs: { plan: plan.table, weights: plan.weights, frames, windows: encoderWindows(windows, 47, false) },
        outputs: { scratch: 4 * plan.scratchFloats, lifter_xyz: xyz, film: 47 * 22 },
        calls: [batchRun(47)],
      });
      expectClose(out.film, ref.film, 1e-4, 1e-4, 'v2 film');
      expectClose(out.lifter_xyz.subarray(startAt), ref.start!, 1e-4, 1e-4, 'v2 start');
      expect(Array.from(out.lifter_xyz.subarray(0, liftedChunk.length))).to.deep.equal(Array.from(liftedChunk));
    });

  it("a stream's ring: frame i of a track at base + i % window, each level's newest position computed per push and the earlier ones read from the ring", async () => {
    const enc = randomEncoder(9, [3, 9], true, true, 22, 5);
    const plan = encoderPlan(enc);
    const W = enc.config.window;
    // f32 per ring frame: (u, v, c), then the cached activations of the levels the kernel keeps.
    const stride = ENCODER_INPUTS + enc.blocks.length * enc.config.channels;
    // 19 tracks of 1 to 40 frames, pushed frame by frame so that all end at the last push: the
    // kernel's stream blocks take 16 tracks, so the last pushes run a full block and a partial one.
    const lengths = [40, 5, 1, ...Array.from({ length: 16 }, (_, k) => 2 + ((k * 7) % 29))];
    const P = lengths.length;
    const tracks = lengths.map((n, k) => trackFrames(n, 90 + k));
    const pushes = Math.max(...lengths);
    const active = (s: number) => lengths.flatMap((n, k) => (s >= pushes - n ? [k] : []));
    const writes = Array.from({ length: pushes }, (_, s) => {
      const ks = active(s);
      const windows = Uint32Array.from(
        ks.flatMap((k) => {
          const i = s - (pushes - lengths[k]);
          return [0, i, i, k * W];
        }),
      );
      const frames = ks.map((k) => {
        const i = s - (pushes - lengths[k]);
        return {
          name: 'frames',
          at: (k * W + (i % W)) * stride,
          data: tracks[k].subarray(i * ENCODER_INPUTS, (i + 1) * ENCODER_INPUTS),
        };
      });
      return [{ name: 'windows', at: 0, data: encoderWindows(windows, ks.length, true) }, ...frames];
    });
    // The reference: each track's newest window from the frames alone (no cache).
    const inputs = new Float32Array(lengths.length * W * ENCODER_INPUTS);
    tracks.forEach((frames, k) => {
      for (let i = Math.max(0, lengths[k] - W); i < lengths[k]; i++)
        inputs.set(frames.subarray(i * ENCODER_INPUTS, (i + 1) * ENCODER_INPUTS), (k * W + (i % W)) * ENCODER_INPUTS);
    });
    const last = Uint32Array.from(lengths.flatMap((n, k) => [0, n - 1, n - 1, k * W]));
    const ref = encodeWindowsRef(plan, inputs, last, P, W);
    tracks.forEach((frames, k) => {
      const whole = encodeTrackRef(enc, frames, lengths[k]);
      expectClose(
        ref.film.subarray(k * 22, (k + 1) * 22),
        whole.film.subarray((lengths[k] - 1) * 22),
        1e-5,
        1e-5,
        `ring track ${k}: film`,
      );
    });
    // v1 adds its correction to the lifter output in place: zero before the last push.
    writes[pushes - 1].push({ name: 'lifter_xyz', at: 0, data: new Float32Array(P * 51) });
    const out = await runKernel(gpu, {
      desc: CONTEXT_ENCODER,
      params: { slots: 2, phases: plan.phases, ring: W, workgroupSize: 64 },
      inputs: { plan: plan.table, weights: plan.weights, windows: new Uint32Array(4 * (2 * P + 1)) },
      outputs: {
        frames: P * W * stride,
        scratch: 2 * plan.scratchFloats,
        lifter_xyz: P * 51,
        film: P * 22,
      },
      calls: Array.from({ length: pushes }, (_, s) => batchRun(active(s).length)),
      writes,
    });
    expectClose(out.film, ref.film, 1e-4, 1e-4, 'ring: film');
    expectClose(out.lifter_xyz, ref.delta, 1e-4, 1e-4, 'ring: delta');
  });
});
