import type { Executor } from './executor.js';
import { liftReference } from './model/reference-sampler.js';
import type { ModelWeights } from './model/weights.js';
import { encodeSequenceRef } from './temporal/sequence-batch.js';
import { isTemporal } from './temporal/temporal-model.js';

/** The CPU reference as an executor: ground truth for tests, fallback without an adapter. */
export function cpuExecutor(model: ModelWeights): Executor {
  return {
    name: 'cpu',
    run: async (batch, settings) => {
      if (batch.sequence && !isTemporal(model)) throw new Error('a sequence batch needs a temporal model');
      const cond =
        batch.sequence && isTemporal(model)
          ? encodeSequenceRef(model.encoders[batch.sequence.mode], batch.sequence, batch.poses)
          : undefined;
      return liftReference(model, batch, settings, cond);
    },
    dispose: () => {},
  };
}
