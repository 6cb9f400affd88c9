// How often the jump rule (src/temporal/track-gaps.ts) would fire on real tracks of one person:
// the engine's test-split tracks with every joint visible and with the legs hidden (garbage legs
// at low confidence), for boxes of every joint above confidence 0 and for jumpBox's. A script
// whose numbers go into the docs, not a test.
//   npx tsx bench/track-jumps.ts
import { makeTestTracks, TRACKS_SEED, legsHidden, type TestTrack } from '../src/mocap/test-tracks.js';
import { readSplit } from '../src/eval/test-set.js';
import { boxOf, type PersonBox } from '../src/pose/track-people.js';
import { jumpBox, jumps } from '../src/temporal/track-gaps.js';
import { Rng } from '../src/pose/rng.js';

type Boxer = (d: { keypoints: Float32Array; confidence: Float32Array }) => PersonBox;
const tracks = makeTestTracks(readSplit('data/prepared', 'test'), TRACKS_SEED);
const rng = new Rng(7);
const sets: Array<[string, TestTrack[]]> = [
  ['every joint visible', tracks],
  ['legs hidden', tracks.map((t) => legsHidden(t, rng))],
];
const boxers: Array<[string, Boxer]> = [
  ['every joint above 0', (d) => boxOf(d, 'h36m17')],
  ['jumpBox', (d) => jumpBox(d, 'h36m17')],
];
for (const [name, set] of sets)
  for (const [how, box] of boxers) {
    let steps = 0,
      jumped = 0,
      most = 0;
    for (const t of set) {
      let previous: PersonBox | undefined;
      for (let f = 0; f < t.frames; f++) {
        const b = box({
          keypoints: t.keypoints.subarray(f * 34, (f + 1) * 34),
          confidence: t.confidence.subarray(f * 17, (f + 1) * 17),
        });
        if (previous && Number.isFinite(previous.x) && Number.isFinite(b.x)) {
          steps++;
          most = Math.max(most, Math.hypot(b.x - previous.x, b.y - previous.y) / Math.max(previous.size, b.size));
          if (jumps(previous, b)) jumped++;
        }
        previous = b;
      }
    }
    console.log(`${name}, ${how}: ${jumped} jumps in ${steps} steps; largest move ${most.toFixed(2)} of the box size`);
  }
