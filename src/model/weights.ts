import { WeightsError } from '../errors.js';
import { calibrationOf, type Calibration } from './calibration.js';
import { parseModelConfig, type ModelConfig } from './config.js';
import { networkParams, type NetworkParams } from './network-params.js';
import { programOf } from './network-program.js';
import { printable, quote } from './printable.js';
import { parseSafetensors } from './safetensors.js';

export const CONFIG_KEY = 'diffpose.config';

/** Everything a weights file holds, validated and laid out for the executors. */
export interface ModelWeights {
  config: ModelConfig;
  lifter: NetworkParams;
  denoiser: NetworkParams;
  metadata: Record<string, string>;
  /** Calibrated per-joint error radii (model/calibration.ts), when the file carries them. */
  calibration?: Calibration;
}

/** Parses a weights file (docs/formats.md); throws WeightsError naming the field or tensor at fault. */
export function parseModelWeights(bytes: Uint8Array): ModelWeights {
  const file = parseSafetensors(bytes);
  const json = file.metadata[CONFIG_KEY];
  if (json === undefined) throw new WeightsError(`weights file has no "__metadata__.${CONFIG_KEY}" (model config)`);
  const config = checkedConfig(json);
  for (const name of file.tensors.keys()) {
    if (!name.startsWith('lifter.') && !name.startsWith('denoiser.')) {
      throw new WeightsError(`unexpected tensor ${quote(name)}: names must start with "lifter." or "denoiser."`);
    }
    // Later messages quote names as they are: a name that would break the CLI's one-line error stops here.
    if (printable(name) !== name)
      throw new WeightsError(`tensor ${quote(name)}: names must not hold control characters`);
  }
  const lifter = networkParams(file.tensors, 'lifter.', config.lifter, false);
  const denoiser = networkParams(file.tensors, 'denoiser.', config.denoiser, true);
  // Every executor reads the networks' op programs: built and checked here, once, at load.
  programOf(lifter);
  programOf(denoiser);
  return {
    config,
    lifter,
    denoiser,
    metadata: file.metadata,
    calibration: calibrationOf(file.metadata),
  };
}

const MAX_CONFIG_DEPTH = 16;
const MAX_MESSAGE = 500;

/** How deeply arrays and objects nest in a JSON text (strings skipped); stops counting past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length && max <= limit; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * parseModelConfig on text from a hostile file: a config nested deep enough to overflow the
 * stack when a message prints one of its fields is refused first, and messages (which quote
 * field values and JSON parser snippets) are cut and made one printable line.
 */
function checkedConfig(json: string): ModelConfig {
  if (jsonDepth(json, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH)
    throw new WeightsError(`metadata "${CONFIG_KEY}" nests deeper than ${MAX_CONFIG_DEPTH} levels: not a model config`);
  try {
    return parseModelConfig(json);
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    const m = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE)}...` : e.message;
    throw new WeightsError(printable(m));
  }
}
