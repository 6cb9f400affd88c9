import { NUM_JOINTS } from '../pose/skeleton.js';
import type { PreparedBatch } from '../pose/input.js';
import type { Conditioning } from '../model/reference-sampler.js';
import { ENCODER_INPUTS, type EncoderMode } from './encoder-config.js';
import { encoderPlan, encodeWindowsRef } from './encoder-plan.js';
import { splitLifterOutput } from '../model/lifter-output.js';
import { runNetworkRef } from '../model/reference-network.js';
import { lifterInput } from '../model/lifter-input.js';
import { framesConfidence, framesUv } from './fuse-region.js';
import type { EncoderParams } from './temporal-weights.js';
import type { TemporalModel } from './temporal-model.js';

const J = NUM_JOINTS;

/**
 * What makes a prepared batch a temporal lift: the encoder's input frames and, per pose, its
 * window in them — (lo, hi, t, base): the frames clamp(t + o, lo, hi) for the window's offsets o,
 * each at base + index % ring (a stream's per-track ring buffer) or, with ring 0, at the index.
 */
export interface SequenceInfo {
  mode: EncoderMode;
  /** [F, 17, 3]: u, v (model units), confidence. */
  frames: Float32Array;
  /** v2: the root-centred lifter xyz of `frames` [F, 17, 3], when the caller has it (a stream's ring); otherwise lifted from `frames`. */
  lifted?: Float32Array;
  /** [poses, 4] u32. */
  windows: Uint32Array;
  ring: number;
  /** A stream's ring on the GPU, holding `frames` already: the fused plans upload only the windows. */
  gpuRing?: GPUBuffer;
  /**
   * v2 streams (docs/temporal-model.md §12.3): each track's last fuse.window hypothesis means
   * [tracks * V, 17, 3], pose p's track at bases[p] (index i at bases[p] + i % V); a run writes
   * each pose's own mean there before its output average reads the track's.
   */
  denoisedRing?: { means: Float32Array; bases: Uint32Array };
  /**
   * The same on the GPU (v2 streams on a fused executor): the aggregation's `uv` buffer, the
   * push's records (fuseRecords) and from `ringAt` (f32) each track's last fuse.window means.
   */
  gpuDenoised?: { buffer: GPUBuffer; ringAt: number };
  /** A GPU-resident push: each pose's own frame is written into the ring from these keypoints (pixels, confidence) by the encoder dispatch. */
  pixels?: { keypoints: GPUBuffer; imageSize: readonly [number, number] };
}

/** The encoder's input of poses [start, start + count) of a batch: per joint (u, v, confidence), [count, 17, 3]. */
export function sequenceFrames(batch: PreparedBatch, start: number, count: number): Float32Array {
  const out = new Float32Array(count * ENCODER_INPUTS);
  for (let i = 0; i < count * J; i++) {
    const src = start * J + i;
    out[3 * i] = batch.uv[2 * src];
    out[3 * i + 1] = batch.uv[2 * src + 1];
    out[3 * i + 2] = batch.confidence ? batch.confidence[src] : 1;
  }
  return out;
}

/** A batch whose poses are the frames of consecutive tracks (`tracks` frames each, summing to its poses). */
export function trackSequence(batch: PreparedBatch, mode: EncoderMode, tracks: readonly number[]): SequenceInfo {
  const windows = new Uint32Array(batch.poses * 4);
  let start = 0;
  for (const frames of tracks) {
    for (let t = start; t < start + frames; t++) windows.set([start, start + frames - 1, t, 0], 4 * t);
    start += frames;
  }
  return { mode, frames: sequenceFrames(batch, 0, batch.poses), windows, ring: 0 };
}

/** The root-centred lifter xyz of every frame [F, 17, 3] of `frames` [F, 17, 3] (u, v, confidence). */
export function liftFramesRef(model: TemporalModel, frames: Float32Array): Float32Array {
  const count = frames.length / ENCODER_INPUTS;
  const uv = framesUv(frames, 0, count);
  const input = lifterInput(model.lifter.config.coordsIn, uv, framesConfidence(frames, 0, count), count);
  return splitLifterOutput(runNetworkRef(model.lifter, input, count), count, model.lifter.config.coordsOut).xyz;
}

/**
 * The root-centred lifter xyz of the frames the windows of `poses` read, indexed as `frames`
 * (the others left zero): every frame of a batch without a ring, a stream's ring only where its
 * pushes' windows reach.
 */
function liftWindowFramesRef(model: TemporalModel, info: SequenceInfo, poses: number): Float32Array {
  if (info.ring === 0) return liftFramesRef(model, info.frames);
  const { window, pad } = model.encoders[info.mode].config;
  const rows = new Set<number>();
  for (let p = 0; p < poses; p++) {
    const [lo, hi, t, base] = info.windows.subarray(4 * p, 4 * p + 4);
    for (let f = 0; f < window; f++) rows.add(base + (Math.min(Math.max(t + f - pad[0], lo), hi) % info.ring));
  }
  const order = [...rows];
  const I = ENCODER_INPUTS;
  const gathered = new Float32Array(order.length * I);
  order.forEach((r, i) => gathered.set(info.frames.subarray(r * I, (r + 1) * I), i * I));
  const xyz = liftFramesRef(model, gathered);
  const lifted = new Float32Array(info.frames.length);
  order.forEach((r, i) => lifted.set(xyz.subarray(i * I, (i + 1) * I), r * I));
  return lifted;
}

/**
 * The conditioning of every pose of a temporal batch on the CPU (the encoder kernel's reference);
 * for a v2 encoder (docs/temporal-model.md §12) with the start pose, from the lifter over every frame.
 */
export function encodeSequenceRef(model: TemporalModel, info: SequenceInfo, poses: number): Conditioning {
  const encoder = model.encoders[info.mode];
  const plan = encoderPlan(encoder);
  const lifted = encoder.config.fuse ? (info.lifted ?? liftWindowFramesRef(model, info, poses)) : undefined;
  const { delta, film, start } = encodeWindowsRef(plan, info.frames, info.windows, poses, info.ring, lifted);
  return { delta, film, filmStride: plan.filmOut, start };
}

/**
 * For a chunk of poses [start, start + count) of a batch without a ring: the frames its windows
 * read, [first, end), and its windows relative to `first`, for the GPU to hold only those.
 */
export function chunkWindows(
  info: SequenceInfo,
  pad: readonly [number, number],
  start: number,
  count: number,
): { first: number; end: number; windows: Uint32Array } {
  let first = Infinity,
    end = 0;
  for (let k = start; k < start + count; k++) {
    const [lo, hi, t] = info.windows.subarray(4 * k, 4 * k + 3);
    first = Math.min(first, Math.max(lo, t - pad[0]));
    end = Math.max(end, Math.min(hi, t + pad[1]) + 1);
  }
  const windows = info.windows.slice(4 * start, 4 * (start + count));
  for (let k = 0; k < count; k++) {
    // lo and hi clamp to the region: a window never reaches past it (the region is its reach).
    windows[4 * k] = Math.max(windows[4 * k], first) - first;
    windows[4 * k + 1] = Math.min(windows[4 * k + 1], end - 1) - first;
    windows[4 * k + 2] -= first;
  }
  return { first, end, windows };
}
