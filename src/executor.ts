import type { Aggregated } from './model/aggregate.js';
import type { RunSettings } from './lift-options.js';
import type { PassTime } from './gpu/pass-timer.js';
import type { PreparedBatch } from './pose/input.js';
import type { BufferLift } from './schedule/fused-executor.js';

/** What the last call of an executor did on the GPU. */
export interface CallStats {
  dispatches: number;
  submits: number;
  /** GPU time per dispatch, summed over the call's chunks; only when profiling with 'timestamp-query'. */
  gpuTimes?: PassTime[];
}

/**
 * One way of running a whole lift, prepared once at load (a plan): the CPU reference, the per-op
 * GPU path, the fused path in f32 or f16 storage.
 */
export interface Executor {
  readonly name: string;
  /** Lifts a prepared batch; a batch larger than one GPU submission runs in chunks of the plan, never truncated. */
  run(batch: PreparedBatch, settings: RunSettings): Promise<Aggregated>;
  /** The GPU-resident lift from and into a caller's buffers, optionally into its encoder (the fused plans). */
  runBuffers?(
    req: BufferLift,
    settings: RunSettings,
    sequence?: import('./temporal/sequence-batch.js').SequenceInfo,
    fitted?: import('./schedule/fused-executor.js').FittedInput,
  ): Promise<void>;
  /** Dispatches and submits of the last call (GPU executors). */
  lastCall?(): CallStats;
  dispose(): void;
}
