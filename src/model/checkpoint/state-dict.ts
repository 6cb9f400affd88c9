import { CheckpointError } from './checkpoint-error.js';
import { describePy, typeName, type PyValue } from './pickle-values.js';
import { TorchTensor } from './torch-tensor.js';

export type NetworkRole = 'lifter' | 'denoiser';

/** A network's parameters by their state-dict name, without the DataParallel `module.` prefix. */
export type StateDict = Map<string, TorchTensor>;

export interface StateDictChoice {
  /** Take the EMA shadow weights where the checkpoint has them (released layout: element 4). */
  ema: boolean;
}

/** Not a type guard on purpose: a dict that is not a state dict is still a dict. */
function isStateDict(v: PyValue): boolean {
  return v instanceof Map && v.size > 0 && [...v.values()].every((t) => t instanceof TorchTensor);
}

function strip(d: Map<PyValue, PyValue>, what: string): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of d) {
    if (typeof k !== 'string')
      throw new CheckpointError(`${what} has a ${typeName(k)} key; state-dict keys are strings`);
    const name = k.startsWith('module.') ? k.slice('module.'.length) : k;
    if (out.has(name)) throw new CheckpointError(`${what} has "${name}" both with and without the "module." prefix`);
    out.set(name, t as TorchTensor);
  }
  return out;
}

/** The EMA shadow holds parameters only; anything it lacks keeps the model's value (as EMAHelper.ema does). */
function withShadow(model: StateDict, shadow: PyValue, what: string): StateDict {
  if (!isStateDict(shadow)) throw new CheckpointError(`--ema: ${what} has no EMA weights (found ${typeName(shadow)})`);
  const merged = new Map(model);
  for (const [name, t] of strip(shadow as Map<PyValue, PyValue>, `${what} EMA`)) {
    if (!merged.has(name))
      throw new CheckpointError(`--ema: the EMA weights of ${what} have "${name}", which the model does not`);
    merged.set(name, t);
  }
  return merged;
}

function describeTop(v: PyValue): string {
  // Keys may be bigints, tuples or the dict itself: describePy never throws or recurses (JSON.stringify did both).
  if (v instanceof Map) return `a dict with keys ${[...v.keys()].slice(0, 8).map(describePy).join(', ')}`;
  return `a ${typeName(v)}`;
}

/**
 * Finds one network's weights in a checkpoint, in any of the layouts met in practice:
 * - released DiffPose: `[state_dict, optimizer, epoch, step, ema_shadow]` (keys `module.`...);
 * - `{'state_dict': ...}` (with an optional `'ema'` alongside);
 * - a bare state dict;
 * - this project's training checkpoints, `{'lifter': ..., 'denoiser': ..., 'ema_lifter': ...}`.
 * The optimizer state, counters and anything else are never looked at.
 */
export function findStateDict(top: PyValue, role: NetworkRole, what: string, choice: StateDictChoice): StateDict {
  if (Array.isArray(top)) {
    if (top.length === 0 || !isStateDict(top[0]))
      throw new CheckpointError(
        `${what}: the first element of the checkpoint's ${typeName(top)} is ${typeName(top[0] ?? null)}, not a state dict (released layout: [state_dict, optimizer, epoch, step, ema])`,
      );
    const model = strip(top[0] as Map<PyValue, PyValue>, what);
    return choice.ema ? withShadow(model, top[4] ?? null, what) : model;
  }
  if (top instanceof Map) {
    if (isStateDict(top)) {
      if (choice.ema) throw new CheckpointError(`--ema: ${what} is a bare state dict without EMA weights`);
      return strip(top, what);
    }
    for (const key of ['state_dict', role]) {
      const inner = top.get(key);
      if (inner === undefined) continue;
      if (!isStateDict(inner))
        throw new CheckpointError(`${what}: "${key}" holds ${typeName(inner)}, not a state dict of tensors`);
      const model = strip(inner as Map<PyValue, PyValue>, what);
      if (!choice.ema) return model;
      const shadow = key === 'state_dict' ? top.get('ema') : top.get(`ema_${role}`);
      return withShadow(model, shadow ?? null, what);
    }
  }
  throw new CheckpointError(`${what}: cannot find the ${role}'s state dict in ${describeTop(top)}`);
}
