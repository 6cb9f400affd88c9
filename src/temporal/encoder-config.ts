import { WeightsError } from '../errors.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

/** Per frame and joint (u, v, confidence): channel 3 j + k of the encoder's input. */
export const ENCODER_INPUTS = 3 * NUM_JOINTS;
/** v2 (docs/temporal-model.md §12): (u, v, c) and the lifter's root-centred xyz, channel 51 + 3 j + k. */
export const ENCODER_INPUTS_V2 = 2 * ENCODER_INPUTS;

/** The most output-average taps the engine's aggregation holds (radius 7). */
export const FUSE_MAX_TAPS = 15;

/** v2's output average over the denoised poses of `window` frames, `pad` before and after the frame. */
export interface FuseConfig {
  window: number;
  pad: [number, number];
}

/** One context encoder's shape (docs/temporal-model.md §3, §6). */
export interface EncoderConfig {
  channels: number;
  dilations: number[];
  causal: boolean;
  /** Frames one output sees: 1 + 2 (1 + sum of dilations). */
  window: number;
  /** Frames before and after the output frame in its window. */
  pad: [number, number];
  inputs: number;
  filmLayers: number;
  filmWidth: number;
  /** Per-frame confidence-weighted centring and scaling of the 2D before the encoder. */
  normalise: boolean;
  /**
   * v2 (§12; inputs 102, start "lifter-average", output "fused"): the start pose is a learned
   * average of the window's lifter outputs plus delta, the output an average of the denoised
   * poses. Absent in a v1 file (start = the frame's lifter output + delta, output = the denoised pose).
   */
  fuse?: FuseConfig;
}

export type EncoderMode = 'offline' | 'causal';
export const ENCODER_MODES: readonly EncoderMode[] = ['offline', 'causal'];

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new WeightsError(`config field "${field}" must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean')
    throw new WeightsError(`config field "${field}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Checks one encoder's config against the rules that tie its fields together, and against the
 * denoiser it conditions (FiLM layers and width = the denoiser's layers and hidden width).
 */
export function parseEncoderConfig(
  v: unknown,
  mode: EncoderMode,
  denoiser: { layers: number; hidden: number },
): EncoderConfig {
  const field = `temporal.${mode}`;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new WeightsError(`config field "${field}" is missing or not an object`);
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.dilations) || o.dilations.length < 1 || o.dilations.length > 8) {
    throw new WeightsError(`config field "${field}.dilations" must be a list of 1 to 8 integers`);
  }
  const dilations = o.dilations.map((d, i) => int(d, `${field}.dilations[${i}]`, 1, 256));
  const cfg: EncoderConfig = {
    channels: int(o.channels, `${field}.channels`, 1, 1024),
    dilations,
    causal: bool(o.causal, `${field}.causal`),
    window: int(o.window, `${field}.window`, 3, 4096),
    pad: [0, 0],
    inputs: int(o.inputs, `${field}.inputs`, 1, 4096),
    filmLayers: int(o.filmLayers, `${field}.filmLayers`, 1, 64),
    filmWidth: int(o.filmWidth, `${field}.filmWidth`, 1, 4096),
    // Files written by train/ before its config said true/false carry 1/0.
    normalise:
      o.normalise === undefined
        ? false
        : bool(o.normalise === 1 ? true : o.normalise === 0 ? false : o.normalise, `${field}.normalise`),
  };
  if (cfg.causal !== (mode === 'causal'))
    throw new WeightsError(`config field "${field}.causal" must be ${mode === 'causal'}`);
  const window = 1 + 2 * (1 + dilations.reduce((a, b) => a + b, 0));
  if (cfg.window !== window)
    throw new WeightsError(`config field "${field}.window" is ${cfg.window}, but its dilations give ${window}`);
  const pad: [number, number] = cfg.causal ? [window - 1, 0] : [(window - 1) / 2, (window - 1) / 2];
  if (!Array.isArray(o.pad) || o.pad.length !== 2 || o.pad[0] !== pad[0] || o.pad[1] !== pad[1]) {
    throw new WeightsError(
      `config field "${field}.pad" must be [${pad}] for a ${mode} window of ${window}, got ${JSON.stringify(o.pad)}`,
    );
  }
  cfg.pad = pad;
  if (cfg.inputs === ENCODER_INPUTS) {
    for (const key of ['start', 'output', 'fuse'])
      if (o[key] !== undefined)
        throw new WeightsError(
          `config field "${field}.${key}" belongs to a v2 encoder (inputs ${ENCODER_INPUTS_V2}), but its inputs are ${ENCODER_INPUTS}`,
        );
  } else if (cfg.inputs === ENCODER_INPUTS_V2) {
    cfg.fuse = parseV2Fields(o, field, cfg.causal);
  } else {
    throw new WeightsError(
      `config field "${field}.inputs" must be ${ENCODER_INPUTS} (17 joints x u, v, confidence) or ${ENCODER_INPUTS_V2} (v2: and the lifter's xyz), got ${cfg.inputs}`,
    );
  }
  if (cfg.filmLayers !== denoiser.layers || cfg.filmWidth !== denoiser.hidden) {
    throw new WeightsError(
      `config field "${field}": FiLM for ${cfg.filmLayers} layers of width ${cfg.filmWidth}, but the denoiser has ${denoiser.layers} layers of width ${denoiser.hidden}`,
    );
  }
  return cfg;
}

/** A v2 encoder's start, output and fuse fields (docs/temporal-model.md §12.2); anything else is refused. */
function parseV2Fields(o: Record<string, unknown>, field: string, causal: boolean): FuseConfig {
  if (o.start !== 'lifter-average')
    throw new WeightsError(
      `config field "${field}.start" must be "lifter-average" for inputs ${ENCODER_INPUTS_V2}, got ${JSON.stringify(o.start)}`,
    );
  if (o.output !== 'fused')
    throw new WeightsError(
      `config field "${field}.output" must be "fused" for inputs ${ENCODER_INPUTS_V2}, got ${JSON.stringify(o.output)}`,
    );
  const f = o.fuse;
  if (typeof f !== 'object' || f === null || Array.isArray(f))
    throw new WeightsError(`config field "${field}.fuse" is missing or not an object`);
  const fo = f as Record<string, unknown>;
  const window = int(fo.window, `${field}.fuse.window`, 1, FUSE_MAX_TAPS);
  if (window % 2 !== 1) throw new WeightsError(`config field "${field}.fuse.window" must be odd, got ${window}`);
  const r = (window - 1) / 2;
  const pad: [number, number] = causal ? [2 * r, 0] : [r, r];
  if (!Array.isArray(fo.pad) || fo.pad.length !== 2 || fo.pad[0] !== pad[0] || fo.pad[1] !== pad[1]) {
    throw new WeightsError(
      `config field "${field}.fuse.pad" must be [${pad}] for a ${causal ? 'causal' : 'offline'} output average of ${window}, got ${JSON.stringify(fo.pad)}`,
    );
  }
  return { window, pad };
}
