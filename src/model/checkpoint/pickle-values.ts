import { quote } from '../printable.js';

/**
 * What the restricted unpickler produces. Python values map to plain JS values; the few
 * objects a checkpoint may build (tensors, storages, OrderedDicts) are made by whitelisted
 * callables, never by importing or running anything named in the file.
 *
 * - None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number
 * - str -> string, bytes -> Uint8Array
 * - list and tuple -> array (tuples frozen), dict and OrderedDict -> Map, set -> Set
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyObject;

/** Any non-plain value: a whitelisted global, or an object one of them built. */
export abstract class PyObject {
  /** How error messages name this value. */
  abstract describe(): string;
}

/** A whitelisted global that REDUCE may call with a tuple of arguments. */
export class PyCallable extends PyObject {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: readonly PyValue[]) => PyValue,
  ) {
    super();
  }
  describe(): string {
    return this.qualifiedName;
  }
}

/** A whitelisted global that is only ever passed around as a marker (a storage type, torch.Tensor). */
export class PyMarker extends PyObject {
  constructor(readonly qualifiedName: string) {
    super();
  }
  describe(): string {
    return this.qualifiedName;
  }
}

export function isDict(v: PyValue): v is Map<PyValue, PyValue> {
  return v instanceof Map;
}

export function isSequence(v: PyValue): v is readonly PyValue[] {
  return Array.isArray(v);
}

/**
 * A value for an error message: strings quoted, numbers as they are, anything else by its type.
 * Never JSON.stringify a PyValue: it throws on bigints and cycles and recurses on nesting.
 */
export function describePy(v: PyValue): string {
  if (typeof v === 'string') return quote(v, 60);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return typeName(v);
}

/** A short description of a value's type for error messages. */
export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyObject) return v.describe();
  if (v instanceof Map) return 'dict';
  if (v instanceof Set) return 'set';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  return 'bool';
}
