import { CheckpointError } from './checkpoint-error.js';
import { quote } from '../printable.js';
import { PyCallable, PyObject, typeName, type PyValue } from './pickle-values.js';

/**
 * A restricted pickle virtual machine: it understands the opcodes `torch.save` writes
 * (protocol 2, plus the protocol 3-5 forms of the same values) and builds plain values.
 * Nothing named in the file is imported or executed: GLOBAL asks `resolveGlobal`, which knows
 * a short whitelist and throws for anything else, and REDUCE / NEWOBJ / BUILD only work on the
 * objects the whitelist returned. Any other opcode stops with an error naming it.
 */

export interface PickleHooks {
  /** The value of `module.name`, or a CheckpointError when it is not allowed. */
  resolveGlobal(module: string, name: string): PyValue;
  /** Resolves a persistent id (PyTorch: a storage reference). */
  persistentLoad(pid: PyValue): PyValue;
}

/** An object BUILD may update (e.g. an OrderedDict's attributes, which are ignored). */
export interface Buildable {
  setState(state: PyValue): void;
}

/** Opcodes that are valid pickle but deliberately not implemented (names for the error message). */
const UNSUPPORTED: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x92: 'NEWOBJ_EX',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x56: 'UNICODE',
  0x50: 'PERSID',
  0x67: 'GET',
  0x70: 'PUT',
  0x31: 'POP_MARK',
  0x4c: 'LONG',
  0x46: 'FLOAT',
  0x53: 'STRING',
};

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

function tuple(items: PyValue[]): readonly PyValue[] {
  return Object.freeze(items);
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get position(): number {
    return this.at;
  }
  private need(n: number, what: string): number {
    if (n < 0 || this.at + n > this.bytes.byteLength)
      throw new CheckpointError(
        `pickle is truncated: ${what} at byte ${this.at} needs ${n} bytes, ${this.bytes.byteLength - this.at} left`,
      );
    const start = this.at;
    this.at += n;
    return start;
  }
  u8(): number {
    return this.bytes[this.need(1, 'an opcode argument')];
  }
  u16(): number {
    return this.view.getUint16(this.need(2, 'a 2-byte argument'), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4, 'a 4-byte argument'), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4, 'a 4-byte argument'), true);
  }
  u64(): number {
    const v = this.view.getBigUint64(this.need(8, 'an 8-byte argument'), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`pickle length ${v} is too large`);
    return Number(v);
  }
  f64be(): number {
    return this.view.getFloat64(this.need(8, 'a float'), false);
  }
  take(n: number, what: string): Uint8Array {
    const s = this.need(n, what);
    return this.bytes.subarray(s, s + n);
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0)
      throw new CheckpointError(`pickle is truncated: a text argument at byte ${this.at} has no end of line`);
    const s = new TextDecoder('latin1').decode(this.bytes.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
  atEnd(): boolean {
    return this.at >= this.bytes.byteLength;
  }
}

/**
 * Little-endian two's-complement integer (LONG1 / LONG4), as a number when it is exact. Built
 * from one hex string: linear in the length (byte by byte BigInt shifts were quadratic, so a
 * few MiB of LONG4 hung the reader).
 */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  const digits = new Uint8Array(2 + 2 * b.length);
  digits[0] = 0x30;
  digits[1] = 0x78; // "0x"
  for (let i = b.length - 1, at = 2; i >= 0; i--, at += 2) {
    digits[at] = HEX_DIGITS[b[i] >> 4];
    digits[at + 1] = HEX_DIGITS[b[i] & 15];
  }
  let v = BigInt(latin1.decode(digits));
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const latin1 = new TextDecoder('latin1');

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new CheckpointError('pickle holds a string that is not valid UTF-8');
  }
}

/** Runs a pickle and returns the value it builds. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks): PyValue {
  const r = new Reader(bytes);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();

  const pop = (): PyValue => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK)
      throw new CheckpointError(`pickle stack underflow at byte ${r.position}`);
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK)
      throw new CheckpointError(`pickle stack is empty at byte ${r.position}`);
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw new CheckpointError(`pickle has no MARK for the opcode at byte ${r.position}`);
    const items = stack.splice(m) as PyValue[];
    items.shift(); // the MARK itself
    return items;
  };
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const list = (what: string): PyValue[] => {
    const l = top();
    if (!Array.isArray(l) || Object.isFrozen(l))
      throw new CheckpointError(`pickle ${what} on a ${typeName(l)}, not a list`);
    return l as PyValue[];
  };
  const dict = (what: string): Map<PyValue, PyValue> => {
    const d = top();
    if (!(d instanceof Map)) throw new CheckpointError(`pickle ${what} on a ${typeName(d)}, not a dict`);
    return d;
  };
  const setItems = (d: Map<PyValue, PyValue>, kv: PyValue[]): void => {
    if (kv.length % 2) throw new CheckpointError('pickle SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) throw new CheckpointError(`pickle memo entry ${i} is read before it is written`);
    return memo.get(i)!;
  };
  const call = (fn: PyValue, args: PyValue, op: string): PyValue => {
    if (!(fn instanceof PyCallable))
      throw new CheckpointError(`pickle ${op} calls ${typeName(fn)}, which is not an allowed callable`);
    if (!Array.isArray(args))
      throw new CheckpointError(`pickle ${op} of ${fn.qualifiedName} with ${typeName(args)} arguments, not a tuple`);
    return fn.call(args);
  };

  for (;;) {
    if (r.atEnd()) throw new CheckpointError('pickle ends without a STOP opcode (truncated)');
    const at = r.position;
    const op = r.u8();
    switch (op) {
      case 0x80: {
        const p = r.u8();
        if (p > 5) throw new CheckpointError(`pickle protocol ${p} is not supported`);
        break;
      } // PROTO
      case 0x95:
        r.u64();
        break; // FRAME: a length hint only
      case 0x2e: {
        // STOP
        const v = pop();
        return v;
      }
      case 0x28:
        marks.push(stack.length);
        stack.push(MARK);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x32:
        push(top());
        break; // DUP
      case 0x4e:
        push(null);
        break; // NONE
      case 0x88:
        push(true);
        break; // NEWTRUE
      case 0x89:
        push(false);
        break; // NEWFALSE
      case 0x4a:
        push(r.i32());
        break; // BININT
      case 0x4b:
        push(r.u8());
        break; // BININT1
      case 0x4d:
        push(r.u16());
        break; // BININT2
      case 0x8a:
        push(decodeLong(r.take(r.u8(), 'LONG1')));
        break;
      case 0x8b: {
        const n = r.i32();
        if (n < 0) throw new CheckpointError('pickle LONG4 with a negative length');
        push(decodeLong(r.take(n, 'LONG4')));
        break;
      }
      case 0x49: {
        // INT (text; protocol 0 and the bools of protocol 1)
        const s = r.line();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else if (/^-?\d+$/.test(s)) push(Number(s));
        else throw new CheckpointError(`pickle INT with a bad argument ${quote(s, 40)}`);
        break;
      }
      case 0x47:
        push(r.f64be());
        break; // BINFLOAT (big-endian)
      case 0x58:
        push(decodeUtf8(r.take(r.u32(), 'BINUNICODE')));
        break;
      case 0x8c:
        push(decodeUtf8(r.take(r.u8(), 'SHORT_BINUNICODE')));
        break;
      case 0x8d:
        push(decodeUtf8(r.take(r.u64(), 'BINUNICODE8')));
        break;
      // Python 2 byte strings (BINSTRING, SHORT_BINSTRING): read as latin-1 text, as torch.load does.
      case 0x54: {
        const n = r.i32();
        if (n < 0) throw new CheckpointError('pickle BINSTRING with a negative length');
        push(new TextDecoder('latin1').decode(r.take(n, 'BINSTRING')));
        break;
      }
      case 0x55:
        push(new TextDecoder('latin1').decode(r.take(r.u8(), 'SHORT_BINSTRING')));
        break;
      case 0x42:
        push(r.take(r.u32(), 'BINBYTES').slice());
        break;
      case 0x43:
        push(r.take(r.u8(), 'SHORT_BINBYTES').slice());
        break;
      case 0x8e:
        push(r.take(r.u64(), 'BINBYTES8').slice());
        break;
      case 0x96:
        push(r.take(r.u64(), 'BYTEARRAY8').slice());
        break;
      case 0x5d:
        push([]);
        break; // EMPTY_LIST
      case 0x6c:
        push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        list('APPEND').push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const l = list('APPENDS');
        for (const v of items) l.push(v);
        break;
      } // no push(...items): a spread of 10^5 items overflows the stack
      case 0x29:
        push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        push(tuple(popMark()));
        break; // TUPLE
      case 0x85: {
        const a = pop();
        push(tuple([a]));
        break;
      }
      case 0x86: {
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case 0x7d:
        push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new Map<PyValue, PyValue>();
        setItems(d, popMark());
        push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        dict('SETITEM').set(k, v);
        break;
      }
      case 0x75: {
        const kv = popMark();
        setItems(dict('SETITEMS'), kv);
        break;
      }
      case 0x8f:
        push(new Set());
        break; // EMPTY_SET
      case 0x90: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw new CheckpointError(`pickle ADDITEMS on a ${typeName(s)}`);
        items.forEach((i) => s.add(i));
        break;
      }
      case 0x91:
        push(new Set(popMark()));
        break; // FROZENSET
      case 0x68:
        push(memoGet(r.u8()));
        break; // BINGET
      case 0x6a:
        push(memoGet(r.u32()));
        break; // LONG_BINGET
      case 0x71:
        memo.set(r.u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(r.u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = r.line();
        const name = r.line();
        push(hooks.resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new CheckpointError('pickle STACK_GLOBAL with non-string names');
        push(hooks.resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof Map && state instanceof Map) break; // an OrderedDict's attributes (e.g. state_dict._metadata): not needed
        if (obj instanceof PyObject && 'setState' in obj) {
          (obj as unknown as Buildable).setState(state);
          break;
        }
        throw new CheckpointError(`pickle BUILD on a ${typeName(obj)} is not supported`);
      }
      case 0x51:
        push(hooks.persistentLoad(pop()));
        break; // BINPERSID
      default: {
        const name = UNSUPPORTED[op];
        throw new CheckpointError(
          name
            ? `pickle opcode ${name} (0x${op.toString(16).padStart(2, '0')}) at byte ${at} is not supported`
            : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`,
        );
      }
    }
  }
}
