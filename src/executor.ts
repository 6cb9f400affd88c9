import type { Aggregated } from './model/aggregate.js';
import type { RunSettings } from './lift-options.js';
import type { PassTime } from './gpu/pass-timer.js';
import type { PreparedBatch } from './pose/input.js';

/** What the last call of an executor did on the GPU. */
export interface CallStats {
  dispatches: number;
  submits: number;
  /** GPU time per dispatch, summed over the call's chunks; only when profiling with 'timestamp-query'. */
  gpuTimes?: PassTime[];
}

/** One way of running a whole lift: the CPU reference, the per-op GPU path, later the fused path. */
export interface Executor {
  readonly name: string;
  /** Poses per GPU submission for these settings; larger batches are split, never truncated. */
  run(batch: PreparedBatch, settings: RunSettings): Promise<Aggregated>;
  /** Dispatches and submits of the last call (GPU executors). */
  lastCall?(): CallStats;
  dispose(): void;
}
