import type { Executor } from './executor.js';
import { liftReference } from './model/reference-sampler.js';
import type { ModelWeights } from './model/weights.js';
import { encodeSequenceRef } from './temporal/sequence-batch.js';
import { isTemporal } from './temporal/temporal-model.js';
import { outputAverageRef } from './temporal/output-average.js';

/** The CPU reference as an executor: ground truth for tests, fallback without an adapter. */
export function cpuExecutor(model: ModelWeights): Executor {
  return {
    name: 'cpu',
    run: async (batch, settings) => {
      if (batch.sequence && !isTemporal(model)) throw new Error('a sequence batch needs a temporal model');
      if (!batch.sequence || !isTemporal(model)) return liftReference(model, batch, settings);
      const cond = encodeSequenceRef(model, batch.sequence, batch.poses);
      const r = await liftReference(model, batch, settings, cond);
      // v2: the output is the average of the neighbours' hypothesis means (spread and samples the frame's own).
      const encoder = model.encoders[batch.sequence.mode];
      return encoder.fuse ? { ...r, mean: outputAverageRef(encoder, batch.sequence, r.mean, batch.poses) } : r;
    },
    dispose: () => {},
  };
}
