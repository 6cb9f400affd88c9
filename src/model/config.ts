import { WeightsError } from '../errors.js';

/** Shape of one graph network (GCNpose lifter or GCNdiff denoiser). */
export interface NetworkConfig {
  hidden: number;
  layers: number;
  heads: number;
  coordsIn: number;
  coordsOut: number;
}

export interface DiffusionConfig {
  betaStart: number;
  betaEnd: number;
  numSteps: number;
  /**
   * [17] per-joint factors on the paper init's xyz noise std (the lifter's sigma or
   * sqrt(1 - a_K)); absent: all 1. `diffpose calibrate` fits them so that each joint's mean
   * spread follows its mean error (docs/uncertainty.md).
   */
  xyzNoiseGain?: number[];
}

/** The largest xyz noise gain a config may give (a fitted gain is near 1). */
export const MAX_XYZ_NOISE_GAIN = 100;

export interface ModelConfig {
  format: 1;
  joints: 17;
  skeleton: 'h36m17';
  lifter: NetworkConfig;
  denoiser: NetworkConfig;
  diffusion: DiffusionConfig;
}

/** The released configuration (model-spec §3, §5). */
export const PAPER_CONFIG: ModelConfig = {
  format: 1,
  joints: 17,
  skeleton: 'h36m17',
  lifter: { hidden: 96, layers: 5, heads: 4, coordsIn: 2, coordsOut: 3 },
  denoiser: { hidden: 96, layers: 5, heads: 4, coordsIn: 5, coordsOut: 5 },
  diffusion: { betaStart: 1e-4, betaEnd: 1e-3, numSteps: 51 },
};

function positiveInt(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new WeightsError(`config field "${field}" must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The lifter's input channels: (u, v) as released, or (u, v, confidence) (docs/temporal-model.md
 * §13: a hidden joint then reads as hidden, not as a real joint wherever the detector left it).
 */
export const LIFTER_INPUTS = [2, 3] as const;

/**
 * The lifter's output channels: xyz as released, or (xyz, log sigma): its own estimate of each
 * joint's error, the paper init's xyz noise std (docs/uncertainty.md).
 */
export const LIFTER_OUTPUTS = [3, 4] as const;

export function parseNetworkConfig(
  v: unknown,
  field: string,
  coordsIn: number | readonly number[],
  coordsOut: number | readonly number[],
): NetworkConfig {
  if (typeof v !== 'object' || v === null)
    throw new WeightsError(`config field "${field}" is missing or not an object`);
  const o = v as Record<string, unknown>;
  const cfg: NetworkConfig = {
    hidden: positiveInt(o.hidden, `${field}.hidden`, 4096),
    layers: positiveInt(o.layers, `${field}.layers`, 64),
    heads: positiveInt(o.heads, `${field}.heads`, 64),
    coordsIn: positiveInt(o.coordsIn, `${field}.coordsIn`, 16),
    coordsOut: positiveInt(o.coordsOut, `${field}.coordsOut`, 16),
  };
  const inputs = typeof coordsIn === 'number' ? [coordsIn] : coordsIn;
  const outputs = typeof coordsOut === 'number' ? [coordsOut] : coordsOut;
  if (!inputs.includes(cfg.coordsIn) || !outputs.includes(cfg.coordsOut)) {
    throw new WeightsError(
      `config field "${field}" must map ${inputs.join(' or ')} -> ${outputs.join(' or ')} coordinates, got ${cfg.coordsIn} -> ${cfg.coordsOut}`,
    );
  }
  if (cfg.hidden % cfg.heads !== 0)
    throw new WeightsError(`config field "${field}.hidden" (${cfg.hidden}) must be divisible by heads (${cfg.heads})`);
  if (cfg.hidden % 2 !== 0)
    throw new WeightsError(`config field "${field}.hidden" must be even (sin/cos step embedding)`);
  return cfg;
}

/**
 * The fields every model file shares (format, joints, skeleton, diffusion) from the parsed
 * `diffpose.config` object; the networks are the caller's to read.
 */
export function parseCommonConfig(json: string): { o: Record<string, unknown>; diffusion: DiffusionConfig } {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new WeightsError(`metadata "diffpose.config" is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw new WeightsError('metadata "diffpose.config" must be a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== 1) throw new WeightsError(`config field "format" must be 1, got ${JSON.stringify(o.format)}`);
  if (o.joints !== 17) throw new WeightsError(`config field "joints" must be 17, got ${JSON.stringify(o.joints)}`);
  if (o.skeleton !== 'h36m17')
    throw new WeightsError(`config field "skeleton" must be "h36m17", got ${JSON.stringify(o.skeleton)}`);
  const d = o.diffusion as Record<string, unknown> | undefined;
  if (typeof d !== 'object' || d === null) throw new WeightsError('config field "diffusion" is missing');
  const diffusion: DiffusionConfig = {
    betaStart: Number(d.betaStart),
    betaEnd: Number(d.betaEnd),
    numSteps: positiveInt(d.numSteps, 'diffusion.numSteps', 10000),
  };
  if (!(diffusion.betaStart > 0 && diffusion.betaEnd >= diffusion.betaStart && diffusion.betaEnd < 1)) {
    throw new WeightsError(
      `config field "diffusion" needs 0 < betaStart <= betaEnd < 1, got ${diffusion.betaStart}, ${diffusion.betaEnd}`,
    );
  }
  const gain = d.xyzNoiseGain;
  if (gain !== undefined) {
    if (
      !Array.isArray(gain) ||
      gain.length !== 17 ||
      !gain.every((g) => typeof g === 'number' && g > 0 && g <= MAX_XYZ_NOISE_GAIN)
    )
      throw new WeightsError(
        `config field "diffusion.xyzNoiseGain" must be 17 numbers in (0, ${MAX_XYZ_NOISE_GAIN}], got ${JSON.stringify(gain).slice(0, 200)}`,
      );
    diffusion.xyzNoiseGain = gain as number[];
  }
  return { o, diffusion };
}

/** Parses and checks the `diffpose.config` metadata JSON of a weights file. */
export function parseModelConfig(json: string): ModelConfig {
  const { o, diffusion } = parseCommonConfig(json);
  return {
    format: 1,
    joints: 17,
    skeleton: 'h36m17',
    lifter: parseNetworkConfig(o.lifter, 'lifter', LIFTER_INPUTS, LIFTER_OUTPUTS),
    denoiser: parseNetworkConfig(o.denoiser, 'denoiser', 5, 5),
    diffusion,
  };
}
