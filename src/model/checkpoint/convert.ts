import { PAPER_CONFIG, type ModelConfig, type NetworkConfig } from '../config.js';
import { expectedTensors } from '../network-params.js';
import { serializeSafetensors, type Tensor } from '../safetensors.js';
import { CONFIG_KEY, parseModelWeights } from '../weights.js';
import { CheckpointError } from './checkpoint-error.js';
import { ROLE_COORDS, UNUSED_LIFTER_TENSOR, inferNetworkConfig } from './infer-config.js';
import { findStateDict, type NetworkRole, type StateDict } from './state-dict.js';
import type { TorchStorage } from './torch-tensor.js';
import { readTorchCheckpoint } from './torch-checkpoint.js';

export interface CheckpointSource {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** How messages and the output's metadata name the file. */
  label: string;
}

export interface ConvertOptions {
  denoiser: CheckpointSource;
  /** Defaults to the denoiser's file (a checkpoint that holds both networks). */
  lifter?: CheckpointSource;
  /** Attention heads of both networks: shapes do not reveal them (default 4, the released value). */
  heads?: number;
  /** Heads of the lifter when they differ from the denoiser's. */
  lifterHeads?: number;
  /** Use the EMA shadow weights where the checkpoints have them. */
  ema?: boolean;
}

export interface ConvertResult {
  /** The engine's weights file (docs/formats.md). */
  bytes: Uint8Array;
  config: ModelConfig;
  /** Parameters per network. */
  parameters: Record<NetworkRole, number>;
  /** Checkpoint tensors left out of the output (the released lifter's unused step embedding). */
  dropped: string[];
}

const DEFAULT_HEADS = PAPER_CONFIG.denoiser.heads;

function convertNetwork(
  source: CheckpointSource,
  value: ReturnType<typeof readTorchCheckpoint>,
  role: NetworkRole,
  heads: number,
  ema: boolean,
  out: Map<string, Tensor>,
  dropped: string[],
): NetworkConfig {
  const what = `${source.label} (${role})`;
  const sd = findStateDict(value, role, what, { ema });
  const config = inferNetworkConfig(sd, role, heads, what);
  const expected = expectedTensors(config, ROLE_COORDS[role].withTemb);
  checkAliasing(sd, expected, what);
  for (const [name, shape] of expected) {
    let data: Float32Array;
    try {
      data = sd.get(name)!.toFloat32();
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e; // a bug, not a bad file: keep its type and stack
      throw new CheckpointError(`${what}: tensor "${name}": ${e.message}`);
    }
    out.set(`${role}.${name}`, { shape: [...shape], data });
  }
  for (const name of sd.keys())
    if (role === 'lifter' && UNUSED_LIFTER_TENSOR.test(name)) dropped.push(`lifter.${name}`);
  return config;
}

/**
 * The converted tensors may not hold more elements than the storages they view, each storage
 * counted once: a network's parameters never share elements, while a hostile file could point
 * every tensor of a wide network at one storage and make the copy many times the file's size.
 * (Each tensor also fits its own storage, which toFloat32 checks against the entry's real size.)
 */
function checkAliasing(sd: StateDict, expected: Map<string, number[]>, what: string): void {
  let viewed = 0;
  const storages = new Map<TorchStorage, number>();
  for (const name of expected.keys()) {
    const t = sd.get(name)!;
    viewed += t.numel;
    storages.set(t.storage, t.storage.numel);
  }
  const available = [...storages.values()].reduce((a, b) => a + b, 0);
  if (viewed > available) {
    throw new CheckpointError(
      `${what}: its tensors hold ${viewed} elements but view storages of only ${available}: tensors that share or repeat elements are not supported`,
    );
  }
}

/**
 * PyTorch DiffPose checkpoints (released layout, see model-spec §3) -> the engine's weights file.
 * The config is read from the tensor shapes; the result is re-parsed by the engine's own loader
 * before it is returned, so a file this produces always loads.
 */
export function convertCheckpoints(o: ConvertOptions): ConvertResult {
  const heads = o.heads ?? DEFAULT_HEADS;
  const lifterSource = o.lifter ?? o.denoiser;
  const denoiserValue = readTorchCheckpoint(o.denoiser.bytes);
  const lifterValue = o.lifter ? readTorchCheckpoint(o.lifter.bytes) : denoiserValue;
  const tensors = new Map<string, Tensor>();
  const dropped: string[] = [];
  const lifter = convertNetwork(
    lifterSource,
    lifterValue,
    'lifter',
    o.lifterHeads ?? heads,
    o.ema ?? false,
    tensors,
    dropped,
  );
  const denoiser = convertNetwork(o.denoiser, denoiserValue, 'denoiser', heads, o.ema ?? false, tensors, dropped);
  const config: ModelConfig = {
    format: 1,
    joints: 17,
    skeleton: 'h36m17',
    lifter,
    denoiser,
    diffusion: { ...PAPER_CONFIG.diffusion },
  };
  const weights = o.ema ? ' (EMA weights)' : '';
  const bytes = serializeSafetensors(tensors, {
    [CONFIG_KEY]: JSON.stringify(config),
    'diffpose.source': `diffpose convert: denoiser from ${o.denoiser.label}, lifter from ${lifterSource.label}${weights}`,
  });
  parseModelWeights(bytes);
  const count = (prefix: string) =>
    [...tensors].filter(([n]) => n.startsWith(prefix)).reduce((a, [, t]) => a + t.data.length, 0);
  return { bytes, config, parameters: { lifter: count('lifter.'), denoiser: count('denoiser.') }, dropped };
}
