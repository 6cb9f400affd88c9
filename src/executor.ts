import type { Aggregated } from './kernels/aggregate.ref.js';
import type { RunSettings } from './lift-options.js';
import type { PreparedBatch } from './pose/input.js';

/** One way of running a whole lift: the CPU reference, the per-op GPU path, later the fused path. */
export interface Executor {
  readonly name: string;
  /** Poses per GPU submission for these settings; larger batches are split, never truncated. */
  run(batch: PreparedBatch, settings: RunSettings): Promise<Aggregated>;
  dispose(): void;
}
