// Executor benchmark: poses per second and latency of the fused, per-op and CPU executors on the
// adapter it finds, at the sizes of the fused-path issue. Prints numbers; asserts nothing.
//   npm run bench [-- --quick] [-- --weights file]
import { cpus } from 'node:os';
import { DiffPose } from '../src/diffpose.js';
import type { ExecutorName } from '../src/lift-options.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const weightsAt = args.indexOf('--weights');
const weights = weightsAt >= 0 ? args[weightsAt + 1] : undefined;
const sizes: Array<[number, number]> = quick ? [[1, 1], [1, 8], [64, 1]] : [[1, 1], [1, 8], [64, 1], [64, 8], [1024, 1], [1024, 8]];
const executors: ExecutorName[] = ['fused', 'per-op', 'cpu'];
const repeats = quick ? 3 : 5;
/** The CPU reference is ~100x slower: time it only where it finishes in reasonable time. */
const cpuMaxItems = quick ? 8 : 64;

function keypoints(n: number): Float32Array {
  const base = [320, 240, 300, 240, 300, 320, 300, 400, 340, 240, 340, 320, 340, 400, 320, 190, 320, 140,
    320, 120, 320, 95, 350, 145, 370, 190, 380, 235, 290, 145, 270, 190, 260, 235];
  return Float32Array.from({ length: n * 34 }, (_, i) => base[i % 34] + ((i * 7919) % 13) - 6);
}

const model = await DiffPose.load({ weights, maxBatch: 8192 });
console.log(`adapter: ${model.adapter}; ${cpus().length} CPU cores (${cpus()[0]?.model ?? '?'}); node ${process.version}`);
console.log(`model: ${JSON.stringify(model.config.denoiser)} denoiser, ${JSON.stringify(model.config.lifter)} lifter; timesteps [12, 0]`);
console.log('executor  poses  H   first (ms)   min / median / max (ms)        poses/s');
for (const [n, H] of sizes) {
  const kp = keypoints(n);
  for (const executor of executors) {
    if (executor === 'cpu' && n * H > cpuMaxItems) continue;
    const options = { imageSize: [640, 480] as [number, number], hypotheses: H, timesteps: [12, 0], executor };
    let t0 = performance.now();
    await model.lift(kp, options); // warm-up: pipeline compilation, first-use JIT
    const first = performance.now() - t0;
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      t0 = performance.now();
      await model.lift(kp, options);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log(`${executor.padEnd(8)} ${String(n).padStart(6)} ${String(H).padStart(2)} ${first.toFixed(1).padStart(12)}   ` +
      `${times[0].toFixed(1)} / ${median.toFixed(1)} / ${times[times.length - 1].toFixed(1)}`.padEnd(30) +
      `${(n / median * 1000).toFixed(1).padStart(10)}`);
  }
}
model.dispose();
