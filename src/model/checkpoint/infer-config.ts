import type { NetworkConfig } from '../config.js';
import { expectedTensors } from '../network-params.js';
import { CheckpointError } from './checkpoint-error.js';
import type { NetworkRole, StateDict } from './state-dict.js';

/** Coordinates in and out of each network (model-spec §3): the lifter maps uv to xyz, the denoiser (u, v, x, y, z) to noise. */
export const ROLE_COORDS: Record<NetworkRole, { coordsIn: number; coordsOut: number; withTemb: boolean }> = {
  lifter: { coordsIn: 2, coordsOut: 3, withTemb: false },
  denoiser: { coordsIn: 5, coordsOut: 5, withTemb: true },
};

/** The largest networks a weights file may describe (src/model/config.ts). */
const MAX_HIDDEN = 4096;
const MAX_LAYERS = 64;

/** The released lifters carry a step-embedding block they never use (model-spec §3). */
export const UNUSED_LIFTER_TENSOR = /^temb\.dense\.[01]\.(weight|bias)$/;

function shapeOf(sd: StateDict, name: string, rank: number, what: string): readonly number[] {
  const t = sd.get(name);
  if (!t) throw new CheckpointError(`${what}: no "${name}" tensor: not a DiffPose GCN checkpoint`);
  if (t.shape.length !== rank)
    throw new CheckpointError(`${what}: "${name}" has shape [${t.shape}], expected ${rank} dimensions`);
  return t.shape;
}

function layerCount(sd: StateDict, what: string): number {
  const indices = new Set<number>();
  for (const name of sd.keys()) {
    const m = /^(?:atten_layers|gconv_layers)\.(\d+)\./.exec(name);
    if (m) indices.add(Number(m[1]));
  }
  const layers = indices.size;
  for (let l = 0; l < layers; l++) {
    if (!indices.has(l))
      throw new CheckpointError(
        `${what}: layer indices are not 0..${layers - 1} (found ${[...indices].sort((a, b) => a - b).join(', ')})`,
      );
  }
  if (layers === 0) throw new CheckpointError(`${what}: no atten_layers.* / gconv_layers.* tensors`);
  return layers;
}

/**
 * Reads a network's shape from its tensors: hidden size and coordinates from the input and
 * output ChebConvs, layers from the layer indices. Heads leave no trace in any shape (the
 * attention projections are d x d whatever the split), so they are given. Then every tensor
 * is checked against the shapes that config implies.
 */
export function inferNetworkConfig(sd: StateDict, role: NetworkRole, heads: number, what: string): NetworkConfig {
  const [, , coordsIn, hidden] = shapeOf(sd, 'gconv_input.weight', 4, what);
  const [, , , coordsOut] = shapeOf(sd, 'gconv_output.weight', 4, what);
  const want = ROLE_COORDS[role];
  if (coordsIn !== want.coordsIn || coordsOut !== want.coordsOut) {
    const other: NetworkRole = role === 'lifter' ? 'denoiser' : 'lifter';
    const looksLikeOther = coordsIn === ROLE_COORDS[other].coordsIn && coordsOut === ROLE_COORDS[other].coordsOut;
    throw new CheckpointError(
      `${what}: a ${role} maps ${want.coordsIn} -> ${want.coordsOut} coordinates, this network maps ${coordsIn} -> ${coordsOut}` +
        (looksLikeOther ? ` (it looks like the ${other}: are the checkpoints swapped?)` : ''),
    );
  }
  // The engine's limits (parseModelConfig): checked before any tensor is read, so forged shapes
  // cannot make the converter build a network no weights file may hold.
  if (hidden < 2 || hidden > MAX_HIDDEN || hidden % 2 !== 0)
    throw new CheckpointError(`${what}: hidden size ${hidden} is not an even number in [2, ${MAX_HIDDEN}]`);
  if (hidden % heads !== 0)
    throw new CheckpointError(`${what}: hidden size ${hidden} is not divisible by ${heads} heads (pass --heads)`);
  const layers = layerCount(sd, what);
  if (layers > MAX_LAYERS)
    throw new CheckpointError(`${what}: ${layers} layers, more than the ${MAX_LAYERS} the engine supports`);
  const config: NetworkConfig = { hidden, layers, heads, coordsIn, coordsOut };
  checkTensors(sd, config, role, what);
  return config;
}

function checkTensors(sd: StateDict, config: NetworkConfig, role: NetworkRole, what: string): void {
  const expected = expectedTensors(config, ROLE_COORDS[role].withTemb);
  const missing = [...expected.keys()].filter((n) => !sd.has(n));
  if (missing.length)
    throw new CheckpointError(
      `${what}: missing ${missing.length} tensor(s) for a ${role} of ${config.layers} layers, hidden ${config.hidden}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
    );
  const unexpected = [...sd.keys()].filter(
    (n) => !expected.has(n) && !(role === 'lifter' && UNUSED_LIFTER_TENSOR.test(n)),
  );
  if (unexpected.length)
    throw new CheckpointError(
      `${what}: unexpected tensor(s) for a ${role}: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`,
    );
  for (const [name, shape] of expected) {
    const t = sd.get(name)!;
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new CheckpointError(
        `${what}: "${name}" has shape [${t.shape}], but a ${role} of hidden ${config.hidden} needs [${shape}]`,
      );
    }
  }
}
