import { DiffPose } from '../../src/diffpose.js';
import { NoAdapterError } from '../../src/errors.js';
import type { ExecutorName, LiftOptions } from '../../src/lift-options.js';
import type { BenchCase, BenchInput } from '../cases.js';
import {
  timeCalls,
  type Check,
  type Contestant,
  type MeasurePlan,
  type Measurement,
  type Skipped,
} from '../contestant.js';
import { BufferTally } from '../gpu-memory.js';

const ENGINE_TOLERANCE = 1e-4;
/** f16 storage keeps ~3 digits: test/gpu/fused-f16.test.ts bounds its distance from f32 by 5 mm. */
const F16_TOLERANCE = 5e-3;

function liftOptions(c: BenchCase, input: BenchInput, executor: ExecutorName): LiftOptions {
  return {
    imageSize: input.imageSize,
    confidence: input.confidence,
    hypotheses: c.hypotheses,
    timesteps: c.timesteps,
    executor,
  };
}

/** Keypoints as liftBuffers reads them: [n, 17, 3] x, y pixels and confidence. */
function packed(input: BenchInput, n: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n * 51);
  for (let i = 0; i < n * 17; i++)
    out.set([input.keypoints[2 * i], input.keypoints[2 * i + 1], input.confidence[i]], 3 * i);
  return out;
}

/**
 * The engine's executors on one model and one device. The fused path also reports: dispatches
 * and submits per call, GPU time per dispatch (a second, profiled model on the same device), the
 * time of the GPU-resident call (liftBuffers: no upload, no readback) and the GPU buffer memory
 * its plan holds.
 */
export class EngineContestant implements Contestant {
  readonly version: string;
  readonly tolerance: number;
  private memory?: number;

  constructor(
    readonly name: string,
    private readonly executor: ExecutorName,
    private readonly model: DiffPose,
    private readonly tally: BufferTally | undefined,
    private readonly profiled: DiffPose | undefined,
    version: string,
  ) {
    this.version = version;
    this.tolerance = executor === 'fused-f16' ? F16_TOLERANCE : ENGINE_TOLERANCE;
  }

  get device(): string {
    return this.executor === 'cpu' ? 'CPU, 1 thread (TypeScript)' : this.model.adapter;
  }

  async measure(c: BenchCase, input: BenchInput, check: Check, plan: MeasurePlan): Promise<Measurement> {
    const options = liftOptions(c, input, this.executor);
    const liveBefore = this.tally?.live ?? 0;
    const m = await timeCalls(async () => (await this.model.lift(input.keypoints, options)).poses, check, plan);
    if (this.executor === 'cpu') return m;
    // The executor's buffers are made at its first call and kept: what the first call added.
    if (this.memory === undefined && this.tally) this.memory = this.tally.live - liveBefore;
    const call = this.model.lastCall(this.executor)!;
    const details: Record<string, unknown> = {
      dispatches: call.dispatches,
      submits: call.submits,
      gpuBufferBytes: this.memory,
    };
    if (this.executor !== 'per-op') Object.assign(details, await this.fusedDetails(c, input, options));
    return { ...m, details };
  }

  private async fusedDetails(c: BenchCase, input: BenchInput, options: LiftOptions): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    if (this.profiled) {
      // Twice: a pipeline's first dispatch on a CPU driver also pays for loading its code.
      await this.profiled.lift(input.keypoints, options);
      await this.profiled.lift(input.keypoints, options);
      const times = this.profiled.lastCall(this.executor)?.gpuTimes;
      if (times) out.gpuMsPerDispatch = Object.fromEntries(times.map((t) => [t.label.replace('fused ', ''), t.ms]));
    }
    // liftBuffers runs the f32 fused path only.
    if (this.executor === 'fused' && c.poses * c.hypotheses <= this.model.maxBatch)
      out.residentMs = await this.residentMs(c, input);
    return out;
  }

  /** Median time of liftBuffers on data already on the GPU, until the GPU is done. */
  private async residentMs(c: BenchCase, input: BenchInput): Promise<number> {
    const { device } = this.model.gpu!;
    const n = c.poses;
    const make = (label: string, floats: number) =>
      device.createBuffer({
        label: `bench: ${label}`,
        size: floats * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
    const keypoints = make('keypoints', n * 51),
      poses = make('poses', n * 51),
      spread = make('spread', n * 17);
    try {
      device.queue.writeBuffer(keypoints, 0, packed(input, n));
      const request = {
        keypoints,
        poses,
        spread,
        count: n,
        imageSize: input.imageSize,
        hypotheses: c.hypotheses,
        timesteps: c.timesteps,
      };
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        await this.model.liftBuffers(request);
        await device.queue.onSubmittedWorkDone();
        times.push(performance.now() - t0);
      }
      return times.slice(1).sort((a, b) => a - b)[1];
    } finally {
      for (const b of [keypoints, poses, spread]) b.destroy();
    }
  }

  dispose(): void {}
}

/**
 * Loads the model once (and a profiled twin on its device) and makes the engine contestants;
 * without an adapter only the CPU reference runs and the GPU contestants say why they cannot.
 */
export async function engineContestants(
  weights: string | undefined,
  version: string,
): Promise<{ contestants: Array<EngineContestant | Skipped>; models: DiffPose[] }> {
  let model: DiffPose;
  try {
    model = await DiffPose.load({ weights });
  } catch (e) {
    if (!(e instanceof NoAdapterError)) throw e;
    model = await DiffPose.load({ weights, backend: 'cpu' });
    const skipped = ['engine fused f32', 'engine fused f16', 'engine per-op f32'].map((name) => ({
      name,
      skipped: `no WebGPU adapter (${e.message})`,
    }));
    return {
      contestants: [
        ...skipped,
        new EngineContestant('engine CPU reference', 'cpu', model, undefined, undefined, version),
      ],
      models: [model],
    };
  }
  const tally = model.gpu ? new BufferTally(model.gpu.device) : undefined;
  const profiled = model.gpu?.caps.timestampQuery
    ? await DiffPose.load({ weights, device: model.gpu.device, profile: true })
    : undefined;
  const contestants = [
    new EngineContestant('engine fused f32', 'fused', model, tally, profiled, version),
    new EngineContestant('engine fused f16', 'fused-f16', model, tally, profiled, version),
    new EngineContestant('engine per-op f32', 'per-op', model, tally, undefined, version),
    new EngineContestant('engine CPU reference', 'cpu', model, undefined, undefined, version),
  ];
  return { contestants, models: [model, ...(profiled ? [profiled] : [])] };
}
