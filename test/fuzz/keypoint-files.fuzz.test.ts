import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { fillMissingJoints } from '../../src/pose/missing-joints.js';
import { readKeypointText, readOpenPoseFolder } from '../../src/pose/read-keypoints.js';
import { sanityWarnings } from '../../src/pose/sanity.js';
import { trackPeople } from '../../src/pose/track-people.js';
import { expectOnlyDiffPoseErrors, mutate, mutationArb, params } from './fuzz-support.js';

// The keypoint readers (issue 12.5) on hostile files: byte-level mutations of every layout the
// CLI reads (COCO results, plain JSON, CSV, OpenPose, MediaPipe) and random text, through the
// whole pure pipeline the CLI runs before the lift — read, sanity warnings, tracking, filling in
// missing joints. Only DiffPoseErrors (code INPUT, one line), no hang, no other exception.

const examples = new URL('../../examples/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, examples), 'utf8');
const encoder = new TextEncoder(),
  decoder = new TextDecoder();

/** A CSV in the documented layout, from the plain-JSON example's first frames. */
function csvOf(): string {
  const plain = JSON.parse(text('walk-h36m17.json')) as { frames: Array<{ keypoints: number[][] }> };
  const rows = plain.frames.slice(0, 6).map((f, i) => [i, 'alice', ...f.keypoints.flat()].join(','));
  return ['# format: h36m17', '# imageSize: 640x480', ...rows].join('\n');
}

function shorten(json: string, key: string, keep: number): string {
  const doc = JSON.parse(json) as Record<string, unknown> | unknown[];
  if (Array.isArray(doc)) return JSON.stringify(doc.slice(0, keep));
  return JSON.stringify({ ...doc, [key]: (doc[key] as unknown[]).slice(0, keep) });
}

const SEEDS: Array<[string, string]> = [
  ['walk-coco17.json', shorten(text('walk-coco17.json'), '', 4)],
  ['walk-h36m17.json', shorten(text('walk-h36m17.json'), 'frames', 4)],
  ['walk-mediapipe.json', shorten(text('walk-mediapipe.json'), '', 3)],
  ['two-people-coco17.json', shorten(text('two-people-coco17.json'), '', 6)],
  ['walk.csv', csvOf()],
  [
    'frame_keypoints.json',
    readFileSync(
      new URL(`walk-openpose/${readdirSync(new URL('walk-openpose/', examples)).sort()[0]}`, examples),
      'utf8',
    ),
  ],
];

/** Everything the CLI does with a file before the lift. */
function pipeline(read: () => ReturnType<typeof readKeypointText>): void {
  const file = read();
  const size = file.imageSize ?? ([640, 480] as [number, number]);
  sanityWarnings(file, size);
  for (const track of trackPeople(file))
    fillMissingJoints(file.format, track.frames.length, track.keypoints, track.confidence, size, 0.02);
}

describe('fuzz: keypoint files (readers, tracking, missing joints)', function () {
  this.timeout(300_000);

  it('mutated files of every layout give a result or an INPUT error', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutationArb(), { minLength: 1, maxLength: 4 }),
        ([name, seed], mutations) => {
          const bytes = mutate(encoder.encode(seed), mutations);
          expectOnlyDiffPoseErrors(() => pipeline(() => readKeypointText(name, decoder.decode(bytes))), ['INPUT']);
        },
      ),
      params(300),
    );
  });

  it('structure-aware: valid JSON of every layout with hostile values put in at random places', () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        null,
        true,
        '',
        'NaN',
        '1e999',
        -1,
        0,
        1e308,
        -1e308,
        2 ** 53,
        0.5,
        [],
        {},
        [[]],
        { frames: [] },
        '\u0000\n\u001b[2J',
      ),
      fc.double(),
      fc.integer(),
      fc.string({ maxLength: 20 }),
      fc.array(fc.double(), { maxLength: 60 }),
      fc.json({ maxDepth: 3 }).map((j) => JSON.parse(j) as unknown),
    );
    const jsonSeeds = SEEDS.filter(([name]) => name.endsWith('.json'));
    /** Replaces the `pick`-th node (depth-first) of `doc` by `value`. */
    const replace = (doc: unknown, pick: number, value: unknown): unknown => {
      let n = 0;
      const walk = (v: unknown): unknown => {
        if (n++ === pick) return value;
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
        return v;
      };
      return walk(doc);
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...jsonSeeds),
        fc.array(fc.tuple(fc.nat({ max: 3000 }), hostile), { minLength: 1, maxLength: 3 }),
        ([name, seed], edits) => {
          let doc: unknown = JSON.parse(seed);
          for (const [pick, value] of edits) doc = replace(doc, pick, value);
          const t = JSON.stringify(doc);
          expectOnlyDiffPoseErrors(() => pipeline(() => readKeypointText(name, t)), ['INPUT']);
        },
      ),
      params(400),
    );
  });

  it('random text under any layout name gives a result or an INPUT error', () => {
    const names = ['x.json', 'x.csv', 'x_keypoints.json', 'x.txt'];
    const texts = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .array(fc.oneof(fc.integer(), fc.double(), fc.constantFrom('', 'nan', '-', '1e400', 'alice', '#')), {
          maxLength: 60,
        })
        .map((cells) => cells.join(',')),
    );
    fc.assert(
      fc.property(fc.constantFrom(...names), texts, (name, t) => {
        expectOnlyDiffPoseErrors(() => pipeline(() => readKeypointText(name, t)), ['INPUT']);
      }),
      params(300),
    );
  });

  it('an OpenPose folder of mutated frames gives a result or an INPUT error', () => {
    const base = SEEDS[5][1];
    fc.assert(
      fc.property(fc.array(fc.array(mutationArb(), { maxLength: 2 }), { minLength: 1, maxLength: 4 }), (perFile) => {
        const files = perFile.map((m, i) => ({
          name: `f_${String(i).padStart(12, '0')}_keypoints.json`,
          text: decoder.decode(mutate(encoder.encode(base), m)),
        }));
        expectOnlyDiffPoseErrors(() => pipeline(() => readOpenPoseFolder('folder', files)), ['INPUT']);
      }),
      params(150),
    );
  });
});
