import { InputError } from './errors.js';
import type { ModelConfig } from './model/config.js';
import { ddimCoefficients, validateTimesteps, type DdimCoefficients } from './model/diffusion.js';
import type { InitMode } from './kernels/gmm-init.ref.js';
import { seedKey } from './kernels/philox.ref.js';

export type ExecutorName = 'fused' | 'fused-f16' | 'per-op' | 'cpu';
export const EXECUTOR_NAMES: readonly ExecutorName[] = ['fused', 'fused-f16', 'per-op', 'cpu'];

export interface LiftOptions {
  imageSize: readonly [number, number];
  /** Keypoint layout of the input (default 'h36m17'). */
  format?: string;
  confidence?: Float32Array;
  gmm?: import('./pose/input.js').GmmInput;
  /** Hypotheses per pose (default 1, at most MAX_HYPOTHESES). */
  hypotheses?: number;
  /** Strictly decreasing DDIM steps (default [12, 0], the released configuration). */
  timesteps?: readonly number[];
  /** DDIM stochasticity (default 0). */
  eta?: number;
  /** 'paper' samples and noises the start (default); 'official' reproduces the released code. */
  init?: InitMode;
  /** Integer seed in [0, 2^53) (default 0): same seed, same adapter -> bit-identical output. */
  seed?: number;
  /** Also return every hypothesis. */
  samples?: boolean;
  /**
   * Index of this call's first pose in a longer sequence (default 0): the random draws of a pose
   * depend on (seed, index, hypothesis, joint), so a caller lifting a sequence in pieces passes
   * each piece's start and gets exactly the output of one call on the whole sequence.
   */
  poseOffset?: number;
  /**
   * Which implementation runs the lift (default 'fused' on a GPU, 'cpu' without one). 'fused-f16'
   * stores weights and activations in f16 (packed two per u32, any adapter); arithmetic stays f32.
   */
  executor?: ExecutorName;
  /** Stops a long lift between chunks (and a call still waiting for the GPU): it rejects with code 'ABORTED'. */
  signal?: AbortSignal;
}

export const MAX_HYPOTHESES = 64;

/** The validated, resolved settings of one lift call shared by every executor. */
export interface RunSettings {
  hypotheses: number;
  timesteps: number[];
  coefficients: DdimCoefficients[];
  /** sqrt(abar) and sqrt(1 - abar) at the first timestep, for the initial noising. */
  init: InitMode;
  key: [number, number];
  wantSamples: boolean;
  /** Added to every pose index of the RNG counters. */
  poseOffset: number;
  /** Checked between chunks. */
  signal?: AbortSignal;
}

export function resolveSettings(o: LiftOptions, config: ModelConfig): RunSettings {
  const hypotheses = o.hypotheses ?? 1;
  if (!Number.isInteger(hypotheses) || hypotheses < 1 || hypotheses > MAX_HYPOTHESES) {
    throw new InputError(`hypotheses must be an integer in [1, ${MAX_HYPOTHESES}], got ${hypotheses}`);
  }
  const timesteps = [...(o.timesteps ?? [12, 0])];
  validateTimesteps(timesteps, config.diffusion);
  const eta = o.eta ?? 0;
  if (!Number.isFinite(eta) || eta < 0) throw new InputError(`eta must be a finite number >= 0, got ${eta}`);
  const init = o.init ?? 'paper';
  if (init !== 'paper' && init !== 'official') throw new InputError(`init must be "paper" or "official", got ${JSON.stringify(init)}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) throw new InputError(`seed must be an integer in [0, 2^53), got ${seed}`);
  const poseOffset = o.poseOffset ?? 0;
  if (!Number.isInteger(poseOffset) || poseOffset < 0 || poseOffset > 0xffffffff) throw new InputError(`poseOffset must be an integer in [0, 2^32), got ${poseOffset}`);
  const signal = o.signal;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new InputError('signal must be an AbortSignal');
  }
  return {
    hypotheses, timesteps, init, poseOffset, signal,
    coefficients: ddimCoefficients(timesteps, eta, config.diffusion),
    key: seedKey(seed),
    wantSamples: o.samples ?? false,
  };
}
