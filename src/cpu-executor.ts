import type { Executor } from './executor.js';
import { liftReference } from './model/reference-sampler.js';
import type { ModelWeights } from './model/weights.js';

/** The CPU reference as an executor: ground truth for tests, fallback without an adapter. */
export function cpuExecutor(model: ModelWeights): Executor {
  return {
    name: 'cpu',
    run: async (batch, settings) => liftReference(model, batch, settings),
    dispose: () => {},
  };
}
