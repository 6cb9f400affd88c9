// How a picture that is not centred on the person changes the lift (issue 14's legs-hidden
// target), on TRAINING-split tracks so that weights can be chosen by it without the test split:
// upper-body MPJPE with every joint visible, with only the picture's height cut above the knees
// (the same keypoints: the person now stands in the top of a wide, short picture), and with the
// legs hidden as well (mocap/test-tracks.ts legsHidden). Frame model, or the temporal model's
// offline window with --temporal. Official init, H = 1.
//   npx tsx bench/framing-robustness.ts [--tracks 40] [--weights F] [--temporal [--temporal-weights F]]
import { parseArgs } from 'node:util';
import { DiffPose } from '../src/diffpose.js';
import { jointErrors } from '../src/eval/pose-metrics.js';
import { readSplit } from '../src/eval/test-set.js';
import { hideDawnAdapterWarnings } from '../src/gpu/node-gpu.js';
import { legsHidden, makeTestTracks, TRACKS_SEED, type TestTrack } from '../src/mocap/test-tracks.js';
import { Rng } from '../src/pose/rng.js';

const { values: args } = parseArgs({
  options: {
    tracks: { type: 'string', default: '40' },
    weights: { type: 'string' },
    temporal: { type: 'boolean', default: false },
    'temporal-weights': { type: 'string' },
    data: { type: 'string', default: 'data/prepared' },
  },
});
const UPPER = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
// Seeds of their own: neither the eval's test tracks nor its smoother-tuning tracks.
const tracks = makeTestTracks(readSplit(args.data, 'train'), TRACKS_SEED + 2, Number(args.tracks));
const rng = new Rng(11);
const hidden = tracks.map((t) => legsHidden(t, rng));
const cut = tracks.map((t, i) => ({ ...t, imageSize: hidden[i].imageSize }));

hideDawnAdapterWarnings();
const model = await DiffPose.load({ weights: args.weights, temporalWeights: args['temporal-weights'] });
try {
  const mpjpe = async (ts: TestTrack[], joints?: number[]): Promise<number> => {
    let sum = 0,
      n = 0;
    for (const t of ts) {
      const options = {
        imageSize: t.imageSize,
        confidence: t.confidence,
        init: 'official' as const,
        hypotheses: 1,
      };
      const r = args.temporal ? await model.liftSequence(t.keypoints, options) : await model.lift(t.keypoints, options);
      jointErrors(r.poses, t.poses3d).forEach((e, k) => {
        if (joints && !joints.includes(k % 17)) return;
        sum += e;
        n++;
      });
    }
    return (sum / n) * 1000;
  };
  const visible = await mpjpe(tracks, UPPER);
  const [all, picture, legs] = [await mpjpe(tracks), await mpjpe(cut, UPPER), await mpjpe(hidden, UPPER)];
  console.log(
    `${args.temporal ? 'temporal (offline)' : 'frame model'} on ${tracks.length} training-split tracks, ${model.adapter}; MPJPE mm`,
  );
  console.log(`all joints, all visible:        ${all.toFixed(1)}`);
  console.log(`upper body, all visible:        ${visible.toFixed(1)}`);
  console.log(`upper body, picture cut:        ${picture.toFixed(1)} (${(picture / visible).toFixed(2)}x)`);
  console.log(`upper body, legs hidden:        ${legs.toFixed(1)} (${(legs / visible).toFixed(2)}x; target 1.15x)`);
} finally {
  model.dispose();
}
