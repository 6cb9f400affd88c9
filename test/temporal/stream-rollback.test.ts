import { expect } from 'chai';
import { AbortedError } from '../../src/errors.js';
import type { PreparedBatch } from '../../src/pose/input.js';
import { ENCODER_INPUTS } from '../../src/temporal/encoder-config.js';
import { DiffPoseStream, type StreamHost, type TrackId } from '../../src/temporal/stream.js';
import { someKeypoints } from '../helpers/models.js';

const IMAGE = [640, 480] as const;
const WINDOW = 27;

/**
 * What one model run was given, by content: the random draws' pose offset, and per pose its
 * window (first frame, last frame, own frame) and the 2D ring rows the window reads.
 */
type Call = { poseOffset: number; windows: number[][]; read: number[][] };

function callOf(batch: PreparedBatch, poseOffset: number): Call {
  const s = batch.sequence!;
  const windows: number[][] = [],
    read: number[][] = [];
  for (let p = 0; p < s.windows.length / 4; p++) {
    const [lo, hi, t, base] = s.windows.subarray(4 * p, 4 * p + 4);
    windows.push([lo, hi, t]);
    const rows: number[] = [];
    for (let f = Math.max(lo, t - WINDOW + 1); f <= t; f++) {
      const at = (base + (f % WINDOW)) * ENCODER_INPUTS;
      rows.push(...s.frames.subarray(at, at + ENCODER_INPUTS));
    }
    read.push(rows);
  }
  return { poseOffset, windows, read };
}

/**
 * A model that records every run and fails the runs whose index (from 0) is in `failing`, as an
 * aborted call or a lost device fails: after the stream wrote the frame into its ring.
 */
function recordingHost(failing: Set<number>): { host: StreamHost; calls: Call[] } {
  const calls: Call[] = [];
  let runs = 0;
  const host: StreamHost = {
    window: WINDOW,
    ringLevels: 0,
    executor: 'cpu',
    device: () => undefined,
    runBuffers: () => Promise.reject(new Error('not used')),
    run: (batch, _options, poseOffset) => {
      const call = callOf(batch, poseOffset);
      if (failing.has(runs++)) return Promise.reject(new AbortedError(new Error('injected')));
      calls.push(call);
      const P = batch.poses;
      return Promise.resolve({
        poses: new Float32Array(P * 51),
        spread: new Float32Array(P * 17),
        root: new Float32Array(P * 3),
      });
    },
  };
  return { host, calls };
}

/** Pushes (keypoints, track ids) through a stream (maxTracks 4) whose model fails the runs in `failing`. */
async function pushAll(pushes: Array<[Float32Array, TrackId[]]>, failing: Set<number>, upsample = 1, maxTracks = 4) {
  const { host, calls } = recordingHost(failing);
  const stream = new DiffPoseStream(host, { imageSize: IMAGE }, maxTracks, upsample);
  const numbers: number[] = [];
  let failures = 0;
  for (const [kp, tracks] of pushes) {
    try {
      numbers.push((await stream.push(kp, { tracks })).frame);
    } catch (e) {
      expect(e).to.be.instanceOf(AbortedError);
      failures++;
    }
  }
  return { calls, numbers, failures };
}

describe('stream: a push that fails after its checks leaves no trace', () => {
  // Small moves of one pose per track, so that no push looks like another person (track-gaps.ts).
  const base = someKeypoints(1, 40);
  const kp = (f: number, P: number) =>
    Float32Array.from({ length: P * 34 }, (_, i) => base[i % 34] + 2 * Math.sin(f + i) + 90 * Math.floor(i / 34));
  const ab = (f: number): [Float32Array, TrackId[]] => [kp(f, 2), ['a', 'b']];

  it("the pushes after it run as in a stream that never saw it: frame numbers, windows, what they read of the ring, the random draws' keys", async () => {
    const failed = await pushAll([0, 1, 2, 3, 4, 5].map(ab), new Set([3]));
    const clean = await pushAll([0, 1, 2, 4, 5].map(ab), new Set());
    expect(failed.failures).to.equal(1);
    expect(failed.numbers).to.deep.equal([0, 1, 2, 3, 4]);
    expect(failed.calls).to.deep.equal(clean.calls);
  });

  it('past the ring: the same (the rows the failed push wrote are those the next push writes again)', async () => {
    const frames = Array.from({ length: 40 }, (_, f) => f);
    const failed = await pushAll(frames.map(ab), new Set([30, 31]));
    const clean = await pushAll(frames.filter((f) => f !== 30 && f !== 31).map(ab), new Set());
    expect(failed.failures).to.equal(2);
    expect(failed.calls).to.deep.equal(clean.calls);
  });

  it('a track it evicted from its slot starts over; the others keep their history', async () => {
    // maxTracks 2: the failed push of a new track "c" took the slot of "a" (pushed least recently).
    const failed = await pushAll([ab(0), ab(1), [kp(2, 1), ['c']], ab(3)], new Set([2]), 1, 2);
    const clean = await pushAll([ab(0), ab(1), [kp(3, 2), ['a2', 'b']]], new Set(), 1, 2);
    expect(failed.numbers).to.deep.equal([0, 1, 2]);
    expect(failed.calls).to.deep.equal(clean.calls);
    expect(failed.calls[2].windows).to.deep.equal([
      [0, 0, 0],
      [0, 2, 2],
    ]);
  });

  it('under 25 fps, failing after its interpolated frame ran: its tracks start over (that frame overwrote a row their windows read)', async () => {
    // Runs: push 0 one, each later push two (the interpolated frame, then its own); push 3's second fails.
    const failed = await pushAll([0, 1, 2, 3, 4, 5].map(ab), new Set([6]), 2);
    expect(failed.failures).to.equal(1);
    const clean = await pushAll([ab(0), ab(1), ab(2), [kp(4, 2), ['c', 'd']], [kp(5, 2), ['c', 'd']]], new Set(), 2);
    expect(failed.numbers).to.deep.equal([0, 1, 2, 3, 4]);
    // The failed stream also recorded push 3's interpolated frame.
    expect(failed.calls.slice(0, 5)).to.deep.equal(clean.calls.slice(0, 5));
    expect(failed.calls.slice(6)).to.deep.equal(clean.calls.slice(5));
  });

  it('a stream whose model keeps failing counts nothing', async () => {
    const failed = await pushAll([0, 1, 2, 3, 4, 5].map(ab), new Set([0, 1, 2]));
    expect(failed.failures).to.equal(3);
    expect(failed.numbers).to.deep.equal([0, 1, 2]);
    const clean = await pushAll([3, 4, 5].map(ab), new Set());
    expect(failed.calls).to.deep.equal(clean.calls);
  });
});

describe("stream: the random draws' keys", () => {
  it('maxTracks counters per frame through the model, starting over before they leave the u32 range', async () => {
    for (const maxTracks of [4096, 3]) {
      const { host, calls } = recordingHost(new Set());
      const stream = new DiffPoseStream(host, { imageSize: IMAGE }, maxTracks);
      const period = Math.floor(2 ** 32 / maxTracks);
      const kp = someKeypoints(1, 5);
      await stream.push(kp);
      await stream.push(kp);
      // Hours of frames later (2^20 at 30 fps: 9.7 h with 4096 tracks).
      (stream as unknown as { steps: number }).steps = period - 1;
      await stream.push(kp);
      await stream.push(kp);
      expect(calls.map((c) => c.poseOffset)).to.deep.equal([0, maxTracks, (period - 1) * maxTracks, 0]);
      expect((period - 1) * maxTracks + maxTracks - 1).to.be.lessThan(2 ** 32);
    }
  });
});
