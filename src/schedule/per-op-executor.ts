import { DiffPoseError } from '../errors.js';
import type { Executor } from '../executor.js';
import type { GpuContext } from '../gpu/context.js';
import type { ModelWeights } from '../model/weights.js';

// Being written: one dispatch per layer per step, recorded once at plan time.
export async function createPerOpExecutor(_gpu: GpuContext, _model: ModelWeights, _maxBatch: number): Promise<Executor> {
  throw new DiffPoseError('NOT_READY', 'the per-op GPU executor is not built yet');
}
