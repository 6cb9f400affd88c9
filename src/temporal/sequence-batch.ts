import { NUM_JOINTS } from '../pose/skeleton.js';
import type { PreparedBatch } from '../pose/input.js';
import type { Conditioning } from '../model/reference-sampler.js';
import { encodeTrackRef } from './context-encoder.ref.js';
import { ENCODER_INPUTS, type EncoderMode } from './encoder-config.js';
import type { EncoderParams } from './temporal-weights.js';

const J = NUM_JOINTS;

/** What makes a prepared batch a temporal lift: its poses are the frames of `tracks` tracks, back to back. */
export interface SequenceInfo {
  mode: EncoderMode;
  /** Frames per track, in batch order; they sum to the batch's poses. */
  tracks: number[];
}

/** The encoder's input of frames [start, start + count): per joint (u, v, confidence), [count, 17, 3]. */
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

/** The conditioning of every pose of a temporal batch on the CPU: the encoder over each whole track. */
export function encodeSequenceRef(encoder: EncoderParams, batch: PreparedBatch): Conditioning {
  const info = batch.sequence!;
  const filmStride = encoder.film.cout;
  const delta = new Float32Array(batch.poses * J * 3);
  const film = new Float32Array(batch.poses * filmStride);
  let start = 0;
  for (const frames of info.tracks) {
    const r = encodeTrackRef(encoder, sequenceFrames(batch, start, frames), frames);
    delta.set(r.delta, start * J * 3);
    film.set(r.film, start * filmStride);
    start += frames;
  }
  return { delta, film, filmStride };
}

/**
 * The frames a chunk of poses [start, start + count) reads and, per pose, where its window is in
 * them: frames [first, end) of the batch (the chunk with the windows' reach on either side,
 * within each pose's track) and per pose (track's first, track's last, own index, 0) relative to
 * `first`. The encoder kernel reads frame clamp(t + o, lo, hi) for offsets o of the window.
 */
export function sequenceWindows(info: SequenceInfo, pad: readonly [number, number], start: number, count: number): { first: number; end: number; windows: Uint32Array } {
  const windows = new Uint32Array(count * 4);
  let first = Infinity, end = -Infinity, trackStart = 0, k = 0;
  for (const frames of info.tracks) {
    const lo = trackStart, hi = trackStart + frames - 1;
    trackStart += frames;
    if (hi < start || lo >= start + count) continue;
    first = Math.min(first, Math.max(lo, start - pad[0]));
    end = Math.max(end, Math.min(hi, start + count - 1 + pad[1]) + 1);
  }
  trackStart = 0;
  for (const frames of info.tracks) {
    const lo = trackStart, hi = trackStart + frames - 1;
    trackStart += frames;
    for (let t = Math.max(lo, start); t <= Math.min(hi, start + count - 1); t++, k++) {
      windows.set([Math.max(lo, first) - first, Math.min(hi, end - 1) - first, t - first, 0], 4 * k);
    }
  }
  return { first, end, windows };
}
