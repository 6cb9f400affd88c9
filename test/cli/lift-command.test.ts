import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiffPose } from '../../src/diffpose.js';
import { CHUNK_FRAMES, TEMPORAL_CHUNK_FRAMES } from '../../src/cli/lift-command.js';
import { BVHLoader } from 'three/addons/loaders/BVHLoader.js';
import { loadGlb } from '../helpers/gltf.js';
import { diffposeLines, runCli } from './run-cli.js';

interface LiftedFrame {
  frame: number;
  frameId?: string;
  time?: number;
  input: number;
  keypoints2d: number[];
  filled?: number[];
  joints: number[];
  root?: number[];
  spread?: number[];
  samples?: number[];
}
interface LiftOutput {
  schemaVersion: number;
  people: Array<{ person: number; id?: string | number; frames: LiftedFrame[] }>;
  hypotheses: number;
  imageSize: number[];
  inputFormat: string;
  adapter: string;
  fps?: number;
  input: { layout: string; format: string; assumed: string[] };
}
type CocoResult = { image_id: number; keypoints: number[]; score?: number; track_id?: number | string };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const example = (name: string) => join(EXAMPLES, name);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** The one error line a failed run must give: exit code 1, a single `diffpose:` line, no JS stack. */
function expectOneErrorLine(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).to.equal(1);
  const lines = diffposeLines(r.stderr);
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
  expect(r.stderr, 'no stack trace without --verbose').not.to.match(/^\s+at .*(\.ts|\.js|node:)/m);
}

/**
 * The summary line's clause for the poses read with the pelvis or a hip under confidence 0.3, from
 * the 2D each output frame echoes (x, y, confidence per joint): '' when there are none.
 */
function rootClause(out: LiftOutput): string {
  const n = out.people
    .flatMap((p) => p.frames)
    .filter((f) => [0, 1, 4].some((j) => !(f.keypoints2d[3 * j + 2] >= 0.3))).length;
  return n === 0
    ? ''
    : `; ${n} ${n === 1 ? 'pose' : 'poses'} with the pelvis or a hip under confidence 0.3 (out of the picture or unsure): their joints are measured from a guessed pelvis (docs/temporal-model.md §19)`;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A COCO-17 person standing at horizontal position x (pixels), 17 [x, y, score] triples flattened. */
function person(x: number, score = 0.9): number[] {
  const shape = [
    [0, 20],
    [-5, 15],
    [5, 15],
    [-10, 18],
    [10, 18],
    [-25, 50],
    [25, 50],
    [-30, 90],
    [30, 90],
    [-32, 130],
    [32, 130],
    [-15, 130],
    [15, 130],
    [-15, 190],
    [15, 190],
    [-15, 250],
    [15, 250],
  ];
  return shape.flatMap(([dx, y]) => [x - dx, y + 100, score]);
}

/** Mean distance (m) of lifted frames from the example's true 3D, and of the true 3D from the origin. */
function errorAgainstTruth(
  frames: LiftedFrame[],
  truth: { frames: Array<{ joints: number[] }> },
): { error: number; zero: number } {
  let error = 0,
    zero = 0,
    n = 0;
  frames.forEach((f, i) => {
    for (let j = 0; j < 17; j++, n++) {
      const t = truth.frames[i].joints.slice(3 * j, 3 * j + 3);
      error += Math.hypot(...t.map((v, a) => f.joints[3 * j + a] - v));
      zero += Math.hypot(...t);
    }
  });
  return { error: error / n, zero: zero / n };
}

describe('diffpose lift (child process)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("the README's first command on native files", () => {
    let openPose: LiftOutput;
    const FRAMES = 20;

    it('lifts an OpenPose folder with real uncertainty, a schema version and the 2D input echoed (the README command on its first 20 frames)', async () => {
      const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
      const run = readme.slice(readme.indexOf('## Run'));
      const command = /```sh\n(npx diffpose lift [^\n]+)\n/.exec(run)?.[1];
      expect(command, 'the Run section starts with a lift command').to.be.a('string');
      const words = command!.split(/\s+/).slice(2);
      expect(words[1]).to.equal('examples/walk-openpose');
      // The same folder cut to its first frames (the whole clip x 8 hypotheses is slow on the CPU).
      const folder = join(dir, 'walk-openpose');
      mkdirSync(folder);
      for (const f of readdirSync(example('walk-openpose')).sort().slice(0, FRAMES))
        copyFileSync(join(example('walk-openpose'), f), join(folder, f));
      const out = join(dir, 'made', 'by', 'lift', 'poses.json'); // -o's folder is created
      const args = words.map((w) => (w === 'examples/walk-openpose' ? folder : w === 'poses.json' ? out : w));
      const r = await runCli([...args, '--cpu']);
      expect(r.code, r.stderr).to.equal(0);
      openPose = readJson<LiftOutput>(out);
      expect(openPose.schemaVersion).to.equal(2);
      expect(openPose.input.layout).to.match(/^OpenPose folder/);
      expect(openPose.inputFormat).to.equal('openpose25');
      expect(openPose.hypotheses, 'the CLI default').to.equal(8);
      const frames = openPose.people[0].frames;
      expect(frames.map((f) => f.frame)).to.deep.equal(Array.from({ length: FRAMES }, (_, i) => i));
      for (const f of frames) {
        expect(f.joints.slice(0, 3)).to.deep.equal([0, 0, 0]); // root-relative
        expect(f.spread).to.have.length(17);
        expect(
          f.spread!.slice(1).every((s) => s > 0),
          'a real spread on every joint but the root',
        ).to.equal(true);
        expect(f.keypoints2d).to.have.length(51);
        expect(f.filled, 'the feet OpenPose marks missing are not joints of the model').to.equal(undefined);
      }
      // The echoed 2D: pelvis = the mid-hips of the file, as the model saw it.
      const first = readJson<{ people: Array<{ pose_keypoints_2d: number[] }> }>(
        join(folder, readdirSync(folder).sort()[0]),
      ).people[0].pose_keypoints_2d;
      expect(frames[0].keypoints2d[0]).to.be.closeTo((first[9 * 3] + first[12 * 3]) / 2, 0.01);
      const { error, zero } = errorAgainstTruth(frames, readJson(example('walk-truth.json')));
      expect(error, 'mean joint error, m').to.be.below(0.5 * zero);
      expect(r.stderr).to.match(
        /^read .*walk-openpose: OpenPose folder \(20 \*_keypoints\.json files\), format openpose25, 20 frames, image 640x480, 15 fps\n/m,
      );
      expect(r.stderr).to.match(new RegExp(`^1 person in 20 frames${escapeRegExp(rootClause(openPose))}\n`, 'm'));
      expect(r.stderr).to.match(
        /^lifted 20 frames of 1 person x 8 hypotheses in [\d.]+ s \([\d.]+ ms\/frame, model load included\) on cpu -> .*poses\.json\n$/m,
      );
      expect(
        diffposeLines(r.stderr).filter((l) => !l.startsWith('lifted ')),
        'no warnings',
      ).to.deep.equal([]);
      expect(r.stderr, 'no progress bar when stderr is not a terminal').not.to.include('\r');
    });

    it('lifts the MediaPipe results of the same detections alike, with fps and timestamps', async function () {
      if (!openPose) this.skip();
      const results = readJson<unknown[]>(example('walk-mediapipe.json')).slice(0, FRAMES);
      writeFileSync(join(dir, 'walk-mediapipe.json'), JSON.stringify(results));
      const out = await liftTo(join(dir, 'walk-mediapipe.json'), ['--image-size', '640x480', '--cpu']);
      expect(out.input.layout).to.equal('MediaPipe Pose Landmarker results');
      expect(out.input.assumed.join('\n')).to.match(/normalised to \[0, 1\]: scaled by the image size 640x480/);
      expect(out.fps).to.equal(15);
      const frames = out.people[0].frames;
      expect(frames[3].time).to.be.closeTo(0.2, 1e-3);
      frames.forEach((f, i) =>
        f.joints.forEach((v, k) => expect(v).to.be.closeTo(openPose.people[0].frames[i].joints[k], 2e-3)),
      );
    });
  });

  it('tracks two people whose detections come in shuffled order; one hypothesis: no spread, and a hint', async () => {
    const r = await liftRun('two-people-coco17.json', ['--cpu', '--image-size', '1280x480', '--hypotheses', '1']);
    const out = r.out;
    const input = readJson<CocoResult[]>(example('two-people-coco17.json'));
    const centreX = (i: number) => {
      const k = input[i].keypoints;
      return (k[5 * 3] + k[6 * 3]) / 2;
    }; // mid-shoulders
    expect(out.people.map((p) => p.person)).to.deep.equal([0, 1]);
    expect(out.people.map((p) => p.id)).to.deep.equal([undefined, undefined]);
    expect(out.inputFormat).to.equal('coco17');
    // The input order is shuffled per frame, so following detection order would mix people; tracks must not.
    const firstInFrame = input.filter((_, i) => i % 2 === 0).map((d, f) => centreX(2 * f) < 640);
    expect(
      firstInFrame.some((left) => left) && firstInFrame.some((left) => !left),
      'the file really is shuffled',
    ).to.equal(true);
    for (const [p, side] of [
      [0, 'left'],
      [1, 'right'],
    ] as const) {
      const frames = out.people[p].frames;
      expect(frames.map((f) => f.frame)).to.deep.equal(Array.from({ length: 91 }, (_, i) => i));
      for (const f of frames) {
        expect(input[f.input].image_id).to.equal(f.frame);
        expect(centreX(f.input) < 640 ? 'left' : 'right', `person ${p} frame ${f.frame}`).to.equal(side);
        expect(f.spread).to.equal(undefined);
      }
    }
    expect(r.stderr).to.match(/^one hypothesis: no per-joint spread in the output \(pass --hypotheses 2 or more/m);
  });

  // Per model: the CLI flags, frames (one full chunk and a short one) and the one API call on the whole track.
  // v2 (docs/temporal-model.md §12): the tiny v2 file, whose output average reaches 3 (offline) or 6 (causal) frames further.
  const tinyV2 = fileURLToPath(new URL('../fixtures/golden/tiny-temporal-v2.safetensors', import.meta.url));
  const wholeTrack = [
    ['the frame model', ['--frame-model'], CHUNK_FRAMES + 8, 'lift'],
    ['the temporal model (offline)', [], TEMPORAL_CHUNK_FRAMES + 20, 'offline'],
    ['the temporal model (causal)', ['--causal'], TEMPORAL_CHUNK_FRAMES + 20, 'causal'],
    ['a v2 temporal model (offline)', ['--temporal-weights', tinyV2], TEMPORAL_CHUNK_FRAMES + 20, 'offline'],
    ['a v2 temporal model (causal)', ['--causal', '--temporal-weights', tinyV2], TEMPORAL_CHUNK_FRAMES + 20, 'causal'],
    // A 15 fps file: the 2D upsampled 2x in time, chunks (their context on both sides) included.
    ['the temporal model on a 15 fps file (offline)', ['--fps', '15'], TEMPORAL_CHUNK_FRAMES + 20, 'offline'],
  ] as const;
  for (const [name, flags, count, call] of wholeTrack)
    it(`${name}: equals one API call on the whole track although it lifts in chunks, and --samples adds every hypothesis`, async function () {
      this.timeout(600_000);
      // The basketball clip, repeated as needed.
      const input = readJson<{ imageSize: number[]; frames: Array<{ keypoints: number[][] }> }>(
        example('basketball-h36m17.json'),
      );
      input.frames = Array.from({ length: count }, (_, i) => input.frames[i % input.frames.length]);
      writeFileSync(join(dir, `basketball-${count}.json`), JSON.stringify(input));
      const out = await liftTo(join(dir, `basketball-${count}.json`), [
        '--cpu',
        '--hypotheses',
        '3',
        '--samples',
        '--seed',
        '5',
        ...flags,
      ]);
      const frames = out.people[0].frames;
      expect(frames).to.have.length(count);
      expect(out.hypotheses).to.equal(3);
      expect(frames[0].samples).to.have.length(3 * 51);
      const model = await DiffPose.load({
        backend: 'cpu',
        ...(flags.includes(tinyV2 as never) ? { temporalWeights: readFileSync(tinyV2) } : {}),
      });
      try {
        const all = input.frames;
        const keypoints = Float32Array.from(all.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y])));
        const options = {
          imageSize: [640, 480] as const,
          confidence: Float32Array.from(all.flatMap((f) => f.keypoints.map((k) => k[2]))),
          hypotheses: 3,
          seed: 5,
          samples: true as const,
          ...(flags.includes('15' as never) ? { fps: 15 } : {}),
        };
        const r =
          call === 'lift'
            ? await model.lift(keypoints, options)
            : await model.liftSequence(keypoints, { ...options, causal: call === 'causal' });
        all.forEach((_, i) => {
          const f = frames[i];
          f.joints.forEach((v, k) => expect(v).to.be.closeTo(r.poses[i * 51 + k], 1e-5));
          f.spread!.forEach((v, k) => expect(v).to.be.closeTo(r.spread[i * 17 + k], 1e-5));
          f.samples!.forEach((v, k) => expect(v).to.be.closeTo(r.samples![i * 153 + k], 1e-5));
        });
      } finally {
        model.dispose();
      }
    });

  it('starts the temporal context over where a track is missing from more than MAX_BRIDGED_GAP frames, and bridges shorter gaps', async function () {
    this.timeout(600_000);
    const clip = readJson<{ frames: Array<{ keypoints: number[][] }> }>(example('basketball-h36m17.json')).frames;
    // Person "a" in frames 0-19, gone in 20-29 (empty frames), back in 30-49 but gone from 40 and 41.
    const present = (f: number) => f < 20 || (f >= 30 && f !== 40 && f !== 41);
    const frames = Array.from({ length: 50 }, (_, f) => ({
      frame: f,
      people: present(f) ? [{ id: 'a', keypoints: clip[f % clip.length].keypoints }] : [],
    }));
    const file = join(dir, 'gaps.json');
    writeFileSync(file, JSON.stringify({ imageSize: [640, 480], format: 'h36m17', frames }));
    const { out, stderr } = await liftRun(file, ['--cpu', '--hypotheses', '1', '--init', 'official']);
    expect(stderr).to.match(/the temporal context started over after 1 gap of more than 2 frames in a track/);
    const got = out.people[0].frames;
    expect(got.map((f) => f.frame)).to.deep.equal(Array.from({ length: 50 }, (_, f) => f).filter(present));
    const model = await DiffPose.load({ backend: 'cpu' });
    try {
      for (const segment of [
        Array.from({ length: 20 }, (_, f) => f),
        Array.from({ length: 20 }, (_, i) => 30 + i).filter(present),
      ]) {
        const kp = segment.map((f) => clip[f % clip.length].keypoints);
        const r = await model.liftSequence(Float32Array.from(kp.flatMap((k) => k.flatMap(([x, y]) => [x, y]))), {
          imageSize: [640, 480],
          confidence: Float32Array.from(kp.flatMap((k) => k.map((j) => j[2]))),
          hypotheses: 1,
          init: 'official',
        });
        segment.forEach((f, i) => {
          const joints = got.find((g) => g.frame === f)!.joints;
          joints.forEach((v, k) => expect(v, `frame ${f}`).to.be.closeTo(r.poses[i * 51 + k], 1e-5));
        });
      }
    } finally {
      model.dispose();
    }
  });

  it("starts the temporal context over where a person jumps farther than TRACK_GATE of their size under one id (a tracker's swap)", async function () {
    this.timeout(600_000);
    const clip = readJson<{ frames: Array<{ keypoints: number[][] }> }>(example('basketball-h36m17.json')).frames;
    // "a" is one person in frames 0-19 and another, 300 px to the right, in frames 20-39.
    const keypoints = (f: number) => clip[f % clip.length].keypoints.map(([x, y, c]) => [f < 20 ? x : x + 300, y, c]);
    const frames = Array.from({ length: 40 }, (_, f) => ({ frame: f, people: [{ id: 'a', keypoints: keypoints(f) }] }));
    const file = join(dir, 'jump.json');
    writeFileSync(file, JSON.stringify({ imageSize: [640, 480], format: 'h36m17', frames }));
    const { out, stderr } = await liftRun(file, ['--cpu', '--hypotheses', '1', '--init', 'official']);
    expect(stderr).to.match(/1 track jumped more than 0.75 person sizes between frames/);
    const got = out.people[0].frames;
    expect(got).to.have.length(40);
    const model = await DiffPose.load({ backend: 'cpu' });
    try {
      for (const from of [0, 20]) {
        const kp = Array.from({ length: 20 }, (_, i) => keypoints(from + i));
        const r = await model.liftSequence(Float32Array.from(kp.flatMap((k) => k.flatMap(([x, y]) => [x, y]))), {
          imageSize: [640, 480],
          confidence: Float32Array.from(kp.flatMap((k) => k.map((j) => j[2]))),
          hypotheses: 1,
          init: 'official',
        });
        for (let i = 0; i < 20; i++)
          got[from + i].joints.forEach((v, k) =>
            expect(v, `frame ${from + i}`).to.be.closeTo(r.poses[i * 51 + k], 1e-5),
          );
      }
    } finally {
      model.dispose();
    }
  });

  it("reads the documented CSV layout like the same detections in COCO results, keeping the CSV's person names", async () => {
    // The first 10 frames of the two-people file as CSV, named by side.
    const input = readJson<CocoResult[]>(example('two-people-coco17.json')).slice(0, 20);
    const side = (d: CocoResult) => ((d.keypoints[15] + d.keypoints[18]) / 2 < 640 ? 'alice' : 'bob');
    const csv =
      [
        '# format: coco17',
        '# imageSize: 1280x480',
        '# fps: 15',
        `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`,
        ...input.map((d) => `${d.image_id},${side(d)},${d.keypoints.join(',')}`),
      ].join('\n') + '\n';
    writeFileSync(join(dir, 'two.csv'), csv);
    writeFileSync(join(dir, 'two-first10.json'), JSON.stringify(input));
    const fromCsv = await liftTo(join(dir, 'two.csv'), ['--cpu', '--hypotheses', '2']);
    // The CSV says 15 fps (the temporal model then reads it upsampled): the COCO results carry no rate.
    const fromCoco = await liftTo(join(dir, 'two-first10.json'), [
      '--cpu',
      '--image-size',
      '1280x480',
      '--fps',
      '15',
      '--hypotheses',
      '2',
    ]);
    expect(fromCsv.imageSize).to.deep.equal([1280, 480]);
    expect(fromCsv.people.map((p) => p.id)).to.deep.equal(['alice', 'bob']);
    expect(fromCsv.fps).to.equal(15);
    expect(fromCsv.people[1].frames[2].time).to.be.closeTo(2 / 15, 1e-6);
    for (const p of [0, 1]) {
      expect(fromCsv.people[p].frames.map((f) => f.joints)).to.deep.equal(
        fromCoco.people[p].frames.map((f) => f.joints),
      );
      expect(fromCsv.people[p].frames.map((f) => f.input)).to.deep.equal(
        fromCoco.people[p].frames.map((f) => f.input + 5),
      ); // CSV: line numbers
    }
  });

  it('takes a keypoint far outside the image (a garbage value) as missing, says so, and lifts the rest as with that joint missing', async () => {
    const input = readJson<{ imageSize: number[]; format: string; frames: Array<{ keypoints: number[][] }> }>(
      example('walk-h36m17.json'),
    );
    input.frames = input.frames.slice(0, 4);
    const garbage = structuredClone(input);
    garbage.frames[2].keypoints[13] = [1e9, -3e7, 0.9]; // left wrist
    const missing = structuredClone(input);
    missing.frames[2].keypoints[13] = [0, 0, 0];
    writeFileSync(join(dir, 'garbage.json'), JSON.stringify(garbage));
    writeFileSync(join(dir, 'missing.json'), JSON.stringify(missing));
    const a = await liftRun(join(dir, 'garbage.json'), ['--cpu', '--hypotheses', '1']);
    const b = await liftRun(join(dir, 'missing.json'), ['--cpu', '--hypotheses', '1']);
    expect(a.stderr).to.match(
      new RegExp(
        '^1 person in 4 frames; 1 keypoint more than 2 image sizes outside the image taken as missing; filled in 1 missing joint from the rest of each skeleton \\(confidence 0\\)' +
          `${escapeRegExp(rootClause(a.out))}\n`,
        'm',
      ),
    );
    expect(a.out.people[0].frames[2].filled).to.deep.equal([13]);
    expect(a.out.people[0].frames.map((f) => f.joints)).to.deep.equal(b.out.people[0].frames.map((f) => f.joints));
  });

  it('lifts a close-up (head and shoulders in the picture): the filled-in legs lie image heights below it, and that is fine', async () => {
    const input = readJson<{ imageSize: number[]; format: string; frames: Array<{ keypoints: number[][] }> }>(
      example('walk-h36m17.json'),
    );
    input.frames = input.frames.slice(0, 3).map((f) => {
      const [hx, hy] = f.keypoints[10];
      return {
        keypoints: f.keypoints.map(([x, y, c]) => {
          const [zx, zy] = [(x - hx) * 10 + 320, (y - hy) * 10 + 60];
          return zx >= 0 && zx <= 640 && zy >= 0 && zy <= 480 ? [zx, zy, c] : [0, 0, 0];
        }),
      };
    });
    writeFileSync(join(dir, 'close-up.json'), JSON.stringify(input));
    const r = await liftRun(join(dir, 'close-up.json'), ['--cpu', '--hypotheses', '1']);
    const frames = r.out.people[0].frames;
    expect(frames).to.have.length(3);
    expect(frames[0].filled).to.include.members([3, 6]); // the ankles
    expect(
      Math.max(...frames[0].filled!.map((j) => frames[0].keypoints2d[3 * j + 1])),
      'filled below the picture',
    ).to.be.above(3.5 * 480);
    expect(frames.every((f) => f.joints.every(Number.isFinite))).to.equal(true);
  });

  it('counts the poses whose pelvis or a hip is unseen (a picture cut at the hips) in its summary', async () => {
    // COCO hips are keypoints 11 and 12: score 0.1 in the first two of four frames.
    const cut = (x: number) => person(x).map((v, i) => ([11, 12].includes(Math.floor(i / 3)) && i % 3 === 2 ? 0.1 : v));
    const results: CocoResult[] = [0, 1, 2, 3].map((f) => ({
      image_id: f,
      keypoints: f < 2 ? cut(300 + f) : person(300 + f),
      score: 0.9,
    }));
    writeFileSync(join(dir, 'hips-cut.json'), JSON.stringify(results));
    const r = await liftRun(join(dir, 'hips-cut.json'), ['--cpu', '--image-size', '640x480', '--hypotheses', '1']);
    expect(r.stderr).to.match(
      /^1 person in 4 frames; .*2 poses with the pelvis or a hip under confidence 0\.3 \(out of the picture or unsure\): their joints are measured from a guessed pelvis \(docs\/temporal-model\.md §19\)\n/m,
    );
    // Every joint seen: no such clause.
    const whole = results.map((d) => ({ ...d, keypoints: person(300) }));
    writeFileSync(join(dir, 'hips-seen.json'), JSON.stringify(whole));
    const seen = await liftRun(join(dir, 'hips-seen.json'), ['--cpu', '--image-size', '640x480', '--hypotheses', '1']);
    expect(seen.stderr).to.match(/^1 person in 4 frames\n/m);
  });

  it("keeps the caller's track ids, drops a junk detection under --min-person-score, and fills in joints detected as (0, 0, 0)", async () => {
    const legs = [13, 14, 15, 16];
    const bob = (x: number) => person(x).map((v, i) => (legs.includes(Math.floor(i / 3)) ? 0 : v));
    const results: CocoResult[] = [];
    for (let f = 0; f < 3; f++) {
      results.push({ image_id: f, track_id: 'bob', keypoints: bob(500 + f), score: 0.9 });
      results.push({ image_id: f, track_id: 'alice', keypoints: person(200 + f), score: 0.95 });
    }
    results.splice(2, 0, { image_id: 1, track_id: 'junk', keypoints: person(50, 0.1), score: 0.03 }); // a detection at the far left
    writeFileSync(join(dir, 'tracked.json'), JSON.stringify(results));
    const r = await liftRun(join(dir, 'tracked.json'), ['--cpu', '--image-size', '640x480', '--hypotheses', '2']);
    expect(r.out.people.map((p) => [p.person, p.id])).to.deep.equal([
      [0, 'alice'],
      [1, 'bob'],
    ]);
    expect(r.stderr).to.match(
      /^read .*: COCO keypoint results with track_id, format coco17, 3 frames, image 640x480\n/m,
    );
    expect(r.stderr).to.match(
      /^2 people \(tracked by the file's ids\) in 3 frames; dropped 1 detection \(person score < 0\.2 or < 2 keypoints\); filled in 12 missing joints from the rest of each skeleton \(confidence 0\)\n/m,
    );
    const frames = r.out.people[1].frames;
    expect(frames.map((f) => f.filled)).to.deep.equal([
      [2, 3, 5, 6],
      [2, 3, 5, 6],
      [2, 3, 5, 6],
    ]); // H36M knees and ankles
    for (const j of [2, 3, 5, 6]) {
      expect(frames[0].keypoints2d[3 * j + 2]).to.equal(0); // confidence 0
      expect(frames[0].keypoints2d[3 * j + 1], 'below the hips, not at (0, 0)').to.be.above(frames[0].keypoints2d[1]);
    }
    // --track boxes ignores the ids; --min-person-score 0 keeps the junk as a third person.
    const boxes = await liftRun(join(dir, 'tracked.json'), [
      '--cpu',
      '--image-size',
      '640x480',
      '--hypotheses',
      '1',
      '--track',
      'boxes',
      '--min-person-score',
      '0',
    ]);
    expect(boxes.out.people.map((p) => [p.id, p.frames.length])).to.deep.equal([
      [undefined, 3],
      [undefined, 3],
      [undefined, 1],
    ]);
  });

  describe('sanity warnings: the lift still runs (exit 0)', () => {
    const frames = (x: number, scale = 1) => ({
      frames: [0, 1].map((f) => ({ keypoints: person(x + f).map((v, i) => (i % 3 === 2 ? v : v * scale)) })),
    });

    it('normalised coordinates', async () => {
      writeFileSync(
        join(dir, 'unit.json'),
        JSON.stringify({ imageSize: [640, 480], format: 'coco17', ...frames(300, 1 / 640) }),
      );
      const r = await liftRun(join(dir, 'unit.json'), ['--cpu', '--hypotheses', '1']);
      expect(diffposeLines(r.stderr)).to.include(
        'diffpose: warning: every coordinate is in [0, 1]: normalised coordinates? pass pixels, or --normalised to scale them by the image size (640x480)',
      );
      const scaled = await liftRun(join(dir, 'unit.json'), ['--cpu', '--hypotheses', '1', '--normalised']);
      expect(diffposeLines(scaled.stderr).filter((l) => l.includes('warning'))).to.deep.equal([]);
    });

    it('keypoints outside the image', async () => {
      writeFileSync(
        join(dir, 'big.json'),
        JSON.stringify({ imageSize: [640, 480], format: 'coco17', ...frames(300, 3) }),
      );
      const r = await liftRun(join(dir, 'big.json'), ['--cpu', '--hypotheses', '1']);
      expect(diffposeLines(r.stderr).join('\n')).to.match(
        /^diffpose: warning: \d+% of the detected keypoints lie outside the 640x480 image \(largest x 999, y 1050\): is the image size right, and are they pixels\?$/m,
      );
    });

    it('keypoints more than 2 image sizes outside the image are missing: with none left, one error that says why (exit 1)', async () => {
      writeFileSync(
        join(dir, 'huge.json'),
        JSON.stringify({ imageSize: [640, 480], format: 'coco17', ...frames(300, 10) }),
      );
      const r = await runCli([
        'lift',
        join(dir, 'huge.json'),
        '--cpu',
        '--hypotheses',
        '1',
        '-o',
        join(dir, 'huge-out.json'),
      ]);
      expect(r.code, r.stderr).to.equal(1);
      expect(diffposeLines(r.stderr)).to.include(
        'diffpose: warning: 100% of the detected keypoints lie outside the 640x480 image (largest x 3330, y 3500): is the image size right, and are they pixels?',
      );
      expect(diffposeLines(r.stderr).at(-1)).to.match(
        /: no detection is left to lift \(all 2 under --min-person-score 0\.2 or with fewer than 2 keypoints; 34 keypoints lie more than 2 image sizes outside the 640x480 image and were taken as missing: is the image size right, and are they pixels\?\)$/,
      );
      expect(existsSync(join(dir, 'huge-out.json'))).to.equal(false);
    });

    it('COCO order declared as Human3.6M; without a format the order that fits is taken and said', async () => {
      writeFileSync(
        join(dir, 'order.json'),
        JSON.stringify({ imageSize: [640, 480], format: 'h36m17', ...frames(300) }),
      );
      const r = await liftRun(join(dir, 'order.json'), ['--cpu', '--hypotheses', '1']);
      expect(diffposeLines(r.stderr).join('\n')).to.match(
        /^diffpose: warning: the keypoints do not look like a h36m17 skeleton \(a mean skeleton fits them 0\.\d+ m off, a right joint order about 0\.1 m\): they fit coco17 \(0\.\d+ m\): pass --format coco17\?$/m,
      );
      writeFileSync(join(dir, 'no-format.json'), JSON.stringify({ imageSize: [640, 480], ...frames(300) }));
      const guessed = await liftRun(join(dir, 'no-format.json'), ['--cpu', '--hypotheses', '1']);
      expect(guessed.out.inputFormat).to.equal('coco17');
      expect(guessed.stderr).to.match(
        /^assumed format coco17: 17 keypoints and no "format" given, and the skeleton fits the coco17 joint order best/m,
      );
      expect(diffposeLines(guessed.stderr).filter((l) => l.includes('warning'))).to.deep.equal([]);
    });
  });

  describe('help and version', () => {
    it('diffpose <command> --help / -h: the options with their defaults, exit 0', async () => {
      for (const command of ['lift', 'info', 'convert', 'eval', 'prepare-data']) {
        for (const flag of ['--help', '-h']) {
          const r = await runCli([command, flag]);
          expect(r.code, `${command} ${flag}: ${r.stderr}`).to.equal(0);
          expect(r.stdout).to.match(new RegExp(`^usage: diffpose ${command}`));
        }
      }
      const lift = (await runCli(['lift', 'x.json', '--help'])).stdout;
      for (const executor of ['fused', 'fused-f16', 'per-op', 'cpu']) expect(lift).to.include(executor);
      for (const option of [
        '--format',
        '--image-size',
        '--normalised',
        '--fps',
        '--track',
        '--min-person-score',
        '--min-keypoint-score',
        '--hypotheses',
        '--timesteps',
        '--init',
        '--seed',
        '--eta',
        '--samples',
        '--weights',
        '--executor',
        '--cpu',
        '--output',
        '--verbose',
      ])
        expect(lift).to.include(option);
      expect(lift).to.match(/default 8/);
      expect(lift).to.match(/default 0\.2/);
      const top = await runCli(['--help']);
      expect(top.code).to.equal(0);
      expect(top.stdout).to.match(/diffpose <command> --help/);
    });

    it('an unknown command: one line naming the commands, with the near-miss or the lift it probably meant', async () => {
      const cases: Array<[string, RegExp]> = [
        ['lfit', /^diffpose: unknown command "lfit": did you mean "lift"\? \(commands: lift, info, /],
        ['Eval', /^diffpose: unknown command "Eval": did you mean "eval"\?/],
        ['walk.json', /^diffpose: unknown command "walk\.json": to lift a file, diffpose lift walk\.json \(commands: /],
        [
          'train',
          /^diffpose: unknown command "train" \(commands: lift, info, convert, eval, calibrate, prepare-data; diffpose --help for usage\)$/,
        ],
      ];
      for (const [command, pattern] of cases) {
        const r = await runCli([command]);
        expect(r.code, command).to.equal(2);
        expect(r.stdout, command).to.equal('');
        expect(diffposeLines(r.stderr), command).to.have.length(1);
        expect(r.stderr.trim(), command).to.match(pattern);
      }
    });

    it('diffpose --version', async () => {
      const version = readJson<{ version: string }>(join(ROOT, 'package.json')).version;
      for (const flag of ['--version', '-V']) {
        const r = await runCli([flag]);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.equal(`diffpose ${version}\n`);
      }
    });
  });

  describe('errors: one line on stderr, exit code 1, no -o file', () => {
    const output = () => join(dir, 'must-not-exist.json');
    afterEach(() => expect(existsSync(output()), 'nothing written to -o').to.equal(false));
    const fail = (args: string[], env?: Record<string, string>) => runCli(['lift', ...args, '-o', output()], env);

    it('missing file', async () => {
      expectOneErrorLine(
        await fail([join(dir, 'nope.json'), '--cpu']),
        /^diffpose: cannot read .*nope\.json: no such file$/,
      );
    });

    it('malformed JSON', async () => {
      writeFileSync(join(dir, 'bad.json'), '{"frames": [');
      expectOneErrorLine(
        await fail([join(dir, 'bad.json'), '--cpu']),
        /^diffpose: .*bad\.json: not valid JSON \(.+\)$/,
      );
    });

    it('unknown format', async () => {
      expectOneErrorLine(
        await fail([example('walk-coco17.json'), '--format', 'body25', '--image-size', '640x480', '--cpu']),
        /^diffpose: unknown keypoint format "body25" \(known: h36m17, coco17, halpe26, wholebody133, mediapipe33, openpose25, openpose18\)$/,
      );
    });

    it('keypoint count not matching the format', async () => {
      expectOneErrorLine(
        await fail([example('walk-coco17.json'), '--format', 'openpose25', '--image-size', '640x480', '--cpu']),
        /^diffpose: .*walk-coco17\.json: result 0 \(image_id 0\): 17 keypoints, but format openpose25 has 25 \(75 numbers\); pass --format/,
      );
    });

    it('COCO results without --image-size', async () => {
      expectOneErrorLine(
        await fail([example('walk-coco17.json'), '--cpu']),
        /^diffpose: .*walk-coco17\.json does not say its image size .*: pass --image-size WIDTHxHEIGHT$/,
      );
    });

    it('bad flags fail before the input is read (a missing file is not what it reports) and leave nothing beside -o', async () => {
      const missing = join(dir, 'nope.json');
      for (const [flags, message] of [
        [
          ['--causal', '--frame-model'],
          /^diffpose: --causal picks the temporal model's window: not with --frame-model$/,
        ],
        [['--init', 'bogus'], /^diffpose: --init must be paper or official, got "bogus"$/],
        [['--aggregate', 'median'], /^diffpose: --aggregate must be mean or reprojection, got "median"$/],
        [['--seed', '-1'], /^diffpose: --seed must be an integer in \[0, 2\^53\), got -1$/],
        [['--timesteps', '0,12'], /^diffpose: --timesteps must be strictly decreasing .*got "0,12"$/],
        [['--fps', '0'], /^diffpose: --fps must be a positive number, got "0"$/],
        [['--focal', '-3'], /^diffpose: --focal must be a positive number, got "-3"$/],
      ] as const) {
        expectOneErrorLine(await fail([missing, '--cpu', ...flags]), message);
        expect(
          readdirSync(dir).filter((f) => f.startsWith('must-not-exist')),
          flags.join(' '),
        ).to.deep.equal([]);
      }
      // Last on the line: an unknown option is unknown, a known one misses its value.
      expectOneErrorLine(await runCli(['lift', missing, '--bogus']), /^diffpose: unknown option --bogus /);
      expectOneErrorLine(await runCli(['lift', missing, '--seed']), /^diffpose: --seed needs a value$/);
    });

    it('an output path that cannot be written fails before the lift', async () => {
      writeFileSync(join(dir, 'a-file'), '');
      const r = await runCli(['lift', example('walk-h36m17.json'), '--cpu', '-o', join(dir, 'a-file', 'out.json')]);
      expectOneErrorLine(r, /^diffpose: cannot write .*a-file\/out\.json: cannot create its folder/);
      expect(r.stderr).not.to.match(/^read /m);
    });

    it('no WebGPU adapter (the Vulkan loader pointed at no driver): says --cpu', async () => {
      // Dawn finds no Vulkan driver and has no other backend by default, so this is a real
      // no-adapter machine; Dawn's own native warnings also land on stderr and are not ours.
      const r = await fail([example('walk-h36m17.json')], { VK_ICD_FILENAMES: '/nonexistent.json' });
      expectOneErrorLine(r, /^diffpose: No WebGPU adapter found\..* Or pass --cpu to run on the CPU/);
      expect(r.stderr.trimEnd().split('\n').at(-1)).to.match(/^diffpose: /);
    });

    it('--verbose adds the stack trace', async () => {
      const r = await fail([join(dir, 'nope.json'), '--cpu', '--verbose']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^diffpose: cannot read/m);
      expect(r.stderr).to.match(/^\s+at /m);
    });
  });

  describe('streamed CSV (--stream, or CSV files over 32 MiB)', () => {
    /** A CSV of `frames` frames of the walk clip (repeated), one person, frame ids 0, 1, ... */
    function walkCsv(path: string, frames: number): void {
      const walk = readJson<CocoResult[]>(example('walk-coco17.json'));
      const rows = Array.from({ length: frames }, (_, f) => `${f},walker,${walk[f % walk.length].keypoints.join(',')}`);
      writeFileSync(
        path,
        [
          '# format: coco17',
          '# imageSize: 640x480',
          '# fps: 15',
          `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`,
          ...rows,
        ].join('\n') + '\n',
      );
    }

    it('gives exactly the whole-file output past the read-ahead (100 frames)', async () => {
      walkCsv(join(dir, 'long.csv'), 120);
      const whole = join(dir, 'long-whole.json'),
        streamed = join(dir, 'long-streamed.json');
      const a = await runCli(['lift', join(dir, 'long.csv'), '--cpu', '--hypotheses', '1', '-o', whole]);
      const b = await runCli(['lift', join(dir, 'long.csv'), '--cpu', '--hypotheses', '1', '--stream', '-o', streamed]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      expect(b.stderr).to.match(
        /^read .*long\.csv: CSV \(streamed\), format coco17, streaming \(first 100 frames read ahead\), image 640x480, 15 fps$/m,
      );
      const [x, y] = [readJson<LiftOutput>(whole), readJson<LiftOutput>(streamed)];
      expect(y.people[0].frames).to.have.length(120);
      expect(y.people).to.deep.equal(x.people);
      expect(
        readdirSync(dir).filter((f) => /\.(parts|partial)-/.test(f)),
        'no leftovers',
      ).to.deep.equal([]);
    });

    it('Ctrl-C leaves no output and no partial files, exit code 130', async function () {
      this.timeout(300_000);
      walkCsv(join(dir, 'interrupt.csv'), 2000);
      const out = join(dir, 'interrupted.json');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./cli-entry.ts', import.meta.url)),
          'lift',
          join(dir, 'interrupt.csv'),
          '--cpu',
          '--stream',
          '--hypotheses',
          '1',
          '-o',
          out,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      const exit = new Promise<number | null>((done) => child.on('close', done));
      // Interrupt once lifting has begun: the parts folder exists.
      const t0 = Date.now();
      while (!readdirSync(dir).some((f) => f.startsWith('interrupted.json.parts-')) && Date.now() - t0 < 60_000)
        await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const code = await exit;
      expect(code, stderr).to.equal(130);
      expect(diffposeLines(stderr)).to.deep.equal(['diffpose: interrupted: nothing written']);
      expect(
        readdirSync(dir).filter((f) => f.startsWith('interrupted.json')),
        'no output, parts or partial file',
      ).to.deep.equal([]);
    });

    it('a streamed CSV must list its frames in order', async () => {
      const header = `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`;
      writeFileSync(
        join(dir, 'unsorted.csv'),
        `# imageSize: 640x480\n${header}\n1,a,${person(300).join(',')}\n0,a,${person(300).join(',')}\n`,
      );
      expectOneErrorLine(
        await runCli(['lift', join(dir, 'unsorted.csv'), '--cpu', '--stream']),
        /^diffpose: .*unsorted\.csv: line 4: frame 0 after frame 1: a streamed CSV must list its frames in order \(sort it by frame\)$/,
      );
    });
  });

  it('writes the root trajectory per frame, and the motion as BVH and glTF files that three.js reads back (--bvh, --gltf)', async () => {
    const plain = readJson<{ imageSize: number[]; frames: unknown[] }>(example('walk-h36m17.json'));
    const input = join(dir, 'walk-12.json');
    writeFileSync(input, JSON.stringify({ ...plain, fps: 15, frames: plain.frames.slice(0, 12) }));
    const bvh = join(dir, 'anim', 'walk.bvh'),
      glb = join(dir, 'anim', 'walk.glb');
    const { out, stderr } = await liftRun(input, [
      '--cpu',
      '--hypotheses',
      '2',
      '--bvh',
      bvh,
      '--gltf',
      glb,
      '--focal',
      '482',
    ]);
    expect(stderr).to.include(`-> ${bvh}\n`).and.to.include(`-> ${glb}\n`);
    const frames = out.people[0].frames;
    for (const f of frames) {
      expect(f.root, 'a root per frame').to.have.length(3);
      expect(f.root![2], 'in front of the camera, metres').to.be.within(1, 20);
    }
    const parsed = new BVHLoader().parse(readFileSync(bvh, 'utf8'));
    expect(parsed.clip.tracks.find((t) => t.name === 'pelvis.position')!.times.length).to.equal(12);
    expect(parsed.clip.duration).to.be.closeTo(11 / 15, 1e-4);
    // The root track is the trajectory (world axes: y up, z towards the camera), in centimetres.
    const rootTrack = parsed.clip.tracks.find((t) => t.name === 'pelvis.position')!.values;
    frames.forEach((f, i) => {
      expect(rootTrack[3 * i] / 100).to.be.closeTo(f.root![0], 1e-4);
      expect(rootTrack[3 * i + 1] / 100).to.be.closeTo(-f.root![1], 1e-4);
      expect(rootTrack[3 * i + 2] / 100).to.be.closeTo(-f.root![2], 1e-4);
    });
    const bytes = readFileSync(glb);
    expect(bytes.subarray(0, 4).toString('latin1')).to.equal('glTF');
  });

  it("animation files keep the video's timing (a late start, a gap), a file per person however the ids spell, all written or none", async () => {
    const plain = readJson<{ imageSize: number[]; frames: Array<{ keypoints: number[][] }> }>(
      example('walk-h36m17.json'),
    );
    // "ä" in frames 0-3 and 8-11 (a gap of 4), "ö" from frame 3 on, 150 px to the right: both ids spell "_".
    const shifted = (k: number[][]) => k.map(([x, y, c]) => [x + 150, y, c]);
    const frames = plain.frames.slice(0, 12).map((f, i) => ({
      frame: i,
      people: [
        ...(i < 4 || i >= 8 ? [{ id: 'ä', keypoints: f.keypoints }] : []),
        ...(i >= 3 ? [{ id: 'ö', keypoints: shifted(f.keypoints) }] : []),
      ],
    }));
    const input = join(dir, 'two-ids.json');
    writeFileSync(input, JSON.stringify({ imageSize: [800, 480], format: 'h36m17', fps: 15, frames }));
    const anim = join(dir, 'anim2');
    const { stderr } = await liftRun(input, [
      '--cpu',
      '--hypotheses',
      '1',
      '--bvh',
      join(anim, 'm.bvh'),
      '--gltf',
      join(anim, 'm.glb'),
    ]);
    expect(readdirSync(anim).sort()).to.deep.equal(['m-_-2.bvh', 'm-_-2.glb', 'm-_.bvh', 'm-_.glb']);
    expect(stderr).to.match(
      /person ä: animation from video frame 0, 4 frames where the person was not lifted interpolated/,
    );
    expect(stderr).to.match(/person ö: animation from video frame 3\b/);
    // "ä": frames 0 to 11 at 15 fps, the gap's frames filled in.
    const a = new BVHLoader().parse(readFileSync(join(anim, 'm-_.bvh'), 'utf8'));
    expect(a.clip.tracks.find((t) => t.name === 'pelvis.position')!.times.length).to.equal(12);
    expect(a.clip.duration).to.be.closeTo(11 / 15, 1e-4);
    // "ö": 9 frames from its first one; its glTF animation starts at 3 / 15 s.
    const b = new BVHLoader().parse(readFileSync(join(anim, 'm-_-2.bvh'), 'utf8'));
    expect(b.clip.tracks.find((t) => t.name === 'pelvis.position')!.times.length).to.equal(9);
    const { clip } = await loadGlb(readFileSync(join(anim, 'm-_-2.glb')));
    expect(clip.tracks[0].times[0]).to.be.closeTo(3 / 15, 1e-6);
    expect(clip.tracks[0].times.at(-1)).to.be.closeTo(11 / 15, 1e-6);
    // One file that cannot be written (a folder in its place): no output, no animation file at all.
    rmSync(anim, { recursive: true });
    mkdirSync(join(anim, 'm-_-2.glb'), { recursive: true });
    const out = join(anim, 'o.json');
    const r = await runCli([
      'lift',
      input,
      '--cpu',
      '--hypotheses',
      '1',
      '-o',
      out,
      '--bvh',
      join(anim, 'm.bvh'),
      '--gltf',
      join(anim, 'm.glb'),
    ]);
    expectOneErrorLine(r, /^diffpose: cannot write .*m-_-2\.glb: it is a folder$/);
    expect(readdirSync(anim)).to.deep.equal(['m-_-2.glb']);
    // And -o, --bvh and --gltf naming one file is refused before anything is read.
    expectOneErrorLine(
      await runCli(['lift', join(dir, 'nope.json'), '--cpu', '-o', out, '--bvh', out]),
      /^diffpose: two outputs would be written to .*o\.json: -o, --bvh and --gltf must name different files$/,
    );
    // A person's file named like -o: refused before anything is written.
    rmSync(anim, { recursive: true });
    const clash = join(anim, 'm-_.bvh');
    expectOneErrorLine(
      await runCli(['lift', input, '--cpu', '--hypotheses', '1', '-o', clash, '--bvh', join(anim, 'm.bvh')]),
      /^diffpose: two outputs would be written to .*m-_\.bvh: -o, --bvh and --gltf must name different files$/,
    );
    expect(existsSync(clash)).to.equal(false);
  });

  it('prepare-data without the mocap folder says where it is expected', async () => {
    const r = await runCli(['prepare-data', '--mocap', join(dir, 'no-mocap-here')]);
    expectOneErrorLine(
      r,
      /^diffpose: no mocap folder at .*no-mocap-here: prepare-data reads the CMU and HDM05 motion-capture clips from the folder given by --mocap; put them there or pass --mocap DIR$/,
    );
  });

  it('says it is compiling GPU kernels when the first GPU lift takes long, and prints no Dawn warnings but with --verbose (GPU)', async function () {
    this.timeout(600_000);
    const one = {
      imageSize: [640, 480],
      format: 'h36m17',
      frames: readJson<{ frames: unknown[] }>(example('walk-h36m17.json')).frames.slice(0, 1),
    };
    writeFileSync(join(dir, 'one.json'), JSON.stringify(one));
    // A threshold of 0 ms: the line comes whenever the first GPU call is not instant.
    const r = await runCli(['lift', join(dir, 'one.json'), '--hypotheses', '1', '-o', join(dir, 'one-out.json')], {
      DIFFPOSE_COMPILE_NOTICE_MS: '0',
    });
    if (r.code !== 0 && /No WebGPU adapter/.test(r.stderr)) {
      if (process.env.CI === 'true' || process.env.DIFFPOSE_REQUIRE_GPU === '1') throw new Error(r.stderr);
      this.skip();
    }
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(
      /^compiling GPU kernels for this adapter \(first run only; up to a minute or two on a software adapter\)…$/m,
    );
    // Dawn writes its adapter warnings (lavapipe: "maxDynamic... artificially reduced") to the
    // process's stderr directly; the CLI keeps them for --verbose. Muting needs stderr to be a
    // terminal, a file or a pipe, as in a shell: here a file.
    const log = join(dir, 'stderr.txt');
    const fd = openSync(log, 'w');
    const quiet = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI_ENTRY,
        'lift',
        join(dir, 'one.json'),
        '--hypotheses',
        '2',
        '-o',
        join(dir, 'two-out.json'),
      ],
      { stdio: ['ignore', 'pipe', fd] },
    );
    closeSync(fd);
    const text = readFileSync(log, 'utf8');
    expect(quiet.status, text).to.equal(0);
    expect(
      text.split('\n').filter((l) => l && !/^(read |compiling |temporal model|1 person|lifted )/.test(l)),
      "nothing but the CLI's own lines",
    ).to.deep.equal([]);
    const cpu = await runCli(['lift', join(dir, 'one.json'), '--hypotheses', '1', '--cpu'], {
      DIFFPOSE_COMPILE_NOTICE_MS: '0',
    });
    expect(cpu.stderr, 'not on the CPU').not.to.match(/compiling GPU kernels/);
  });

  async function liftRun(input: string, args: string[]): Promise<{ out: LiftOutput; stderr: string }> {
    const path = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
    const r = await runCli(['lift', input.includes('/') ? input : example(input), ...args, '-o', path]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(new RegExp(`-> ${path.replace(/[.]/g, '\\.')}\\n$`));
    expect(r.stdout).to.equal('');
    return { out: readJson<LiftOutput>(path), stderr: r.stderr };
  }

  async function liftTo(input: string, args: string[]): Promise<LiftOutput> {
    return (await liftRun(input, args)).out;
  }
});
