// Latency of live use (issue 14's targets): one stream.push of one track (H = 1) against a
// single-pose frame lift, and 16 tracks in one push against one track, on this machine's adapter.
// Median wall time per call over N calls after a warm-up (kernels compiled). A script whose
// numbers go into the README, not a test.
//   npx tsx bench/stream-latency.ts [--calls 60] [--cpu]
import { parseArgs } from 'node:util';
import { DiffPose } from '../src/diffpose.js';
import { hideDawnAdapterWarnings } from '../src/gpu/node-gpu.js';

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '60' }, cpu: { type: 'boolean', default: false } },
});
const CALLS = Number(args.calls);
const IMAGE = [640, 480] as const;
const base = [
  320, 240, 300, 240, 300, 320, 300, 400, 340, 240, 340, 320, 340, 400, 320, 190, 320, 140, 320, 120, 320, 95, 350, 145,
  370, 190, 380, 235, 290, 145, 270, 190, 260, 235,
];
/** P people at frame f: the base pose swaying, each at its own place. */
const frame = (P: number, f: number) =>
  Float32Array.from(
    { length: P * 34 },
    (_, i) => base[i % 34] + 12 * Math.sin(f * 0.2 + i * 0.7) + (i % 2 === 0 ? 20 * Math.floor(i / 34) : 0),
  );

async function median(calls: number, body: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await body(i);
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await body(i + 5);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

hideDawnAdapterWarnings();
const model = await DiffPose.load({ backend: args.cpu ? 'cpu' : 'gpu' });
try {
  const frameLift = await median(CALLS, (i) => model.lift(frame(1, i), { imageSize: IMAGE, hypotheses: 1 }));
  const frameLift16 = await median(CALLS, (i) => model.lift(frame(16, i), { imageSize: IMAGE, hypotheses: 1 }));
  const one = await model.createStream({ imageSize: IMAGE, hypotheses: 1 });
  const push1 = await median(CALLS, (i) => one.push(frame(1, i)));
  const sixteen = await model.createStream({ imageSize: IMAGE, hypotheses: 1, maxTracks: 16 });
  const push16 = await median(CALLS, (i) => sixteen.push(frame(16, i)));
  // One person over 300 frames (frame(300, 0) would be 300 people side by side, most outside the image).
  const track300 = Float32Array.from({ length: 300 * 34 }, (_, i) => frame(1, Math.floor(i / 34))[i % 34]);
  // A 15 fps camera: each push also runs the frame interpolated before it (docs/temporal-model.md §18).
  const slow = await model.createStream({ imageSize: IMAGE, hypotheses: 1, fps: 15 });
  const push15 = await median(CALLS, (i) => slow.push(frame(1, i)));
  slow.dispose();
  const seq = await median(Math.max(5, CALLS / 10), () =>
    model.liftSequence(track300, { imageSize: IMAGE, hypotheses: 1 }),
  );
  one.dispose();
  sixteen.dispose();
  console.log(`adapter: ${model.adapter}; median of ${CALLS} calls after 5 warm-up calls, H = 1`);
  console.log(`frame lift, 1 pose:            ${frameLift.toFixed(2)} ms`);
  console.log(
    `stream.push, 1 track:          ${push1.toFixed(2)} ms (${(push1 / frameLift).toFixed(2)}x the frame lift; target <= 1.5x)`,
  );
  console.log(
    `stream.push, 16 tracks:        ${push16.toFixed(2)} ms (${(push16 / push1).toFixed(2)}x one track; target <= 3x)`,
  );
  console.log(
    `stream.push, 1 track, 15 fps:  ${push15.toFixed(2)} ms (${(push15 / push1).toFixed(2)}x at 30 fps: one interpolated frame too; a 15 fps frame lasts 66.7 ms)`,
  );
  console.log(
    `frame lift, 16 poses:          ${frameLift16.toFixed(2)} ms (${(frameLift16 / frameLift).toFixed(2)}x one pose: the same work without the context)`,
  );
  console.log(`liftSequence, 300 frames:      ${seq.toFixed(1)} ms (${(seq / 300).toFixed(2)} ms/frame)`);
} finally {
  model.dispose();
}
