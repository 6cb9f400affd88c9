import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiffPose } from '../../src/diffpose.js';
import { CHUNK_FRAMES } from '../../src/cli/lift-command.js';
import { diffposeLines, runCli } from './run-cli.js';

interface LiftedFrame { frame: number | string; input: number; joints: number[]; spread: number[]; samples?: number[] }
interface LiftOutput { people: Array<{ person: number; frames: LiftedFrame[] }>; hypotheses: number; imageSize: number[]; inputFormat: string; adapter: string }
type CocoResult = { image_id: number; keypoints: number[] };

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
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

describe('diffpose lift (child process)', function () {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'diffpose-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lifts a plain per-frame file to stdout, near the true 3D, and prints one summary line', async () => {
    const r = await runCli(['lift', example('walk-h36m17.json'), '--cpu']);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as LiftOutput;
    expect(out.people).to.have.length(1);
    expect(out.imageSize).to.deep.equal([640, 480]);
    const frames = out.people[0].frames;
    expect(frames).to.have.length(140);
    expect(frames.map((f) => f.frame)).to.deep.equal(Array.from({ length: 140 }, (_, i) => i));
    for (const f of frames) {
      expect(f.joints).to.have.length(51);
      expect(f.spread).to.have.length(17);
      expect(f.joints.slice(0, 3)).to.deep.equal([0, 0, 0]); // root-relative
    }
    expect(diffposeLines(r.stderr)).to.deep.equal(diffposeLines(r.stderr).filter((l) => l.startsWith('lifted ')));
    expect(r.stderr).to.match(/^lifted 140 frames of 1 person x 1 hypothesis in [\d.]+ s \([\d.]+ ms\/frame, model load included\) on cpu\n$/m);
    expect(r.stderr, 'no progress bar when stderr is not a terminal').not.to.include('\r');
    // ... and close to the true 3D of the example (the lift is real, not noise).
    const truth = readJson<{ frames: Array<{ joints: number[] }> }>(example('walk-truth.json'));
    let error = 0, zero = 0, n = 0;
    frames.forEach((f, i) => {
      for (let j = 0; j < 17; j++, n++) {
        const t = truth.frames[i].joints.slice(3 * j, 3 * j + 3);
        error += Math.hypot(...t.map((v, a) => f.joints[3 * j + a] - v));
        zero += Math.hypot(...t);
      }
    });
    expect(error / n, 'mean joint error, m').to.be.below(0.5 * zero / n);
  });

  it('tracks two people whose detections come in shuffled order, and writes -o', async () => {
    const path = await liftTo('two-people-coco17.json', ['--cpu', '--image-size', '1280x480']);
    const out = readJson<LiftOutput>(path);
    const input = readJson<CocoResult[]>(example('two-people-coco17.json'));
    const centreX = (i: number) => { const k = input[i].keypoints; return (k[5 * 3] + k[6 * 3]) / 2; }; // mid-shoulders
    expect(out.people.map((p) => p.person)).to.deep.equal([0, 1]);
    expect(out.inputFormat).to.equal('coco17');
    // The input order is shuffled per frame, so following detection order would mix people; tracks must not.
    const firstInFrame = input.filter((_, i) => i % 2 === 0).map((d, f) => centreX(2 * f) < 640);
    expect(firstInFrame.some((left) => left) && firstInFrame.some((left) => !left), 'the file really is shuffled').to.equal(true);
    for (const [p, side] of [[0, 'left'], [1, 'right']] as const) {
      const frames = out.people[p].frames;
      expect(frames.map((f) => f.frame)).to.deep.equal(Array.from({ length: 91 }, (_, i) => i));
      for (const f of frames) {
        expect(input[f.input].image_id).to.equal(f.frame);
        expect(centreX(f.input) < 640 ? 'left' : 'right', `person ${p} frame ${f.frame}`).to.equal(side);
      }
    }
  });

  it('equals one API call on the whole track although it lifts in chunks, and --samples adds every hypothesis', async () => {
    // 40 frames: one full chunk and a short one.
    const input = readJson<{ imageSize: number[]; frames: Array<{ keypoints: number[][] }> }>(example('basketball-h36m17.json'));
    input.frames = input.frames.slice(0, CHUNK_FRAMES + 8);
    writeFileSync(join(dir, 'basketball-40.json'), JSON.stringify(input));
    const out = readJson<LiftOutput>(await liftTo(join(dir, 'basketball-40.json'), ['--cpu', '--hypotheses', '3', '--samples', '--seed', '5']));
    const frames = out.people[0].frames;
    expect(frames).to.have.length(CHUNK_FRAMES + 8);
    expect(out.hypotheses).to.equal(3);
    expect(frames[0].samples).to.have.length(3 * 51);
    const model = await DiffPose.load({ backend: 'cpu' });
    try {
      {
        const all = input.frames;
        const r = await model.lift(Float32Array.from(all.flatMap((f) => f.keypoints.flatMap(([x, y]) => [x, y]))), {
          imageSize: [640, 480], confidence: Float32Array.from(all.flatMap((f) => f.keypoints.map((k) => k[2]))),
          hypotheses: 3, seed: 5, samples: true,
        });
        all.forEach((_, i) => {
          const f = frames[i];
          f.joints.forEach((v, k) => expect(v).to.be.closeTo(r.poses[i * 51 + k], 1e-5));
          f.spread.forEach((v, k) => expect(v).to.be.closeTo(r.spread[i * 17 + k], 1e-5));
          f.samples!.forEach((v, k) => expect(v).to.be.closeTo(r.samples![i * 153 + k], 1e-5));
        });
      }
    } finally {
      model.dispose();
    }
  });

  it('reads the documented CSV layout like the same detections in COCO results', async () => {
    // The first 10 frames of the two-people file as CSV, the people's rows in file order.
    const input = readJson<CocoResult[]>(example('two-people-coco17.json')).slice(0, 20);
    const csv = ['# format: coco17', '# imageSize: 1280x480', `frame,person,${Array.from({ length: 17 }, (_, k) => `x${k},y${k},s${k}`).join(',')}`,
      ...input.map((d, i) => `${d.image_id},${i % 2},${d.keypoints.join(',')}`)].join('\n') + '\n';
    writeFileSync(join(dir, 'two.csv'), csv);
    writeFileSync(join(dir, 'two-first10.json'), JSON.stringify(input));
    const fromCsv = readJson<LiftOutput>(await liftTo(join(dir, 'two.csv'), ['--cpu']));
    const fromCoco = readJson<LiftOutput>(await liftTo(join(dir, 'two-first10.json'), ['--cpu', '--image-size', '1280x480']));
    expect(fromCsv.imageSize).to.deep.equal([1280, 480]);
    expect(fromCsv.people).to.have.length(2);
    for (const p of [0, 1]) {
      expect(fromCsv.people[p].frames.map((f) => f.joints)).to.deep.equal(fromCoco.people[p].frames.map((f) => f.joints));
      expect(fromCsv.people[p].frames.map((f) => f.input)).to.deep.equal(fromCoco.people[p].frames.map((f) => f.input + 4)); // CSV: line numbers
    }
  });

  describe('errors: one line on stderr, exit code 1, no -o file', () => {
    const output = () => join(dir, 'must-not-exist.json');
    afterEach(() => expect(existsSync(output()), 'nothing written to -o').to.equal(false));
    const fail = (args: string[], env?: Record<string, string>) => runCli(['lift', ...args, '-o', output()], env);

    it('missing file', async () => {
      expectOneErrorLine(await fail([join(dir, 'nope.json'), '--cpu']), /^diffpose: cannot read .*nope\.json: no such file$/);
    });

    it('malformed JSON', async () => {
      writeFileSync(join(dir, 'bad.json'), '{"frames": [');
      expectOneErrorLine(await fail([join(dir, 'bad.json'), '--cpu']), /^diffpose: .*bad\.json: not valid JSON \(.+\)$/);
    });

    it('unknown format', async () => {
      expectOneErrorLine(await fail([example('walk-coco17.json'), '--format', 'body25', '--image-size', '640x480', '--cpu']),
        /^diffpose: unknown keypoint format "body25" \(known: h36m17, coco17, mediapipe33, openpose25\)$/);
    });

    it('keypoint count not matching the format', async () => {
      expectOneErrorLine(await fail([example('walk-coco17.json'), '--format', 'openpose25', '--image-size', '640x480', '--cpu']),
        /^diffpose: .*walk-coco17\.json: result 0 \(image_id 0\): 17 keypoints, but format openpose25 has 25 \(75 numbers\); pass --format/);
    });

    it('COCO results without --image-size', async () => {
      expectOneErrorLine(await fail([example('walk-coco17.json'), '--cpu']), /^diffpose: .*walk-coco17\.json does not say its image size .*: pass --image-size WIDTHxHEIGHT$/);
    });

    it('no WebGPU adapter (the Vulkan loader pointed at no driver)', async () => {
      // Dawn finds no Vulkan driver and has no other backend by default, so this is a real
      // no-adapter machine; Dawn's own native warnings also land on stderr and are not ours.
      const r = await fail([example('walk-h36m17.json')], { VK_ICD_FILENAMES: '/nonexistent.json' });
      expectOneErrorLine(r, /^diffpose: No WebGPU adapter found\./);
      expect(r.stderr.trimEnd().split('\n').at(-1)).to.match(/^diffpose: /);
    });

    it('--verbose adds the stack trace', async () => {
      const r = await fail([join(dir, 'nope.json'), '--cpu', '--verbose']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^diffpose: cannot read/m);
      expect(r.stderr).to.match(/^\s+at /m);
    });
  });

  async function liftTo(input: string, args: string[]): Promise<string> {
    const path = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
    const r = await runCli(['lift', input.includes('/') ? input : example(input), ...args, '-o', path]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(new RegExp(`-> ${path.replace(/[.]/g, '\\.')}\\n$`));
    expect(r.stdout).to.equal('');
    return path;
  }
});
