import { expect } from 'chai';
import fc from 'fast-check';
import { crc32, deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { CheckpointError } from '../../src/model/checkpoint/checkpoint-error.js';
import { convertCheckpoints } from '../../src/model/checkpoint/convert.js';
import { unpickle } from '../../src/model/checkpoint/pickle-vm.js';
import type { PyValue } from '../../src/model/checkpoint/pickle-values.js';
import { findStateDict } from '../../src/model/checkpoint/state-dict.js';
import { resolveTorchGlobal } from '../../src/model/checkpoint/torch-globals.js';
import { readTorchCheckpoint } from '../../src/model/checkpoint/torch-checkpoint.js';
import { STORAGE_DTYPES, TorchTensor } from '../../src/model/checkpoint/torch-tensor.js';
import { readZip } from '../../src/model/checkpoint/zip-reader.js';
import { expectedTensors } from '../../src/model/network-params.js';
import {
  f32Bytes,
  global,
  orderedDict,
  persid,
  pickle,
  raw,
  reduce,
  tensor,
  torchFile,
  tuple,
  zip,
  type PyDesc,
} from '../convert/torch-file-builder.js';
import {
  INTERESTING_U32,
  INTERESTING_U64,
  arrayBufferGrowth,
  concat,
  expectOnlyDiffPoseErrors,
  fixture,
  mutate,
  mutationArb,
  params,
} from './fuzz-support.js';

/**
 * Hostile PyTorch checkpoints: byte mutations of real torch.save files, forged ZIP fields
 * (directory offsets and sizes, zip64 records, deflate bombs), random and mutated pickle
 * programs (every opcode, forged lengths, memo indices, globals outside the allow-list,
 * deep nesting) and forged tensor views. Contract (issue 12.5): the reader and the converter
 * return or throw a DiffPoseError (CHECKPOINT, or WEIGHTS from the final re-parse) with a
 * one-line message, quickly and without allocating from a forged length; nothing named in a
 * file is ever called.
 */

const CODES = ['CHECKPOINT', 'WEIGHTS'];
const denoiserFile = fixture('golden/tiny-released.pth');
const lifterFile = fixture('golden/tiny-released-lifter.pth');

/** Reads every tensor a value holds (iteratively: the value may be deep or cyclic). */
function touchTensors(v: PyValue): void {
  const seen = new Set<unknown>();
  const todo: unknown[] = [v];
  let budget = 100_000;
  while (todo.length && budget-- > 0) {
    const x = todo.pop();
    if (x === null || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    if (x instanceof TorchTensor) {
      try {
        x.toFloat32();
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
      }
    } else if (x instanceof Map) {
      for (const [k, y] of x) todo.push(k, y);
    } else if (x instanceof Set || Array.isArray(x)) {
      for (const y of x as Iterable<unknown>) todo.push(y);
    }
  }
}

/** Every entry point on one file: the reader (and every tensor it yields), and the converter in both roles. */
function checkCheckpoint(bytes: Uint8Array): void {
  expectOnlyDiffPoseErrors(() => touchTensors(readTorchCheckpoint(bytes)), CODES);
  expectOnlyDiffPoseErrors(
    () =>
      convertCheckpoints({
        denoiser: { bytes, label: 'fuzz.pth' },
        lifter: { bytes: lifterFile, label: 'lifter.pth' },
        heads: 2,
      }),
    CODES,
  );
  expectOnlyDiffPoseErrors(
    () =>
      convertCheckpoints({
        denoiser: { bytes: denoiserFile, label: 'denoiser.pth' },
        lifter: { bytes, label: 'fuzz.pth' },
        heads: 2,
        ema: true,
      }),
    CODES,
  );
}

// ---------------------------------------------------------------------------------------
// ZIP layout of a fixture, for structure-aware forging

interface Layout {
  eocd: number;
  central: Array<{ at: number; local: number; name: string }>;
  /** [begin, end) of the data.pkl entry's bytes. */
  pickle: [number, number];
}

function layout(b: Uint8Array): Layout {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = b.length - 22;
  while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = v.getUint16(eocd + 10, true);
  let at = v.getUint32(eocd + 16, true);
  const central: Layout['central'] = [];
  for (let i = 0; i < count; i++) {
    const n = v.getUint16(at + 28, true);
    const name = new TextDecoder().decode(b.subarray(at + 46, at + 46 + n));
    central.push({ at, local: v.getUint32(at + 42, true), name });
    at += 46 + n + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  const pkl = central.find((c) => c.name.endsWith('/data.pkl'))!;
  const start = pkl.local + 30 + v.getUint16(pkl.local + 26, true) + v.getUint16(pkl.local + 28, true);
  return { eocd, central, pickle: [start, start + v.getUint32(pkl.at + 20, true)] };
}

/** The entries of a fixture, to rebuild it with a different data.pkl. */
function entriesOf(b: Uint8Array): Array<[string, Uint8Array]> {
  const z = readZip(b);
  return [...z.entries.keys()].map((n) => [n, z.read(n)]);
}

type ZipForge =
  | { where: 'eocd'; field: 8 | 10 | 12 | 16 | 20; value: number }
  | { where: 'central'; entry: number; field: 8 | 10 | 16 | 20 | 24 | 28 | 30 | 32 | 42; value: number }
  | { where: 'local'; entry: number; field: 6 | 8 | 18 | 22 | 26 | 28; value: number };

const U16_FIELDS = new Set([8, 10, 20, 28, 30, 32, 6, 26]);
const u32Arb = fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat({ max: 0xffffffff }));
const zipForgeArb: fc.Arbitrary<ZipForge> = fc.oneof(
  fc.record({
    where: fc.constant('eocd' as const),
    field: fc.constantFrom(8 as const, 10 as const, 12 as const, 16 as const, 20 as const),
    value: u32Arb,
  }),
  fc.record({
    where: fc.constant('central' as const),
    entry: fc.nat({ max: 100 }),
    field: fc.constantFrom(
      8 as const,
      10 as const,
      16 as const,
      20 as const,
      24 as const,
      28 as const,
      30 as const,
      32 as const,
      42 as const,
    ),
    value: u32Arb,
  }),
  fc.record({
    where: fc.constant('local' as const),
    entry: fc.nat({ max: 100 }),
    field: fc.constantFrom(6 as const, 8 as const, 18 as const, 22 as const, 26 as const, 28 as const),
    value: u32Arb,
  }),
);

function forgeZip(base: Uint8Array, l: Layout, forges: readonly ZipForge[]): Uint8Array {
  const b = base.slice();
  const v = new DataView(b.buffer);
  for (const f of forges) {
    const at =
      f.where === 'eocd'
        ? l.eocd + f.field
        : f.where === 'central'
          ? l.central[f.entry % l.central.length].at + f.field
          : l.central[f.entry % l.central.length].local + f.field;
    if (U16_FIELDS.has(f.field) && !(f.where === 'eocd' && f.field === 12)) v.setUint16(at, f.value & 0xffff, true);
    else v.setUint32(at, f.value >>> 0, true);
  }
  return b;
}

// ---------------------------------------------------------------------------------------
// A ZIP writer with the knobs torch-file-builder lacks: forged sizes, extra fields, zip64

interface RawEntry {
  name: string;
  /** The bytes stored in the archive (already deflated for method 8). */
  body: Uint8Array;
  method?: number;
  crc?: number;
  size: number;
  compressedSize?: number;
  /** Central-directory extra field. */
  extra?: Uint8Array;
}

function u16(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff];
}
function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
function u64(n: bigint): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return [...b];
}

function rawZip(
  entries: RawEntry[],
  options: { zip64?: { count?: bigint; size?: bigint; offset?: bigint; record?: bigint } } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: number[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const sizes = [...u32(e.crc ?? 0), ...u32(e.compressedSize ?? e.body.length), ...u32(e.size)];
    const local = Uint8Array.from([
      ...u32(0x04034b50),
      20,
      0,
      0,
      0,
      ...u16(e.method ?? 0),
      0,
      0,
      0,
      0,
      ...sizes,
      ...u16(name.length),
      0,
      0,
      ...name,
    ]);
    const extra = e.extra ?? new Uint8Array(0);
    central.push(
      ...u32(0x02014b50),
      45,
      0,
      45,
      0,
      0,
      0,
      ...u16(e.method ?? 0),
      0,
      0,
      0,
      0,
      ...sizes,
      ...u16(name.length),
      ...u16(extra.length),
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...u32(offset),
      ...name,
      ...extra,
    );
    parts.push(local, e.body);
    offset += local.length + e.body.length;
  }
  const cdOffset = offset;
  parts.push(Uint8Array.from(central));
  const z = options.zip64;
  if (z) {
    const record = offset + central.length;
    parts.push(
      Uint8Array.from([
        ...u32(0x06064b50),
        ...u64(44n),
        45,
        0,
        45,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        ...u64(z.count ?? BigInt(entries.length)),
        ...u64(z.count ?? BigInt(entries.length)),
        ...u64(z.size ?? BigInt(central.length)),
        ...u64(z.offset ?? BigInt(cdOffset)),
      ]),
    );
    parts.push(Uint8Array.from([...u32(0x07064b50), 0, 0, 0, 0, ...u64(z.record ?? BigInt(record)), 1, 0, 0, 0]));
    parts.push(
      Uint8Array.from([
        ...u32(0x06054b50),
        0,
        0,
        0,
        0,
        0xff,
        0xff,
        0xff,
        0xff,
        ...u32(0xffffffff),
        ...u32(0xffffffff),
        0,
        0,
      ]),
    );
  } else {
    parts.push(
      Uint8Array.from([
        ...u32(0x06054b50),
        0,
        0,
        0,
        0,
        ...u16(entries.length),
        ...u16(entries.length),
        ...u32(central.length),
        ...u32(cdOffset),
        0,
        0,
      ]),
    );
  }
  return concat(...parts);
}

/** A torch checkpoint as raw entries: data.pkl of `value`, plus `extra` entries. */
function rawTorchEntries(value: PyDesc, extra: RawEntry[] = []): RawEntry[] {
  const pkl = pickle(value);
  return [{ name: 'archive/data.pkl', body: pkl, crc: crc32(pkl) >>> 0, size: pkl.length }, ...extra];
}

/**
 * A deflate stream of `chunks` x 8 MiB of zeros, built without ever holding the output: one
 * sync-flushed chunk repeated (back-references stay within the 32 KiB window), then a final
 * empty block. About 8 KiB per 8 MiB of output.
 */
function zeroBomb(chunks: number): Uint8Array {
  const chunk = deflateRawSync(new Uint8Array(8 << 20), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return concat(...Array.from({ length: chunks }, () => new Uint8Array(chunk)), Uint8Array.from([0x03, 0x00]));
}

// ---------------------------------------------------------------------------------------
// Random pickle programs

/** The documented allow-list (src/model/checkpoint/torch-globals.ts). */
const ALLOWED = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.device',
  '_codecs.encode',
  'builtins.set',
  '__builtin__.set',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);
const DANGEROUS = [
  'os.system',
  'posix.system',
  'nt.system',
  'builtins.eval',
  'builtins.exec',
  '__builtin__.eval',
  '__builtin__.getattr',
  'builtins.getattr',
  'builtins.__import__',
  'builtins.compile',
  'builtins.open',
  'subprocess.Popen',
  'subprocess.check_output',
  'torch.load',
  'numpy.core.multiarray._reconstruct',
  'pickle.loads',
  'runpy._run_code',
  'webbrowser.open',
  'torch.__proto__',
  'torch.constructor',
  'torch.toString',
  'torch.hasOwnProperty',
  'torch.__defineGetter__',
  'collections.__proto__',
  'torch._utils.__proto__',
  'collections.OrderedDict.__init__',
  'torch.FloatStorage.__class__',
  'torch.Tensor.__reduce_ex__',
];
const globalName = fc.oneof(
  fc.constantFrom(...ALLOWED),
  fc.constantFrom(...DANGEROUS),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([m, n]) => `${m}.${n}`),
);

const SIMPLE_OPS = [
  0x28, 0x30, 0x32, 0x4e, 0x88, 0x89, 0x5d, 0x6c, 0x61, 0x65, 0x29, 0x74, 0x85, 0x86, 0x87, 0x7d, 0x64, 0x73, 0x75,
  0x8f, 0x90, 0x91, 0x94, 0x93, 0x52, 0x81, 0x62, 0x51, 0x2e, 0x69, 0x6f, 0x82, 0x92, 0x97, 0x56, 0x50, 0x67, 0x70,
  0x31, 0x4c, 0x46, 0x53,
];
const small = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 16, 255, -1, -2, 65535, 0x7fffffff, -0x80000000),
  fc.integer({ min: -5, max: 40 }),
);
const lenArb = fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat({ max: 64 }));
const enc = new TextEncoder();

const opArb: fc.Arbitrary<number[]> = fc.oneof(
  { arbitrary: fc.constantFrom(...SIMPLE_OPS).map((op) => [op]), weight: 8 },
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => [0x4a, ...u32(n)]),
  fc.nat({ max: 255 }).map((n) => [0x4b, n]),
  fc.nat({ max: 0xffff }).map((n) => [0x4d, ...u16(n)]),
  fc.uint8Array({ maxLength: 12 }).map((b) => [0x8a, b.length, ...b]),
  fc.tuple(lenArb, fc.uint8Array({ maxLength: 12 })).map(([n, b]) => [0x8b, ...u32(n), ...b]),
  fc.double().map((x) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, x, false);
    return [0x47, ...new Uint8Array(b.buffer)];
  }),
  fc.tuple(fc.boolean(), lenArb, fc.string({ maxLength: 8 })).map(([forged, n, s]) => {
    const b = [...enc.encode(s)];
    return [0x58, ...u32(forged ? n : b.length), ...b];
  }),
  fc.string({ maxLength: 8 }).map((s) => {
    const b = [...enc.encode(s)];
    return [0x8c, b.length, ...b];
  }),
  fc
    .tuple(fc.constantFrom(0x8d, 0x8e, 0x96), fc.constantFrom(...INTERESTING_U64), fc.uint8Array({ maxLength: 4 }))
    .map(([op, n, b]) => [op, ...u64(n), ...b]),
  fc
    .tuple(fc.constantFrom(0x42, 0x54), lenArb, fc.uint8Array({ maxLength: 8 }))
    .map(([op, n, b]) => [op, ...u32(n), ...b]),
  fc.uint8Array({ maxLength: 8 }).map((b) => [0x43, b.length, ...b]),
  fc.uint8Array({ maxLength: 8 }).map((b) => [0x55, b.length, ...b]),
  fc.nat({ max: 8 }).map((i) => [0x68, i]),
  fc.nat({ max: 8 }).map((i) => [0x71, i]),
  lenArb.map((i) => [0x6a, ...u32(i)]),
  lenArb.map((i) => [0x72, ...u32(i)]),
  fc
    .oneof(fc.constantFrom('00', '01', '-1', '99999999999999999999', 'x', ''), fc.string({ maxLength: 6 }))
    .map((s) => [0x49, ...enc.encode(s), 0x0a]),
  fc.nat({ max: 7 }).map((p) => [0x80, p]),
  fc.constantFrom(...INTERESTING_U64).map((n) => [0x95, ...u64(n)]),
  globalName.map((g) => {
    const dot = g.lastIndexOf('.');
    return [0x63, ...enc.encode(`${g.slice(0, dot)}\n${g.slice(dot + 1)}\n`)];
  }),
  globalName.map((g) => {
    const dot = g.lastIndexOf('.');
    return [
      0x8c,
      ...[enc.encode(g.slice(0, dot))].flatMap((b) => [b.length & 0xff, ...b]),
      0x8c,
      ...[enc.encode(g.slice(dot + 1))].flatMap((b) => [b.length & 0xff, ...b]),
      0x93,
    ];
  }),
  // A whole tensor view with forged numbers: reaches TorchTensor and toFloat32.
  fc
    .record({
      key: fc.constantFrom('0', '1', 'h', 'missing'),
      type: fc.constantFrom('FloatStorage', 'HalfStorage', 'DoubleStorage', 'LongStorage', 'BFloat16Storage'),
      numel: small,
      offset: small,
      size: fc.array(small, { maxLength: 3 }),
      stride: fc.array(small, { maxLength: 3 }),
    })
    .map((t) => [...pickleBodyOf(tensor(t.key, t.type, t.numel, t.offset, t.size, t.stride))]),
  { arbitrary: fc.nat({ max: 255 }).map((b) => [b]), weight: 2 },
);

/** An int of any size as LONG1 (torch-file-builder writes BININT, which wraps beyond 32 bits). */
function long(n: number | bigint): PyDesc {
  let v = BigInt(n);
  const bytes: number[] = [];
  do {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  } while (v !== 0n && v !== -1n);
  if ((bytes[bytes.length - 1] & 0x80) !== (n < 0 ? 0x80 : 0)) bytes.push(n < 0 ? 0xff : 0);
  return raw(0x8a, bytes.length, ...bytes);
}

/** tensor() with any-size ints. */
function bigTensor(key: string, numel: number, offset: number, size: number[], stride: number[]): PyDesc {
  return reduce(
    global('torch._utils._rebuild_tensor_v2'),
    tuple(
      persid(tuple('storage', global('torch.FloatStorage'), key, 'cpu', long(numel))),
      long(offset),
      tuple(...size.map(long)),
      tuple(...stride.map(long)),
      false,
      reduce(global('collections.OrderedDict'), tuple()),
    ),
  );
}

/** The pickle body of a value (torch-file-builder's pickle() without PROTO and STOP). */
function pickleBodyOf(v: PyDesc): Uint8Array {
  const p = pickle(v);
  return p.subarray(2, p.length - 1);
}

const STORAGES = {
  0: f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]),
  1: f32Bytes([0.5]),
  h: new Uint8Array(new Uint16Array([0x3c00, 0x4000]).buffer),
};

describe('fuzz: PyTorch checkpoint reader and converter (hostile files give DiffPoseErrors only)', function () {
  this.timeout(process.env.FUZZ_RUNS ? 0 : 120_000); // long local runs take what they take
  const denoiserLayout = layout(denoiserFile);
  const lifterLayout = layout(lifterFile);
  const denoiserEntries = entriesOf(denoiserFile);
  const pklName = denoiserEntries.find(([n]) => n.endsWith('/data.pkl'))![0];
  const pkl = denoiserEntries.find(([n]) => n === pklName)![1];
  const withPickle = (p: Uint8Array) =>
    zip(denoiserEntries.map(([n, b]): [string, Uint8Array] => [n, n === pklName ? p : b]));

  it('the unmutated fixtures convert (the fuzzers start from valid input)', () => {
    expect(
      convertCheckpoints({
        denoiser: { bytes: denoiserFile, label: 'd' },
        lifter: { bytes: lifterFile, label: 'l' },
        heads: 2,
      }).config.denoiser.hidden,
    ).to.equal(16);
    expect(
      convertCheckpoints({
        denoiser: { bytes: withPickle(pkl), label: 'd' },
        lifter: { bytes: lifterFile, label: 'l' },
        heads: 2,
      }).config.denoiser.hidden,
    ).to.equal(16);
  });

  it('random bytes, and random bytes behind a ZIP end-of-directory record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        checkCheckpoint(b);
        checkCheckpoint(
          concat(
            b,
            Uint8Array.from([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]),
            b.subarray(0, 8),
            new Uint8Array(2),
          ),
        );
      }),
      params(150),
    );
  });

  it('byte mutations of the released-layout fixtures (directory- and pickle-weighted)', () => {
    for (const [file, l] of [
      [denoiserFile, denoiserLayout],
      [lifterFile, lifterLayout],
    ] as const) {
      const hot: Array<[number, number]> = [[l.central[0].at, file.length], l.pickle, [0, 200]];
      fc.assert(
        fc.property(fc.array(mutationArb(hot), { minLength: 1, maxLength: 4 }), (ms) => {
          checkCheckpoint(mutate(file, ms));
        }),
        params(60),
      );
    }
  });

  it('forged ZIP fields: directory offset, size and count, entry sizes, methods, name and extra lengths, header offsets', () => {
    fc.assert(
      fc.property(fc.array(zipForgeArb, { minLength: 1, maxLength: 3 }), (forges) => {
        checkCheckpoint(forgeZip(denoiserFile, denoiserLayout, forges));
      }),
      params(150),
    );
  });

  it('byte mutations of the released data.pkl (re-zipped, so they reach the pickle VM)', () => {
    fc.assert(
      fc.property(fc.array(mutationArb(), { minLength: 1, maxLength: 4 }), (ms) => {
        checkCheckpoint(withPickle(mutate(pkl, ms)));
      }),
      params(150),
    );
  });

  it('random pickle programs (every opcode, forged lengths and memo indices, allowed and forbidden globals, tensor views)', () => {
    const sentinel = globalThis as { __pwned?: unknown };
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.boolean(), (ops, proto) => {
        const body = Uint8Array.from([...(proto ? [0x80, 2] : []), ...ops.flat(), 0x2e]);
        const file = torchFile(null, STORAGES, { pickleBytes: body });
        expectOnlyDiffPoseErrors(() => touchTensors(readTorchCheckpoint(file)), CODES);
        expectOnlyDiffPoseErrors(
          () => convertCheckpoints({ denoiser: { bytes: file, label: 'fuzz.pth' }, heads: 2 }),
          CODES,
        );
        expect(sentinel.__pwned).to.equal(undefined);
      }),
      params(400),
    );
  });

  it('resolveGlobal allows exactly the allow-list: anything else is a CheckpointError', () => {
    fc.assert(
      fc.property(fc.oneof(globalName, fc.constantFrom(...ALLOWED)), (g) => {
        const dot = g.lastIndexOf('.');
        const r = expectOnlyDiffPoseErrors(() => resolveTorchGlobal(g.slice(0, dot), g.slice(dot + 1)), ['CHECKPOINT']);
        expect(r.ok, g).to.equal(ALLOWED.has(g));
      }),
      params(300),
    );
  });

  describe('regression and targeted cases', () => {
    const hooks = {
      resolveGlobal: resolveTorchGlobal,
      persistentLoad: (): PyValue => {
        throw new CheckpointError('no storages here');
      },
    };
    const run = (body: number[] | Uint8Array) => {
      const bytes = concat(Uint8Array.from([0x80, 2]), Uint8Array.from(body), Uint8Array.from([0x2e]));
      return expectOnlyDiffPoseErrors(() => unpickle(bytes, hooks), ['CHECKPOINT']);
    };
    const expectCheckpointError = (fn: () => unknown, pattern: RegExp) => {
      const r = expectOnlyDiffPoseErrors(fn, CODES);
      expect(r.ok, 'expected a DiffPoseError').to.equal(false);
      if (!r.ok) expect(r.error.message).to.match(pattern);
    };

    it('APPENDS / TUPLE / DICT of 300,000 items (a spread of that many arguments overflowed the stack)', () => {
      const n = 300_000;
      const items = new Uint8Array(n).fill(0x4e);
      const r = run(concat(Uint8Array.from([0x5d, 0x28]), items, Uint8Array.from([0x65])));
      expect(r.ok && (r.value as unknown[]).length).to.equal(n);
      expect(run(concat(Uint8Array.from([0x28]), items, Uint8Array.from([0x74]))).ok).to.equal(true);
      expect(run(concat(Uint8Array.from([0x8f, 0x28]), items, Uint8Array.from([0x90]))).ok).to.equal(true);
    });

    it('a LONG4 of 4 MiB decodes in linear time (was quadratic: a hang)', () => {
      const n = 4 << 20;
      const body = new Uint8Array(5 + n);
      body.set([0x8b, ...u32(n)]);
      body[5 + n - 1] = 0x01;
      const started = performance.now();
      const r = run(body);
      expect(performance.now() - started).to.be.lessThan(500);
      expect(r.ok && typeof r.value).to.equal('bigint');
      expect(
        run([0x8a, 2, 0xff, 0xff]).ok &&
          run([0x8a, 2, 0xff, 0xff]).ok &&
          (run([0x8a, 2, 0xff, 0xff]) as { value: unknown }).value,
      ).to.equal(-1);
      expect((run([0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0]) as { value: unknown }).value).to.equal(1n << 63n);
      expect((run([0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80]) as { value: unknown }).value).to.equal(-(1n << 63n));
    });

    it('deeply nested lists and a list that contains itself', () => {
      const depth = 200_000;
      const deep = [...new Array(depth).fill(0x5d), ...new Array(depth - 1).fill(0x61)];
      expect(run(deep).ok).to.equal(true);
      // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND: l = [l]
      const cyclic = [0x5d, 0x71, 0, 0x68, 0, 0x61];
      expect(run(cyclic).ok).to.equal(true);
      for (const body of [deep, cyclic]) {
        const file = torchFile(null, {}, { pickleBytes: Uint8Array.from([0x80, 2, ...body, 0x2e]) });
        expectCheckpointError(
          () => convertCheckpoints({ denoiser: { bytes: file, label: 'deep.pth' }, heads: 2 }),
          /the first element of the checkpoint's list is list, not a state dict/,
        );
      }
    });

    it('_rebuild_from_type_v2 nested 200,000 deep (recursed once per level: stack overflow)', () => {
      const g = (name: string) => {
        const d = name.lastIndexOf('.');
        return [0x63, ...enc.encode(`${name.slice(0, d)}\n${name.slice(d + 1)}\n`)];
      };
      const depth = 200_000;
      const head = [
        ...g('torch._tensor._rebuild_from_type_v2'),
        0x71,
        0,
        0x30,
        ...g('torch.Tensor'),
        0x71,
        1,
        0x30,
        0x68,
        0,
      ];
      // REDUCE(f, (f, T, (f, T, ( ... (), None) ..., None), None)): every level is f again.
      const open = new Uint8Array(depth * 5);
      for (let i = 0; i < depth; i++) open.set([0x28, 0x68, 0, 0x68, 1], i * 5);
      const close = new Uint8Array(depth * 2);
      for (let i = 0; i < depth; i++) close.set([0x4e, 0x74], i * 2);
      const r = run(concat(Uint8Array.from(head), open, Uint8Array.from([0x29]), close, Uint8Array.from([0x52])));
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.error.message).to.match(/_rebuild_from_type_v2 called with 0 arguments/);
    });

    it('a dict keyed by a huge int, a nested tuple or itself, and persistent ids that are not strings (JSON.stringify threw)', () => {
      // {2^64: None}: describing its keys used JSON.stringify, which throws on a bigint.
      const bigKey = [0x7d, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x4e, 0x73];
      const file = (body: number[]) => torchFile(null, {}, { pickleBytes: Uint8Array.from([0x80, 2, ...body, 0x2e]) });
      expectCheckpointError(
        () => convertCheckpoints({ denoiser: { bytes: file(bigKey), label: 'k.pth' }, heads: 2 }),
        /cannot find the lifter's state dict in a dict with keys 18446744073709551616/,
      );
      // {d: None} where d is the dict itself (memo 0).
      const selfKey = [0x7d, 0x71, 0, 0x68, 0, 0x4e, 0x73];
      expectCheckpointError(
        () => convertCheckpoints({ denoiser: { bytes: file(selfKey), label: 'k.pth' }, heads: 2 }),
        /cannot find the lifter's state dict/,
      );
      // persistent id (2^64,) and ([[...]],)
      expectCheckpointError(
        () => readTorchCheckpoint(file([0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x85, 0x51])),
        /unsupported persistent id tuple starting with 18446744073709551616/,
      );
      expectCheckpointError(
        () => readTorchCheckpoint(file([0x5d, 0x71, 0, 0x68, 0, 0x61, 0x85, 0x51])),
        /unsupported persistent id tuple starting with list/,
      );
    });

    it('a storage type named by an Object.prototype member (torch.__proto__, torch.constructor) is not a global', () => {
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        expectCheckpointError(() => resolveTorchGlobal('torch', name), /not allowed/);
      }
    });

    it('forbidden globals are refused by name, and nothing runs', () => {
      const sentinel = globalThis as { __pwned?: unknown };
      for (const g of DANGEROUS) {
        const file = torchFile(reduce(global(g), tuple('globalThis.__pwned = 1')));
        expectCheckpointError(() => readTorchCheckpoint(file), /which is not allowed/);
      }
      expect(sentinel.__pwned).to.equal(undefined);
    });

    it('tensor views: negative sizes, negative offsets, and sizes beyond their storage', () => {
      const one = { 0: f32Bytes([1, 2, 3, 4]) };
      const read =
        (size: number[], stride: number[], offset = 0, numel = 4) =>
        () =>
          touchAndThrow(readTorchCheckpoint(torchFile(bigTensor('0', numel, offset, size, stride), one)));
      const touchAndThrow = (v: PyValue) => (v as TorchTensor).toFloat32();
      expectCheckpointError(read([-2, -2], [0, 0]), /size \[-2,-2\].*must be non-negative integers/);
      expectCheckpointError(read([2], [1], -1), /offset -1 must be non-negative/);
      expectCheckpointError(read([2], [-1], 1), /must be non-negative/);
      expectCheckpointError(read([2 ** 40], [0]), /more elements than its storage/);
      expectCheckpointError(read([2 ** 53, 2 ** 53], [1, 1]), /size\[0\] 9007199254740992 is too large/);
      expectCheckpointError(read([2 ** 26, 2 ** 26, 2 ** 26], [0, 0, 0]), /has too many elements/);
      expectCheckpointError(read([2], [1], 0, 2 ** 50), /has 16 bytes, but 1125899906842624 elements/);
      expect([...(read([2, 2], [2, 1])() as Float32Array)]).to.deep.equal([1, 2, 3, 4]);
    });

    it('a 3 KB checkpoint whose every tensor is a stride-0 view of one element cannot make the converter allocate gigabytes', () => {
      // A denoiser of hidden 4096 (the largest config), every tensor expanded from storage "0" of 1 element:
      // 2.5 GB of float32 if it were copied out.
      const hidden = 4096;
      const entries: Array<[string, PyDesc]> = [];
      for (const [name, shape] of expectedTensors({ hidden, layers: 1, heads: 4, coordsIn: 5, coordsOut: 5 }, true)) {
        entries.push([
          name,
          tensor(
            '0',
            'FloatStorage',
            1,
            0,
            shape,
            shape.map(() => 0),
          ),
        ]);
      }
      const file = torchFile(orderedDict(entries), { 0: f32Bytes([1]) });
      expect(file.length).to.be.lessThan(8192);
      let grown = 0;
      const started = performance.now();
      grown = arrayBufferGrowth(() =>
        expectCheckpointError(
          () =>
            convertCheckpoints({
              denoiser: { bytes: file, label: 'expand.pth' },
              lifter: { bytes: lifterFile, label: 'l' },
              heads: 4,
            }),
          /more elements than its storage|storage/,
        ),
      );
      expect(performance.now() - started).to.be.lessThan(1000);
      expect(grown).to.be.lessThan(64 << 20);
    });

    it('a network wider or deeper than any model config is refused from its shapes', () => {
      const entries: Array<[string, PyDesc]> = [
        ['gconv_input.weight', tensor('0', 'FloatStorage', 1, 0, [3, 1, 5, 8192], [0, 0, 0, 0])],
        ['gconv_output.weight', tensor('0', 'FloatStorage', 1, 0, [3, 1, 8192, 5], [0, 0, 0, 0])],
        ['atten_layers.0.x', tensor('0', 'FloatStorage', 1, 0, [1], [1])],
      ];
      const file = torchFile(orderedDict(entries), { 0: f32Bytes([1]) });
      expectCheckpointError(
        () =>
          convertCheckpoints({
            denoiser: { bytes: file, label: 'wide.pth' },
            lifter: { bytes: lifterFile, label: 'l' },
            heads: 4,
          }),
        /hidden size 8192/,
      );
    });

    it('a deflate bomb: inflating stops at the declared size, and a declared size no deflate stream reaches is refused unread', () => {
      const bomb = zeroBomb(128); // ~1 MiB of deflate, 1 GiB of zeros
      expect(bomb.length).to.be.lessThan(2 << 20);
      const storage = (size: number, compressedSize?: number): RawEntry => ({
        name: 'archive/data/0',
        body: bomb,
        method: 8,
        crc: 0,
        size,
        compressedSize,
      });
      const value = tensor('0', 'FloatStorage', 4, 0, [4], [1]);
      for (const [size, pattern] of [
        [16, /has more than its directory's 16 bytes|corrupt/],
        [0xfffffff0, /declares \d+ bytes|too large/],
      ] as const) {
        const file = rawZip(rawTorchEntries(value, [storage(size)]));
        const started = performance.now();
        const grown = arrayBufferGrowth(() => expectCheckpointError(() => touchAndRead(file), pattern));
        expect(performance.now() - started, `declared ${size}`).to.be.lessThan(1000);
        expect(grown, `declared ${size}`).to.be.lessThan(64 << 20);
      }
      // The pickle itself as a bomb (declared honestly: 256 MiB of zeros).
      const pklBomb = zeroBomb(32);
      const file = rawZip([{ name: 'archive/data.pkl', body: pklBomb, method: 8, crc: 0, size: 256 << 20 }]);
      const grown = arrayBufferGrowth(() =>
        expectCheckpointError(() => readTorchCheckpoint(file), /data\.pkl.*(larger than|too large)/),
      );
      expect(grown).to.be.lessThan(64 << 20);
      function touchAndRead(f: Uint8Array) {
        return (readTorchCheckpoint(f) as TorchTensor).toFloat32();
      }
    });

    it('zip64 records and extra fields with forged values', () => {
      const value = tensor('0', 'FloatStorage', 2, 0, [2], [1]);
      const data = f32Bytes([1, 2]);
      const ok: RawEntry = { name: 'archive/data/0', body: data, crc: crc32(data) >>> 0, size: data.length };
      const cases: Array<[Uint8Array, RegExp]> = [
        [
          rawZip(rawTorchEntries(value, [ok]), { zip64: { count: 1n << 60n } }),
          /ZIP (entry count|central directory entry)/,
        ],
        [rawZip(rawTorchEntries(value, [ok]), { zip64: { offset: (1n << 53n) + 10n } }), /too large/],
        [
          rawZip(rawTorchEntries(value, [ok]), { zip64: { record: 1n << 40n } }),
          /zip64 end-of-central-directory record is missing/i,
        ],
        [rawZip(rawTorchEntries(value, [ok]), { zip64: { size: 1n << 50n } }), /beyond the end of the file/],
        // An entry whose sizes are saturated and whose zip64 extra field claims 0xffff bytes at the end of the directory.
        [
          rawZip(
            rawTorchEntries(value, [
              {
                ...ok,
                size: 0xffffffff,
                compressedSize: 0xffffffff,
                extra: Uint8Array.from([1, 0, 0xff, 0xff, ...u64(8n)]),
              },
            ]),
          ),
          /zip64 extra field/,
        ],
        [
          rawZip(
            rawTorchEntries(value, [
              { ...ok, size: 0xffffffff, extra: Uint8Array.from([1, 0, 8, 0, ...u64(1n << 62n)]) },
            ]),
          ),
          /too large/,
        ],
        [
          rawZip(
            rawTorchEntries(value, [
              { ...ok, size: 0xffffffff, extra: Uint8Array.from([1, 0, 8, 0, ...u64(1n << 40n)]) },
            ]),
          ),
          /has 8 bytes, its directory says|declares/,
        ],
      ];
      for (const [i, [file, pattern]] of cases.entries()) {
        const r = expectOnlyDiffPoseErrors(() => touchAndThrow(readTorchCheckpoint(file)), CODES);
        expect(r.ok, `case ${i}`).to.equal(false);
        if (!r.ok) expect(r.error.message, `case ${i}`).to.match(pattern);
      }
      function touchAndThrow(v: PyValue) {
        return (v as TorchTensor).toFloat32();
      }
    });

    it('memo reads out of range, stack underflow, MARK misuse, truncated arguments', () => {
      for (const [body, pattern] of [
        [[0x68, 7], /memo entry 7 is read before it is written/],
        [[0x6a, 0xff, 0xff, 0xff, 0xff], /memo entry 4294967295/],
        [[0x30], /stack underflow/],
        [[0x52], /stack underflow/],
        [[0x28, 0x30], /stack underflow/],
        [[0x65], /no MARK/],
        [[0x58, 0xff, 0xff, 0xff, 0x7f], /truncated/],
        [[0x8d, ...u64(1n << 62n)], /too large/],
        [[0x8b, 0xff, 0xff, 0xff, 0xff], /negative length/],
      ] as Array<[number[], RegExp]>) {
        const r = run(body);
        expect(r.ok, JSON.stringify(body)).to.equal(false);
        if (!r.ok) expect(r.error.message).to.match(pattern);
      }
    });

    it('entry names, storage keys and globals with control characters give one-line messages', () => {
      const evil = 'x\n\u001b[2J\r';
      expectCheckpointError(
        () => readTorchCheckpoint(torchFile(reduce(global(`os.${evil}`), tuple()))),
        /which is not allowed/,
      );
      expectCheckpointError(
        () => readTorchCheckpoint(torchFile(tensor(evil, 'FloatStorage', 1, 0, [1], [1]))),
        /has no entry/,
      );
      expectCheckpointError(
        () => readTorchCheckpoint(torchFile(tensor('7', 'FloatStorage', 1, 0, [1], [1]), {}, { root: evil })),
        /has no entry/,
      );
      expectCheckpointError(
        () => findStateDict(new Map<PyValue, PyValue>([[evil, 1]]), 'lifter', 'x', { ema: false }),
        /cannot find/,
      );
    });
  });
});
