// Long runs: many lifts of mixed sizes and executors on one model, and many load/dispose cycles,
// printing the process's resident memory and the live GPU buffer bytes at the start and the end.
// A script (`npm run soak`), not a test: growth is reported, judged by whoever reads it. The
// small version in test/api/soak.test.ts checks the exact part (GPU buffer bytes) with assertions.
import { DiffPose } from '../src/diffpose.js';
import type { ExecutorName } from '../src/lift-options.js';
import { acquireGpu } from '../src/gpu/context.js';
import { BufferTally } from './gpu-memory.js';

export interface SoakSample {
  step: number;
  rssMB: number;
  gpuBufferBytes: number;
}

/** RSS after a full garbage collection when Node runs with --expose-gc (the script does). */
export function rssMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/** A call's size and settings from its index: every executor, 1 to 40 poses, 1 to 8 hypotheses. */
export function mixedCall(
  i: number,
  executors: readonly ExecutorName[],
): { poses: number; executor: ExecutorName; hypotheses: number; samples: boolean } {
  const sizes = [1, 3, 17, 1, 2, 40, 1, 5, 2, 1, 4, 9];
  return {
    poses: sizes[i % sizes.length],
    executor: executors[i % executors.length],
    hypotheses: [1, 2, 1, 4, 1, 8, 3][i % 7],
    samples: i % 3 === 0,
  };
}

function keypoints(poses: number, seed: number): Float32Array {
  const base = [
    320, 240, 300, 240, 300, 320, 300, 400, 340, 240, 340, 320, 340, 400, 320, 190, 320, 140, 320, 120, 320, 95, 350,
    145, 370, 190, 380, 235, 290, 145, 270, 190, 260, 235,
  ];
  const out = new Float32Array(poses * 34);
  for (let i = 0; i < out.length; i++) out[i] = base[i % 34] + Math.sin(seed * 13.1 + i * 0.7) * 8;
  return out;
}

/**
 * `count` lifts on one model on `device` (a tallied device of the caller's); samples taken every
 * `every` calls. `weights` as DiffPose.load takes them.
 */
export async function soakLifts(
  device: GPUDevice,
  tally: BufferTally,
  count: number,
  options: {
    weights?: Uint8Array | string;
    every?: number;
    executors?: readonly ExecutorName[];
    log?: (s: SoakSample) => void;
  } = {},
): Promise<SoakSample[]> {
  const executors = options.executors ?? ['fused', 'fused-f16', 'per-op', 'fused', 'cpu'];
  const model = await DiffPose.load({ weights: options.weights, device });
  const samples: SoakSample[] = [];
  const every = options.every ?? Math.max(1, Math.floor(count / 10));
  try {
    for (let i = 0; i < count; i++) {
      const c = mixedCall(i, executors);
      // The CPU reference is slow: it gets single poses.
      const poses = c.executor === 'cpu' ? 1 : c.poses;
      const r = await model.lift(keypoints(poses, i), {
        imageSize: [640, 480],
        hypotheses: c.hypotheses,
        samples: c.samples,
        executor: c.executor,
        seed: i,
      });
      if (!r.poses.every(Number.isFinite)) throw new Error(`lift ${i}: non-finite output`);
      if ((i + 1) % every === 0 || i === 0) {
        const s = { step: i + 1, rssMB: rssMB(), gpuBufferBytes: tally.live };
        samples.push(s);
        options.log?.(s);
      }
    }
  } finally {
    model.dispose();
  }
  return samples;
}

/**
 * `count` load / lift / dispose cycles: even cycles on an engine-owned device (a new device each
 * time), odd ones on the caller's tallied `device`.
 */
export async function soakCycles(
  device: GPUDevice,
  tally: BufferTally,
  count: number,
  options: {
    weights?: Uint8Array | string;
    every?: number;
    log?: (s: SoakSample) => void;
    devices?: 'both' | 'owned' | 'adopted';
  } = {},
): Promise<SoakSample[]> {
  const samples: SoakSample[] = [];
  const every = options.every ?? Math.max(1, Math.floor(count / 10));
  const kp = keypoints(2, 1);
  for (let i = 0; i < count; i++) {
    const adopted = options.devices === 'adopted' || (options.devices !== 'owned' && i % 2 === 1);
    const model = await DiffPose.load({ weights: options.weights, device: adopted ? device : undefined });
    await model.lift(kp, { imageSize: [640, 480], hypotheses: 2 });
    model.dispose();
    if ((i + 1) % every === 0 || i === 0) {
      // dispose() frees after any call in flight: let it run before sampling.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const s = { step: i + 1, rssMB: rssMB(), gpuBufferBytes: tally.live };
      samples.push(s);
      options.log?.(s);
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      lifts: { type: 'string', default: '10000' },
      cycles: { type: 'string', default: '200' },
      weights: { type: 'string' },
    },
  });
  const gpu = await acquireGpu();
  const tally = new BufferTally(gpu.device);
  const line = (what: string) => (s: SoakSample) =>
    console.log(
      `${what} ${String(s.step).padStart(6)}: RSS ${s.rssMB.toFixed(1)} MB, live GPU buffers ${(s.gpuBufferBytes / 2 ** 20).toFixed(2)} MB`,
    );
  console.log(`adapter: ${JSON.stringify(gpu.adapter)}`);
  const startRss = rssMB();
  console.log(`start: RSS ${startRss.toFixed(1)} MB, live GPU buffers ${tally.live} bytes`);
  const t0 = Date.now();
  const lifts = await soakLifts(gpu.device, tally, Number(values.lifts), {
    weights: values.weights,
    log: line('lift'),
  });
  console.log(`${values.lifts} lifts in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const t1 = Date.now();
  const cycles = await soakCycles(gpu.device, tally, Number(values.cycles), {
    weights: values.weights,
    log: line('load/dispose cycle'),
  });
  console.log(`${values.cycles} load/dispose cycles in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  const endRss = rssMB();
  console.log(
    `end: RSS ${endRss.toFixed(1)} MB (${endRss - startRss >= 0 ? '+' : ''}${(endRss - startRss).toFixed(1)}), live GPU buffers ${tally.live} bytes`,
  );
  const firstLift = lifts[1] ?? lifts[0],
    lastLift = lifts[lifts.length - 1];
  console.log(
    `lifts: RSS ${firstLift.rssMB.toFixed(1)} -> ${lastLift.rssMB.toFixed(1)} MB after warm-up (call ${firstLift.step} -> ${lastLift.step})`,
  );
  const firstCycle = cycles[1] ?? cycles[0],
    lastCycle = cycles[cycles.length - 1];
  console.log(
    `cycles: RSS ${firstCycle.rssMB.toFixed(1)} -> ${lastCycle.rssMB.toFixed(1)} MB (cycle ${firstCycle.step} -> ${lastCycle.step})`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
