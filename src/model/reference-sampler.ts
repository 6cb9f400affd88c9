import { throwIfAborted } from '../errors.js';
import { aggregateRef, type Aggregated } from './aggregate.js';
import { ddimStepRef } from './ddim-step.js';
import { gmmInitRef } from './gmm-init.js';
import { splitLifterOutput, type LifterOutput } from './lifter-output.js';
import { chunkPoseOffset, type RunSettings } from '../lift-options.js';
import type { PreparedBatch } from '../pose/input.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { lifterInput } from './lifter-input.js';
import { runNetworkRef } from './reference-network.js';
import type { ModelWeights } from './weights.js';

/**
 * The two networks as functions, so the sampling around them (init, DDIM, aggregation) is the
 * reference's whatever runs the networks: the CPU reference here, other runtimes in benchmarks.
 */
export interface SamplerNetworks {
  /** Poses per chunk: bounds the memory of the intermediate activations. */
  chunk: number;
  /** uv [n, 17, 2] and confidence [n, 17] (absent: all 1) -> the lifter's output (splitLifterOutput). */
  lifter(uv: Float32Array, n: number, confidence?: Float32Array): LifterOutput | Promise<LifterOutput>;
  /** x [n, 17, 5] at timestep t -> eps [n, 17, 5]; `film` [n, layers, 2, d] for a FiLM-conditioned denoiser. */
  denoiser(x: Float32Array, n: number, t: number, film?: Float32Array): Float32Array | Promise<Float32Array>;
}

/**
 * Per-pose context of a temporal lift (docs/temporal-model.md §3-5): the start pose correction
 * added to the root-centred lifter output, and the FiLM of every denoiser block, shared by the
 * pose's hypotheses and steps.
 */
export interface Conditioning {
  /** [N, 17, 3] root-centred, metres. */
  delta: Float32Array;
  /** [N, layers * 2 * d]. */
  film: Float32Array;
  filmStride: number;
  /** [N, 17, 3] v2 (docs/temporal-model.md §12): the start pose itself, in place of the root-centred lifter output + delta. */
  start?: Float32Array;
}

export function referenceNetworks(model: ModelWeights): SamplerNetworks {
  return {
    chunk: 32,
    lifter: (uv, n, confidence) => {
      const { coordsIn, coordsOut } = model.lifter.config;
      return splitLifterOutput(runNetworkRef(model.lifter, lifterInput(coordsIn, uv, confidence, n), n), n, coordsOut);
    },
    denoiser: (x, n, t, film) => runNetworkRef(model.denoiser, x, n, t, film),
  };
}

/** The whole lift (model-spec §5) on the CPU, chunk by chunk; the ground truth of the GPU paths. */
export function liftReference(
  model: ModelWeights,
  batch: PreparedBatch,
  s: RunSettings,
  cond?: Conditioning,
): Promise<Aggregated> {
  return liftWithNetworks(referenceNetworks(model), batch, s, cond);
}

/** The lift with the reference's sampling around the given networks. */
export async function liftWithNetworks(
  nets: SamplerNetworks,
  batch: PreparedBatch,
  s: RunSettings,
  cond?: Conditioning,
): Promise<Aggregated> {
  const J = NUM_JOINTS,
    H = s.hypotheses,
    K = batch.components;
  const mean = new Float32Array(batch.poses * J * 3);
  const spread = new Float32Array(batch.poses * J);
  const samples = new Float32Array(batch.poses * H * J * 3);
  let sigma: Float32Array | undefined;
  // An already aborted call does no work, as on the GPU executors.
  throwIfAborted(s.signal);
  for (let start = 0; start < batch.poses; start += nets.chunk) {
    if (s.signal && start > 0) {
      // The reference computes synchronously: let an abort (a timer, an event) be delivered.
      await new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate : setTimeout)(resolve));
      throwIfAborted(s.signal);
    }
    const n = Math.min(nets.chunk, batch.poses - start);
    const uv = batch.uv.subarray(start * J * 2, (start + n) * J * 2);
    const gmm = batch.gmm.subarray(start * J * K * 5, (start + n) * J * K * 5);
    const chunkCond = cond && {
      delta: cond.delta.subarray(start * J * 3, (start + n) * J * 3),
      film: cond.film.subarray(start * cond.filmStride, (start + n) * cond.filmStride),
      filmStride: cond.filmStride,
      start: cond.start?.subarray(start * J * 3, (start + n) * J * 3),
    };
    const confidence = batch.confidence?.subarray(start * J, (start + n) * J);
    const r = await liftChunk(nets, n, uv, confidence, K, gmm, chunkPoseOffset(s, start), s, chunkCond);
    mean.set(r.mean, start * J * 3);
    spread.set(r.spread, start * J);
    samples.set(r.samples, start * H * J * 3);
    if (r.sigma) (sigma ??= new Float32Array(batch.poses * J)).set(r.sigma, start * J);
  }
  return { mean, spread, samples, sigma };
}

async function liftChunk(
  nets: SamplerNetworks,
  poses: number,
  uv: Float32Array,
  confidence: Float32Array | undefined,
  components: number,
  gmm: Float32Array,
  poseOffset: number,
  s: RunSettings,
  cond?: Conditioning,
): Promise<Aggregated> {
  const lifted = cond?.start ? { xyz: Float32Array.from(cond.start) } : await nets.lifter(uv, poses, confidence);
  const lifterXyz = lifted.xyz;
  let film: Float32Array | undefined;
  if (cond) {
    if (!cond.start) for (let i = 0; i < lifterXyz.length; i++) lifterXyz[i] += cond.delta[i];
    // One FiLM row per item (pose-major, hypotheses of a pose adjacent, as gmmInitRef orders them).
    film = new Float32Array(poses * s.hypotheses * cond.filmStride);
    for (let p = 0; p < poses; p++) {
      const row = cond.film.subarray(p * cond.filmStride, (p + 1) * cond.filmStride);
      for (let h = 0; h < s.hypotheses; h++) film.set(row, (p * s.hypotheses + h) * cond.filmStride);
    }
  }
  const first = s.coefficients[0];
  let x = gmmInitRef({
    poses,
    hypotheses: s.hypotheses,
    components,
    gmm,
    lifterXyz,
    mode: s.init,
    sqrtA: first.sqrtA,
    sqrtOneMinusA: first.sqrtOneMinusA,
    xyzStd: lifted.sigma,
    xyzGain: s.xyzNoiseGain,
    key: s.key,
    poseOffset,
  });
  for (const [stepIndex, coef] of s.coefficients.entries()) {
    const eps = await nets.denoiser(x, poses * s.hypotheses, coef.t, film);
    x = ddimStepRef(x, eps, { poses, hypotheses: s.hypotheses, coef, stepIndex, key: s.key, poseOffset });
  }
  return { ...aggregateRef(x, poses, s.hypotheses), sigma: lifted.sigma };
}
