// What a gap in a track does to the temporal windows (docs/temporal-model.md §17, MAX_BRIDGED_GAP):
// test-split tracks lose G frames at frame 32 and are lifted with the gap joined (one sequence)
// and as two sequences; MPJPE (mm) of the frames within 17 of the gap, beside the same frames
// lifted without a gap. A script whose numbers go into the docs, not a test.
//   npx tsx bench/track-gaps.ts [--tracks 40] [--cpu]
import { parseArgs } from 'node:util';
import { DiffPose } from '../src/diffpose.js';
import { hideDawnAdapterWarnings } from '../src/gpu/node-gpu.js';
import { makeTestTracks, TRACK_FRAMES, TRACKS_SEED, type TestTrack } from '../src/mocap/test-tracks.js';
import { readSplit } from '../src/eval/test-set.js';

const { values: args } = parseArgs({
  options: { tracks: { type: 'string', default: '40' }, cpu: { type: 'boolean', default: false } },
});
const GAP_AT = 32;
const NEAR = 17;
const GAPS = [1, 2, 4, 8, 30];

/** Rows `frames` of a [T, width] array. */
const rows = (a: Float32Array, width: number, frames: number[]) => {
  const out = new Float32Array(frames.length * width);
  frames.forEach((f, i) => out.set(a.subarray(f * width, (f + 1) * width), i * width));
  return out;
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Mean joint error (m) of poses [n, 17, 3] against truth over the rows `at`. */
function error(poses: Float32Array, truth: Float32Array, at: number[]): number {
  let sum = 0;
  for (const i of at)
    for (let j = 0; j < 17; j++) {
      const a = (i * 17 + j) * 3;
      sum += Math.hypot(poses[a] - truth[a], poses[a + 1] - truth[a + 1], poses[a + 2] - truth[a + 2]);
    }
  return sum / (at.length * 17);
}

hideDawnAdapterWarnings();
const tracks = makeTestTracks(readSplit('data/prepared', 'test'), TRACKS_SEED, Number(args.tracks)).filter(
  (t) => t.frames === TRACK_FRAMES,
);
const model = await DiffPose.load({ backend: args.cpu ? 'cpu' : 'gpu' });
const lift = (t: TestTrack, frames: number[], causal: boolean) =>
  model.liftSequence(rows(t.keypoints, 34, frames), {
    imageSize: t.imageSize,
    confidence: rows(t.confidence, 17, frames),
    init: 'official',
    hypotheses: 1,
    causal,
  });
console.log(
  `adapter: ${model.adapter}; ${tracks.length} test-split tracks of ${TRACK_FRAMES} frames, a gap at frame ${GAP_AT}`,
);
for (const causal of [false, true])
  for (const G of GAPS) {
    let joined = 0,
      separate = 0,
      whole = 0;
    for (const t of tracks) {
      const before = range(0, GAP_AT),
        after = range(GAP_AT + G, t.frames),
        kept = [...before, ...after];
      const truth = rows(t.poses3d, 51, kept);
      const near = kept.flatMap((f, i) => (f >= GAP_AT - NEAR && f < GAP_AT + G + NEAR ? [i] : []));
      joined += error((await lift(t, kept, causal)).poses, truth, near);
      const a = await lift(t, before, causal),
        b = await lift(t, after, causal);
      const both = new Float32Array(truth.length);
      both.set(a.poses);
      both.set(b.poses, a.poses.length);
      separate += error(both, truth, near);
      whole += error(rows((await lift(t, range(0, t.frames), causal)).poses, 51, kept), truth, near);
    }
    const mm = (v: number) => ((v / tracks.length) * 1000).toFixed(1);
    console.log(
      `${causal ? 'causal ' : 'offline'} ${String(G).padStart(2)} missing: joined ${mm(joined)}, separate ${mm(separate)}, no gap ${mm(whole)} mm`,
    );
  }
model.dispose();
