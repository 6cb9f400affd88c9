// Big input through the CLI (issue 12.7): writes an N-frame keypoint CSV (the bundled walk clip,
// one or two people, repeated with new frame numbers), then runs `diffpose lift <csv> --stream` on it in
// a child process and reports the child's peak resident memory (VmHWM), its time and the output's
// size. A script whose numbers go into the README, not a test.
//   npx tsx bench/stream-run.ts [--frames 1000000] [--people 2] [--read-only] [--cpu] [--hypotheses 1] [--keep]
// --read-only: read, track and fill in every frame in this process without lifting (what bounds
// memory on the way in), reporting this process's peak.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openCsvStream } from '../src/pose/keypoint-stream.js';
import { fillMissingJoints } from '../src/pose/missing-joints.js';
import { PeopleTracker } from '../src/pose/track-people.js';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    people: { type: 'string', default: '2' },
    'read-only': { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    hypotheses: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const FRAMES = Number(args.frames);
const PEOPLE = Number(args.people);
if (PEOPLE !== 1 && PEOPLE !== 2) throw new Error('--people is 1 or 2');
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function peakKiB(pid: number | 'self'): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function writeCsv(path: string): Promise<void> {
  const walk = JSON.parse(readFileSync(join(ROOT, 'examples/walk-h36m17.json'), 'utf8')) as {
    frames: Array<{ keypoints: number[][] }>;
  };
  const out = createWriteStream(path);
  out.write(
    '# format: h36m17\n# imageSize: 1280x480\n# fps: 15\nframe,person,' +
      Array.from({ length: 17 }, (_, j) => `x${j},y${j},s${j}`).join(',') +
      '\n',
  );
  for (let f = 0; f < FRAMES; f++) {
    const kp = walk.frames[f % walk.frames.length].keypoints;
    const row = (person: string, dx: number) =>
      `${f},${person},${kp.map(([x, y, s]) => `${(x + dx).toFixed(1)},${y.toFixed(1)},${s}`).join(',')}\n`;
    if (!out.write(row('alice', 0) + (PEOPLE === 2 ? row('bob', 640) : ''))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function readOnly(path: string): Promise<void> {
  const t0 = performance.now();
  const stream = await openCsvStream(path, createReadStream(path));
  const tracker = new PeopleTracker(stream.head.format, true);
  let frames = 0,
    detections = 0;
  const fill = (list: Array<{ keypoints: Float32Array; confidence: Float32Array }>) => {
    for (const d of list) fillMissingJoints(stream.head.format, 1, d.keypoints, d.confidence, [1280, 480], 0.02);
  };
  for (const f of stream.head.frames) {
    tracker.push(f.detections);
    fill(f.detections);
    frames++;
    detections += f.detections.length;
  }
  for await (const f of stream.rest) {
    tracker.push(f.detections);
    fill(f.detections);
    frames++;
    detections += f.detections.length;
    if (frames % 100_000 === 0) console.log(`  ${frames} frames, peak RSS ${(peakKiB('self') / 1024).toFixed(0)} MiB`);
  }
  console.log(
    `read, tracked and filled in ${frames} frames (${detections} detections, ${tracker.count} people) in ${((performance.now() - t0) / 1000).toFixed(1)} s; peak RSS of this process ${(peakKiB('self') / 1024).toFixed(0)} MiB`,
  );
}

async function lift(path: string, out: string): Promise<void> {
  const entry = join(ROOT, 'test/cli/cli-entry.ts');
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      entry,
      'lift',
      path,
      '--stream',
      '--hypotheses',
      args.hypotheses!,
      '-o',
      out,
      ...(args.cpu ? ['--cpu'] : []),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let peak = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, peakKiB(child.pid!));
    } catch {
      /* exited */
    }
  }, 200);
  const [code] = (await once(child, 'exit')) as [number];
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `lift exit ${code}: ${FRAMES} frames x ${PEOPLE} people in ${seconds.toFixed(0)} s (${((PEOPLE * FRAMES) / seconds).toFixed(0)} poses/s); peak RSS of the CLI ${(peak / 1024).toFixed(0)} MiB; output ${code === 0 ? `${(statSync(out).size / 2 ** 20).toFixed(0)} MiB` : 'none'}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'diffpose-stream-'));
try {
  const csv = join(dir, 'big.csv');
  console.log(`writing ${FRAMES} frames x ${PEOPLE} people to ${csv} ...`);
  await writeCsv(csv);
  console.log(`${(statSync(csv).size / 2 ** 20).toFixed(0)} MiB`);
  if (args['read-only']) await readOnly(csv);
  else await lift(csv, join(dir, 'out.json'));
} finally {
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
