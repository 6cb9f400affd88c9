import { WeightsError } from '../errors.js';
import { parseModelConfig, type ModelConfig } from './config.js';
import { networkParams, type NetworkParams } from './network-params.js';
import { parseSafetensors } from './safetensors.js';

export const CONFIG_KEY = 'diffpose.config';

/** Everything a weights file holds, validated and laid out for the executors. */
export interface ModelWeights {
  config: ModelConfig;
  lifter: NetworkParams;
  denoiser: NetworkParams;
  metadata: Record<string, string>;
}

/** Parses a weights file (docs/formats.md); throws WeightsError naming the field or tensor at fault. */
export function parseModelWeights(bytes: Uint8Array): ModelWeights {
  const file = parseSafetensors(bytes);
  const json = file.metadata[CONFIG_KEY];
  if (json === undefined) throw new WeightsError(`weights file has no "__metadata__.${CONFIG_KEY}" (model config)`);
  const config = parseModelConfig(json);
  for (const name of file.tensors.keys()) {
    if (!name.startsWith('lifter.') && !name.startsWith('denoiser.')) {
      throw new WeightsError(`unexpected tensor "${name}": names must start with "lifter." or "denoiser."`);
    }
  }
  return {
    config,
    lifter: networkParams(file.tensors, 'lifter.', config.lifter, false),
    denoiser: networkParams(file.tensors, 'denoiser.', config.denoiser, true),
    metadata: file.metadata,
  };
}
