/**
 * The adapter's peak f32 arithmetic rate, measured with bench/fma-peak.wgsl, so benchmarks can
 * report their numbers as a fraction of what the device can do rather than as bare times.
 */
import type { GpuContext } from '../src/gpu/context.js';
import { withGpuErrors } from '../src/gpu/errors-scope.js';
import {
  FMA_PEAK,
  FMA_PEAK_DEFAULTS,
  FMA_PEAK_LANES,
  FMA_PEAK_STEPS,
  bindFmaPeak,
  type FmaPeakParams,
} from './fma-peak.js';
import {
  getKernelPipeline,
  packParams,
  paramsByteSize,
  recordKernel,
  type BoundKernel,
} from '../src/kernels/kernel.js';
import { createRunBuffer, writeRun, type RunBuffer } from '../src/kernels/run.js';
import { submittedWorkWait, type SubmittedWorkWait } from '../src/gpu/submitted-work-wait.js';

export interface PeakGflops {
  /** Best rate over the timed dispatches, 2 flops per FMA. */
  gflops: number;
  /** Invocations of the timed dispatch. */
  invocations: number;
  fmasPerInvocation: number;
  /**
   * Wall time of the best dispatch, submit to onSubmittedWorkDone, waited for as the engine waits
   * for its own work (src/gpu/submitted-work-wait.ts: on a CPU adapter in Node, asleep for most
   * of it, so that the adapter has every core).
   */
  ms: number;
}

export interface PeakOptions {
  /** Rough total time to spend, calibration included (default 2). */
  seconds?: number;
}

const TIMED_DISPATCHES = 3;
// Untimed dispatches of the final size, enough for the wait's estimate to come down from the
// first (spun) one's time, which on a 2-core CPU adapter is up to twice the work's.
const WARM_UPS = 4;
// Enough invocations to fill every core of a large GPU several times over (an H100 holds ~270k
// resident threads); only 4 MiB of output.
const MAX_INVOCATIONS = 1 << 20;
const START_INVOCATIONS = 4096;
const START_ITERATIONS = 16;
const MAX_ITERATIONS = 1 << 30;
const MIN_LONG_ITERATIONS = 256;

interface Setup {
  gpu: GpuContext;
  /** Bound once: the loop count is in the params buffer, the invocation count in the run slot. */
  bound: BoundKernel<FmaPeakParams>;
  params: GPUBuffer;
  run: RunBuffer;
  wait: SubmittedWorkWait;
}

/** One dispatch of `invocations` x `iterations`, timed from submit to completion. */
async function timeDispatch(s: Setup, invocations: number, iterations: number): Promise<number> {
  const { device } = s.gpu;
  const p: FmaPeakParams = { iterations, ...FMA_PEAK_DEFAULTS };
  device.queue.writeBuffer(s.params, 0, packParams(FMA_PEAK, p));
  writeRun(device.queue, s.run, 0, {
    batch: invocations,
    poses: invocations,
    hypotheses: 1,
    poseOffset: 0,
    key: [0, 0],
  });
  // The queue writes above are not part of the timed submit.
  await device.queue.onSubmittedWorkDone();
  const encoder = device.createCommandEncoder({ label: 'fma_peak bench' });
  const pass = encoder.beginComputePass({ label: 'fma_peak bench: pass' });
  const workgroups = recordKernel(pass, s.bound, s.run, 0);
  pass.end();
  const commands = encoder.finish();
  const t0 = performance.now();
  device.queue.submit([commands]);
  await s.wait.after({ key: `${invocations}x${iterations}`, workgroups }, () => device.queue.onSubmittedWorkDone());
  return performance.now() - t0;
}

/**
 * Peak GFLOP/s of `gpu`: grows the dispatch (loop count to 256 trips, invocations up to 2^20, then loop count)
 * until one takes about seconds / 9, then warms up and keeps the best of three timed dispatches.
 * Wall-clock timing includes submit latency, negligible at that dispatch length.
 */
export async function measurePeakGflops(gpu: GpuContext, options: PeakOptions = {}): Promise<PeakGflops> {
  const seconds = options.seconds ?? 2;
  if (!(seconds > 0 && Number.isFinite(seconds)))
    throw new RangeError(`seconds must be positive and finite, got ${seconds}`);
  // Calibration costs about two targets, then the warm-ups and the timed dispatches.
  const targetMs = (seconds * 1000) / (TIMED_DISPATCHES + WARM_UPS + 2);
  const { device } = gpu;
  const maxInvocations = Math.min(MAX_INVOCATIONS, Math.floor(device.limits.maxStorageBufferBindingSize / 4));
  return withGpuErrors(gpu, 'peak FLOP/s measurement', async () => {
    const kernel = await getKernelPipeline(gpu, FMA_PEAK);
    const made: GPUBuffer[] = [];
    try {
      const params = device.createBuffer({
        label: 'fma_peak bench: params',
        size: paramsByteSize(FMA_PEAK),
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      made.push(params);
      const sums = device.createBuffer({
        label: 'fma_peak bench: sums',
        size: maxInvocations * 4,
        usage: GPUBufferUsage.STORAGE,
      });
      made.push(sums);
      const run = createRunBuffer(device, 1, 'fma_peak bench: run');
      made.push(run.buffer);
      const bound = bindFmaPeak(
        kernel,
        { iterations: 0, ...FMA_PEAK_DEFAULTS },
        { params, sums },
        'fma_peak bench: bind group',
      );
      const s: Setup = { gpu, bound, params, run, wait: submittedWorkWait(gpu) };

      let invocations = Math.min(START_INVOCATIONS, maxInvocations);
      let iterations = START_ITERATIONS;
      // The first dispatch pays for the pipeline's first use: not a measurement.
      await timeDispatch(s, invocations, iterations);
      let ms = await timeDispatch(s, invocations, iterations);
      while (ms < targetMs / 2 && (invocations < maxInvocations || iterations < MAX_ITERATIONS)) {
        // At most 4x per step so that no calibration dispatch runs far past the target.
        const grow = Math.min(4, Math.max(2, targetMs / Math.max(ms, 1e-3)));
        // Loop trips first up to a few thousand FMAs per invocation, so that per-invocation
        // overhead does not count (a short --quick calibration measured 18 instead of 76 GFLOP/s
        // on lavapipe growing invocations first), then invocations to fill the device.
        if (iterations < MIN_LONG_ITERATIONS) iterations = Math.min(MIN_LONG_ITERATIONS, Math.round(iterations * grow));
        else if (invocations < maxInvocations) invocations = Math.min(maxInvocations, Math.round(invocations * grow));
        else iterations = Math.min(MAX_ITERATIONS, Math.round(iterations * grow));
        ms = await timeDispatch(s, invocations, iterations);
      }
      // The last step may have stopped anywhere in [target / 2, 2 target): the loop count's
      // cost is linear, so one proportional correction lands close to the target.
      iterations = Math.max(
        1,
        Math.min(MAX_ITERATIONS, Math.round(iterations * Math.min(2, targetMs / Math.max(ms, 1e-3)))),
      );

      for (let i = 0; i < WARM_UPS; i++) await timeDispatch(s, invocations, iterations);
      let best = Infinity;
      for (let i = 0; i < TIMED_DISPATCHES; i++) best = Math.min(best, await timeDispatch(s, invocations, iterations));

      const fmasPerInvocation = iterations * FMA_PEAK_STEPS * FMA_PEAK_LANES;
      return { gflops: (2 * invocations * fmasPerInvocation) / (best * 1e6), invocations, fmasPerInvocation, ms: best };
    } finally {
      for (const b of made) b.destroy();
    }
  });
}
