import { InputError } from './errors.js';
import type { ModelConfig } from './model/config.js';
import { ddimCoefficients, validateTimesteps, type DdimCoefficients } from './model/diffusion.js';
import type { InitMode } from './model/gmm-init.js';
import { seedKey } from './model/philox.js';
import type { FormatName } from './pose/formats.js';

export type ExecutorName = 'fused' | 'fused-f16' | 'per-op' | 'cpu';
export const EXECUTOR_NAMES: readonly ExecutorName[] = ['fused', 'fused-f16', 'per-op', 'cpu'];

export interface LiftOptions {
  imageSize: readonly [number, number];
  /** Keypoint layout of the input (default 'h36m17'); docs/formats.md gives each joint order. */
  format?: FormatName;
  /** [N, K] in [0, 1], K keypoints of the format (absent: 1, or beside a `gmm` the confidence its widths imply, mixtureConfidence). */
  confidence?: Float32Array | readonly number[];
  /** Each joint's 2D as a Gaussian mixture (pixels, Human3.6M order): the paper init's start. */
  gmm?: import('./pose/input.js').GmmInput;
  /**
   * The input is heatmaps [N, K, height, width] of `format`'s keypoints (lift's first argument),
   * with each person's box: each joint's 2D start is the Gaussian mixture fitted to its heatmap
   * (fitHeatmaps; docs/formats.md "heatmaps"). Not with `gmm` or `confidence`.
   */
  heatmaps?: import('./pose/heatmaps.js').HeatmapOptions;
  /** Hypotheses per pose (default 1, at most MAX_HYPOTHESES). */
  hypotheses?: number;
  /** Strictly decreasing DDIM steps (default [12, 0], the released configuration). */
  timesteps?: readonly number[];
  /** DDIM stochasticity in [0, 1] (default 0: deterministic steps; 1: DDPM's noise). */
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
  /** Intrinsics in pixels for the root trajectory (default focal = max(width, height), the image centre). */
  camera?: import('./pose/root-trajectory.js').Intrinsics;
  /**
   * How the hypotheses become one pose: 'mean' (default) or 'reprojection' — per joint the
   * hypothesis whose joint reprojects nearest the input 2D (D3DP's joint-wise aggregation).
   */
  aggregate?: 'mean' | 'reprojection';
}

export const MAX_HYPOTHESES = 64;

/** The validated, resolved settings of one lift call shared by every executor. */
export interface RunSettings {
  hypotheses: number;
  timesteps: number[];
  coefficients: DdimCoefficients[];
  /** How the reverse process starts: 'paper' (sampled from the 2D mixture, noised to the first timestep) or 'official'. */
  init: InitMode;
  key: [number, number];
  wantSamples: boolean;
  /** Added to every pose index of the RNG counters. */
  poseOffset: number;
  /** Checked between chunks. */
  signal?: AbortSignal;
  /** The camera (uv units) the executors that can fit each pose's root with (the fused plans, in the aggregation dispatch). */
  camera?: import('./pose/root-trajectory.js').UvCamera;
  /** [17] the model's per-joint factors on the paper init's xyz noise std (config diffusion.xyzNoiseGain); absent: 1. */
  xyzNoiseGain?: Float32Array;
}

/** An AbortSignal or nothing (any object with its shape: other realms' signals too). */
export function checkSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (
    signal !== undefined &&
    !(
      typeof signal === 'object' &&
      signal !== null &&
      typeof (signal as AbortSignal).aborted === 'boolean' &&
      typeof (signal as AbortSignal).addEventListener === 'function'
    )
  ) {
    throw new InputError('signal must be an AbortSignal');
  }
}

/**
 * The pose offset of a chunk starting at pose `start` of a call: pose counters are u32, and the
 * kernels' (u32 sums) and the CPU reference's Philox (counters taken mod 2^32) wrap alike.
 */
export function chunkPoseOffset(s: Pick<RunSettings, 'poseOffset'>, start: number): number {
  return (s.poseOffset + start) % 2 ** 32;
}

export function resolveSettings(o: LiftOptions, config: ModelConfig): RunSettings {
  const hypotheses = o.hypotheses ?? 1;
  if (!Number.isInteger(hypotheses) || hypotheses < 1 || hypotheses > MAX_HYPOTHESES) {
    throw new InputError(`hypotheses must be an integer in [1, ${MAX_HYPOTHESES}], got ${hypotheses}`);
  }
  const timesteps = [...(o.timesteps ?? [12, 0])];
  validateTimesteps(timesteps, config.diffusion);
  const eta = o.eta ?? 0;
  // DDIM's range: above 1 the step's noise would exceed what the next timestep holds.
  if (!(typeof eta === 'number' && eta >= 0 && eta <= 1))
    throw new InputError(`eta must be a number in [0, 1], got ${eta}`);
  const init = o.init ?? 'paper';
  if (init !== 'paper' && init !== 'official')
    throw new InputError(`init must be "paper" or "official", got ${JSON.stringify(init)}`);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER)
    throw new InputError(`seed must be an integer in [0, 2^53), got ${seed}`);
  const poseOffset = o.poseOffset ?? 0;
  if (!Number.isInteger(poseOffset) || poseOffset < 0 || poseOffset > 0xffffffff)
    throw new InputError(`poseOffset must be an integer in [0, 2^32), got ${poseOffset}`);
  const signal = o.signal;
  checkSignal(signal);
  if (o.samples !== undefined && typeof o.samples !== 'boolean')
    throw new InputError(`samples must be true or false, got ${shown(o.samples)}`);
  return {
    hypotheses,
    timesteps,
    init,
    poseOffset,
    signal,
    coefficients: ddimCoefficients(timesteps, eta, config.diffusion),
    key: seedKey(seed),
    wantSamples: o.samples ?? false,
    ...(config.diffusion.xyzNoiseGain ? { xyzNoiseGain: Float32Array.from(config.diffusion.xyzNoiseGain) } : {}),
  };
}

/** Every key LiftOptions has: anything else is a caller's typo, refused rather than ignored. */
const LIFT_OPTION_KEYS: ReadonlySet<string> = new Set<keyof LiftOptions>([
  'imageSize',
  'format',
  'confidence',
  'gmm',
  'heatmaps',
  'hypotheses',
  'timesteps',
  'eta',
  'init',
  'seed',
  'samples',
  'poseOffset',
  'executor',
  'signal',
  'camera',
  'aggregate',
]);

/** Refuses keys of `options` outside `allowed` (typos such as `hypothesis` would otherwise be ignored). */
export function checkOptionKeys(options: object, allowed: ReadonlySet<string>, what: string): void {
  const unknown = Object.keys(options).filter((k) => !allowed.has(k));
  if (unknown.length) {
    throw new InputError(
      `${what}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${[...allowed].join(', ')})`,
    );
  }
}

export function checkLiftOptionKeys(options: object): void {
  checkOptionKeys(options, LIFT_OPTION_KEYS, 'lift options');
}

/** A caller's value in a message: its JSON, or what String makes of what JSON cannot hold (a BigInt, a symbol). */
function shown(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return typeof v === 'bigint' ? `${v}n` : String(v);
  }
}

/** A Float32Array as given, or one made from a plain array of numbers; anything else is an InputError. */
export function float32Input(value: unknown, name: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (Array.isArray(value)) {
    const bad = value.findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new InputError(`${name}[${bad}] is ${shown(value[bad])}: numbers expected`);
    return Float32Array.from(value as number[]);
  }
  throw new InputError(`${name} must be a Float32Array or an array of numbers`);
}

/** The arrays back to back in one Float32Array. */
export function concatFloats(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
