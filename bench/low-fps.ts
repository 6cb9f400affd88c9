// The temporal model at 15 fps in the engine (docs/temporal-model.md §18): the test-split tracks
// with every second frame dropped, lifted by the frame model and by both windows fed as they are
// and with `fps: 15` (the 2D upsampled 2x in time). MPJPE (mm). A script whose numbers go into the
// docs, not a test.
//   npx tsx bench/low-fps.ts [--tracks 123] [--cpu]
import { parseArgs } from 'node:util';
import { DiffPose } from '../src/diffpose.js';
import { hideDawnAdapterWarnings } from '../src/gpu/node-gpu.js';
import { makeTestTracks, TRACKS_SEED, type TestTrack } from '../src/mocap/test-tracks.js';
import { readSplit } from '../src/eval/test-set.js';
import { mpjpeOf } from '../src/eval/temporal-eval.js';

const { values: args } = parseArgs({
  options: { tracks: { type: 'string', default: '123' }, cpu: { type: 'boolean', default: false } },
});

/** The track at half its frame rate: frames 0, 2, 4, ... */
function halfRate(t: TestTrack): TestTrack {
  const keep = Array.from({ length: Math.ceil(t.frames / 2) }, (_, i) => 2 * i);
  const rows = (a: Float32Array, w: number) => {
    const out = new Float32Array(keep.length * w);
    keep.forEach((f, i) => out.set(a.subarray(f * w, (f + 1) * w), i * w));
    return out;
  };
  return {
    ...t,
    frames: keep.length,
    keypoints: rows(t.keypoints, 34),
    confidence: rows(t.confidence, 17),
    poses3d: rows(t.poses3d, 51),
  };
}

hideDawnAdapterWarnings();
const tracks = makeTestTracks(readSplit('data/prepared', 'test'), TRACKS_SEED, Number(args.tracks)).map(halfRate);
const model = await DiffPose.load({ backend: args.cpu ? 'cpu' : 'gpu' });
try {
  const lifted = async (how: 'frame' | 'offline' | 'causal', fps?: number) => {
    const out: Float32Array[] = [];
    for (const t of tracks) {
      const options = { imageSize: t.imageSize, confidence: t.confidence, init: 'official' as const, hypotheses: 1 };
      const r =
        how === 'frame'
          ? await model.lift(t.keypoints, options)
          : await model.liftSequence(t.keypoints, { ...options, causal: how === 'causal', fps });
      out.push(r.poses);
    }
    return mpjpeOf(out, tracks);
  };
  const frames = tracks.reduce((n, t) => n + t.frames, 0);
  console.log(
    `adapter: ${model.adapter}; ${tracks.length} test-split tracks at 15 fps (${frames} frames), official init, H = 1`,
  );
  const frame = await lifted('frame');
  console.log(`frame model: ${frame.toFixed(1)} mm`);
  for (const how of ['offline', 'causal'] as const) {
    const asIs = await lifted(how);
    const up = await lifted(how, 15);
    console.log(
      `${how}: as fed ${asIs.toFixed(1)} mm (${(asIs / frame).toFixed(2)}x), fps 15 ${up.toFixed(1)} mm (${(up / frame).toFixed(2)}x)`,
    );
  }
} finally {
  model.dispose();
}
