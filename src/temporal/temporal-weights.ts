import { CALIBRATION_KEY, CAUSAL_CALIBRATION_KEY, calibrationOf, type Calibration } from '../model/calibration.js';
import { WeightsError } from '../errors.js';
import {
  LIFTER_INPUTS,
  parseCommonConfig,
  parseNetworkConfig,
  type DiffusionConfig,
  type NetworkConfig,
} from '../model/config.js';
import { checkedTensor, networkParams, type NetworkParams } from '../model/network-params.js';
import { quote } from '../model/printable.js';
import { parseSafetensors, type Tensor } from '../model/safetensors.js';
import { programOf, registerFilmProgram } from '../model/network-program.js';
import { CONFIG_KEY } from '../model/weights.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import {
  ENCODER_INPUTS,
  ENCODER_MODES,
  parseEncoderConfig,
  type EncoderConfig,
  type EncoderMode,
} from './encoder-config.js';

/** A valid 1-D convolution (PyTorch Conv1d layout [out, in, taps]) or, with one tap, a linear. */
export interface ConvParams {
  cout: number;
  cin: number;
  taps: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** One context encoder's tensors (docs/temporal-model.md §3). */
export interface EncoderParams {
  config: EncoderConfig;
  input: ConvParams;
  blocks: Array<{ dilation: number; conv: ConvParams; point: ConvParams }>;
  /** Linear heads as one-tap convolutions: [51, C] and [L * 2 * d, C]. */
  pose: ConvParams;
  film: ConvParams;
  /** v2 (§12): the start average [window, 17] and the output average [fuse.window, 17], per tap and joint. */
  average?: Float32Array;
  fuse?: Float32Array;
}

export interface TemporalConfig {
  lifter: NetworkConfig;
  denoiser: NetworkConfig;
  diffusion: DiffusionConfig;
  temporal: Record<EncoderMode, EncoderConfig>;
}

/**
 * A temporal weights file: a lifter, one FiLM-conditioned denoiser and the offline and causal
 * encoders, whose pose heads correct the lifter's start pose (start = lifter + delta).
 */
export interface TemporalWeights {
  config: TemporalConfig;
  lifter: NetworkParams;
  denoiser: NetworkParams;
  encoders: Record<EncoderMode, EncoderParams>;
  metadata: Record<string, string>;
  /**
   * radius90 of sequence lifts (model/calibration.ts; `diffpose calibrate --temporal`), when the
   * file carries one: the offline window's, and the causal window's unless it has its own.
   */
  calibration?: Calibration;
  /** The causal window's own calibration (CAUSAL_CALIBRATION_KEY), when the file carries one. */
  causalCalibration?: Calibration;
}

function encoderParams(tensors: Map<string, Tensor>, mode: EncoderMode, cfg: EncoderConfig): EncoderParams {
  const prefix = `context.${mode}.`;
  const C = cfg.channels;
  const expected = new Map<string, number[]>([
    ['input.weight', [C, cfg.inputs, 3]],
    ['input.bias', [C]],
    ['pose.weight', [ENCODER_INPUTS, C]],
    ['pose.bias', [ENCODER_INPUTS]],
    ['film.weight', [cfg.filmLayers * 2 * cfg.filmWidth, C]],
    ['film.bias', [cfg.filmLayers * 2 * cfg.filmWidth]],
  ]);
  if (cfg.fuse) expected.set('average', [cfg.window, NUM_JOINTS]).set('fuse', [cfg.fuse.window, NUM_JOINTS]);
  cfg.dilations.forEach((_, i) => {
    expected.set(`blocks.${i}.conv.weight`, [C, C, 3]).set(`blocks.${i}.conv.bias`, [C]);
    expected.set(`blocks.${i}.point.weight`, [C, C, 1]).set(`blocks.${i}.point.bias`, [C]);
  });
  for (const name of tensors.keys()) {
    if (name.startsWith(prefix) && !expected.has(name.slice(prefix.length))) {
      throw new WeightsError(
        `unexpected tensor ${quote(name)} for a ${mode} encoder (${cfg.fuse ? 'v2' : 'v1'}) with ${cfg.dilations.length} blocks`,
      );
    }
  }
  const get = (local: string): Float32Array => checkedTensor(tensors, prefix + local, expected.get(local)!);
  const conv = (name: string): ConvParams => {
    const shape = expected.get(`${name}.weight`)!;
    return {
      cout: shape[0],
      cin: shape[1],
      taps: shape[2] ?? 1,
      weight: get(`${name}.weight`),
      bias: get(`${name}.bias`),
    };
  };
  return {
    config: cfg,
    input: conv('input'),
    blocks: cfg.dilations.map((dilation, i) => ({
      dilation,
      conv: conv(`blocks.${i}.conv`),
      point: conv(`blocks.${i}.point`),
    })),
    pose: conv('pose'),
    film: conv('film'),
    ...(cfg.fuse ? { average: get('average'), fuse: get('fuse') } : {}),
  };
}

/** Parses a temporal weights file (docs/temporal-model.md §6); a WeightsError names the field or tensor at fault. */
export function parseTemporalWeights(bytes: Uint8Array): TemporalWeights {
  const file = parseSafetensors(bytes);
  const json = file.metadata[CONFIG_KEY];
  if (json === undefined) throw new WeightsError(`weights file has no "__metadata__.${CONFIG_KEY}" (model config)`);
  const { o, diffusion } = parseCommonConfig(json);
  if (o.lifter === undefined)
    throw new WeightsError(
      'config field "lifter" is missing: a temporal file carries the lifter its encoders correct (docs/temporal-model.md §6)',
    );
  const lifter = parseNetworkConfig(o.lifter, 'lifter', LIFTER_INPUTS, 3);
  const denoiser = parseNetworkConfig(o.denoiser, 'denoiser', 5, 5);
  const t = o.temporal;
  if (typeof t !== 'object' || t === null)
    throw new WeightsError('config field "temporal" is missing: not a temporal model file');
  const temporal = {
    offline: parseEncoderConfig((t as Record<string, unknown>).offline, 'offline', denoiser),
    causal: parseEncoderConfig((t as Record<string, unknown>).causal, 'causal', denoiser),
  };
  for (const name of file.tensors.keys()) {
    if (
      !name.startsWith('lifter.') &&
      !name.startsWith('denoiser.') &&
      !ENCODER_MODES.some((m) => name.startsWith(`context.${m}.`))
    ) {
      throw new WeightsError(
        `unexpected tensor ${quote(name)}: names must start with "lifter.", "denoiser.", "context.offline." or "context.causal."`,
      );
    }
  }
  const lifterParams = networkParams(file.tensors, 'lifter.', lifter, false);
  const denoiserParams = networkParams(file.tensors, 'denoiser.', denoiser, true);
  // Built and checked at load, as the frame model's are; the denoiser's with its FiLM ops.
  programOf(lifterParams);
  registerFilmProgram(denoiserParams);
  const calibration = calibrationOf(file.metadata);
  const causalCalibration = calibrationOf(file.metadata, CAUSAL_CALIBRATION_KEY);
  if (causalCalibration && !calibration)
    throw new WeightsError(
      `metadata ${quote(CAUSAL_CALIBRATION_KEY)} needs ${quote(CALIBRATION_KEY)} too (the offline window's calibration)`,
    );
  return {
    config: { lifter, denoiser, diffusion, temporal },
    lifter: lifterParams,
    denoiser: denoiserParams,
    encoders: {
      offline: encoderParams(file.tensors, 'offline', temporal.offline),
      causal: encoderParams(file.tensors, 'causal', temporal.causal),
    },
    metadata: file.metadata,
    calibration,
    causalCalibration,
  };
}
