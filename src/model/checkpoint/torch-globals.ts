import { quote } from '../printable.js';
import { CheckpointError } from './checkpoint-error.js';
import { PyCallable, PyMarker, typeName, type PyValue } from './pickle-values.js';
import { STORAGE_DTYPES, StorageType, TorchStorage, TorchTensor, type StorageTypeName } from './torch-tensor.js';

/**
 * The only Python globals a checkpoint may name. Each is re-implemented here for the few
 * argument forms `torch.save` produces; nothing is looked up by name at run time, so a file
 * naming `os.system` or `builtins.eval` is refused, not run.
 */

function int(v: PyValue, what: string): number {
  if (typeof v === 'bigint') throw new CheckpointError(`${what} ${v} is too large`);
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new CheckpointError(`${what} must be an int, got ${typeName(v)}`);
  return v;
}

function ints(v: PyValue, what: string): number[] {
  if (!Array.isArray(v)) throw new CheckpointError(`${what} must be a tuple of ints, got ${typeName(v)}`);
  return v.map((x, i) => int(x, `${what}[${i}]`));
}

function arity(name: string, args: readonly PyValue[], min: number, max: number): void {
  if (args.length < min || args.length > max)
    throw new CheckpointError(
      `${name} called with ${args.length} arguments (expected ${min === max ? min : `${min} to ${max}`})`,
    );
}

const REBUILD_FROM_TYPE = 'torch._tensor._rebuild_from_type_v2';

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(name: string, min: number, max: number) {
  return (args: readonly PyValue[]): PyValue => {
    arity(name, args, min, max);
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorage))
      throw new CheckpointError(`${name}: first argument is ${typeName(storage)}, not a storage`);
    return new TorchTensor(
      storage,
      int(offset, `${name} storage_offset`),
      ints(size, `${name} size`),
      ints(stride, `${name} stride`),
    );
  };
}

/** A Parameter is saved as its data tensor plus flags that inference does not need. */
function rebuildParameter(name: string, min: number, max: number) {
  return (args: readonly PyValue[]): PyValue => {
    arity(name, args, min, max);
    if (!(args[0] instanceof TorchTensor))
      throw new CheckpointError(`${name}: first argument is ${typeName(args[0])}, not a tensor`);
    return args[0];
  };
}

/**
 * torch._tensor._rebuild_from_type_v2(func, new_type, args, state): a Tensor subclass; the plain
 * tensor is kept. `func` may be this function again (nested subclasses): unwrapped in a loop,
 * since a recursive call per level let a pickle of 10^5 nested tuples overflow the stack.
 */
function rebuildFromType(args: readonly PyValue[]): PyValue {
  for (;;) {
    arity('_rebuild_from_type_v2', args, 4, 4);
    const [func, newType, inner] = args;
    if (!(newType instanceof PyMarker))
      throw new CheckpointError(`_rebuild_from_type_v2 with type ${typeName(newType)} is not allowed`);
    if (!(func instanceof PyCallable) || !Array.isArray(inner))
      throw new CheckpointError('_rebuild_from_type_v2 needs an allowed function and an argument tuple');
    if (func.qualifiedName !== REBUILD_FROM_TYPE) return func.call(inner);
    args = inner;
  }
}

function orderedDict(args: readonly PyValue[]): PyValue {
  arity('collections.OrderedDict', args, 0, 1);
  const d = new Map<PyValue, PyValue>();
  if (args.length === 1) {
    if (!Array.isArray(args[0]))
      throw new CheckpointError(`collections.OrderedDict of ${typeName(args[0])} is not supported`);
    for (const kv of args[0]) {
      if (!Array.isArray(kv) || kv.length !== 2)
        throw new CheckpointError('collections.OrderedDict items must be (key, value) pairs');
      d.set(kv[0], kv[1]);
    }
  }
  return d;
}

/** torch.device('cuda', 0) -> "cuda:0": only ever a location label here. */
function device(args: readonly PyValue[]): PyValue {
  arity('torch.device', args, 1, 2);
  if (typeof args[0] !== 'string') throw new CheckpointError('torch.device needs a string');
  return args.length === 2 && args[1] !== null ? `${args[0]}:${int(args[1], 'torch.device index')}` : args[0];
}

/** _codecs.encode(text, 'latin1'): how protocol 2 pickles a bytes object. */
function codecsEncode(args: readonly PyValue[]): PyValue {
  arity('_codecs.encode', args, 1, 2);
  const [text, encoding = 'utf-8'] = args;
  if (typeof text !== 'string' || typeof encoding !== 'string')
    throw new CheckpointError('_codecs.encode needs a string and an encoding name');
  if (/^(latin-?1|iso-?8859-?1)$/i.test(encoding)) return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
  if (/^utf-?8$/i.test(encoding)) return new TextEncoder().encode(text);
  throw new CheckpointError(`_codecs.encode with encoding ${quote(encoding, 40)} is not supported`);
}

function set(args: readonly PyValue[]): PyValue {
  arity('set', args, 0, 1);
  if (args.length === 1 && !Array.isArray(args[0]))
    throw new CheckpointError(`set of ${typeName(args[0])} is not supported`);
  return new Set(args.length ? (args[0] as PyValue[]) : []);
}

const CALLABLES: Record<string, (args: readonly PyValue[]) => PyValue> = {
  'collections.OrderedDict': orderedDict,
  'torch._utils._rebuild_tensor': rebuildTensor('_rebuild_tensor', 4, 4),
  'torch._utils._rebuild_tensor_v2': rebuildTensor('_rebuild_tensor_v2', 6, 7),
  'torch._utils._rebuild_parameter': rebuildParameter('_rebuild_parameter', 3, 3),
  'torch._utils._rebuild_parameter_with_state': rebuildParameter('_rebuild_parameter_with_state', 4, 4),
  [REBUILD_FROM_TYPE]: rebuildFromType,
  'torch.device': device,
  '_codecs.encode': codecsEncode,
  'builtins.set': set,
  '__builtin__.set': set,
};

/** Types that only appear as arguments (the `new_type` of _rebuild_from_type_v2). */
const MARKERS = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

/**
 * resolveGlobal for the pickle VM: the whitelist above, or a CheckpointError naming the global.
 * Own properties only: `name in STORAGE_DTYPES` also found Object.prototype members, so
 * `torch.__proto__` or `torch.constructor` resolved to a bogus storage type.
 */
export function resolveTorchGlobal(module: string, name: string): PyValue {
  const qualified = `${module}.${name}`;
  if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(name as StorageTypeName);
  if (Object.hasOwn(CALLABLES, qualified)) return new PyCallable(qualified, CALLABLES[qualified]);
  if (MARKERS.has(qualified)) return new PyMarker(qualified);
  throw new CheckpointError(
    `the checkpoint refers to the Python global ${quote(qualified, 100)}, which is not allowed ` +
      '(only tensors, storages, OrderedDict and plain values are read; nothing in the file is executed)',
  );
}
