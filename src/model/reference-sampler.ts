import { throwIfAborted } from '../errors.js';
import { aggregateRef, type Aggregated } from './aggregate.js';
import { ddimStepRef } from './ddim-step.js';
import { gmmInitRef } from './gmm-init.js';
import { rootCenterRef } from './root-center.js';
import type { RunSettings } from '../lift-options.js';
import type { PreparedBatch } from '../pose/input.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { runNetworkRef } from './reference-network.js';
import type { ModelWeights } from './weights.js';

/**
 * The two networks as functions, so the sampling around them (init, DDIM, aggregation) is the
 * reference's whatever runs the networks: the CPU reference here, other runtimes in benchmarks.
 */
export interface SamplerNetworks {
  /** Poses per chunk: bounds the memory of the intermediate activations. */
  chunk: number;
  /** uv [n, 17, 2] -> raw xyz [n, 17, 3]. */
  lifter(uv: Float32Array, n: number): Float32Array | Promise<Float32Array>;
  /** x [n, 17, 5] at timestep t -> eps [n, 17, 5]. */
  denoiser(x: Float32Array, n: number, t: number): Float32Array | Promise<Float32Array>;
}

export function referenceNetworks(model: ModelWeights): SamplerNetworks {
  return {
    chunk: 32,
    lifter: (uv, n) => runNetworkRef(model.lifter, uv, n),
    denoiser: (x, n, t) => runNetworkRef(model.denoiser, x, n, t),
  };
}

/** The whole lift (model-spec §5) on the CPU, chunk by chunk; the ground truth of the GPU paths. */
export function liftReference(model: ModelWeights, batch: PreparedBatch, s: RunSettings): Promise<Aggregated> {
  return liftWithNetworks(referenceNetworks(model), batch, s);
}

/** The lift with the reference's sampling around the given networks. */
export async function liftWithNetworks(nets: SamplerNetworks, batch: PreparedBatch, s: RunSettings): Promise<Aggregated> {
  const J = NUM_JOINTS, H = s.hypotheses, K = batch.components;
  const mean = new Float32Array(batch.poses * J * 3);
  const spread = new Float32Array(batch.poses * J);
  const samples = new Float32Array(batch.poses * H * J * 3);
  for (let start = 0; start < batch.poses; start += nets.chunk) {
    if (s.signal && start > 0) {
      // The reference computes synchronously: let an abort (a timer, an event) be delivered.
      await new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate : setTimeout)(resolve));
      throwIfAborted(s.signal);
    }
    const n = Math.min(nets.chunk, batch.poses - start);
    const uv = batch.uv.subarray(start * J * 2, (start + n) * J * 2);
    const gmm = batch.gmm.subarray(start * J * K * 5, (start + n) * J * K * 5);
    const r = await liftChunk(nets, n, uv, K, gmm, s.poseOffset + start, s);
    mean.set(r.mean, start * J * 3);
    spread.set(r.spread, start * J);
    samples.set(r.samples, start * H * J * 3);
  }
  return { mean, spread, samples };
}

async function liftChunk(nets: SamplerNetworks, poses: number, uv: Float32Array, components: number, gmm: Float32Array, poseOffset: number, s: RunSettings): Promise<Aggregated> {
  const lifted = await nets.lifter(uv, poses);
  const lifterXyz = rootCenterRef(lifted, poses, 3, 0);
  const first = s.coefficients[0];
  let x = gmmInitRef({
    poses, hypotheses: s.hypotheses, components, gmm, lifterXyz, mode: s.init,
    sqrtA: first.sqrtA, sqrtOneMinusA: first.sqrtOneMinusA, key: s.key, poseOffset,
  });
  for (const [stepIndex, coef] of s.coefficients.entries()) {
    const eps = await nets.denoiser(x, poses * s.hypotheses, coef.t);
    x = ddimStepRef(x, eps, { poses, hypotheses: s.hypotheses, coef, stepIndex, key: s.key, poseOffset });
  }
  return aggregateRef(x, poses, s.hypotheses);
}
