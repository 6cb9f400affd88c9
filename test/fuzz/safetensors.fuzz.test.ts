import { expect } from 'chai';
import fc from 'fast-check';
import { WeightsError } from '../../src/errors.js';
import { parseSafetensors, type SafetensorsFile } from '../../src/model/safetensors.js';
import { parseModelWeights } from '../../src/model/weights.js';
import {
  CASE_MS,
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
 * Hostile weights files: random bytes, byte-level mutations of real files, and structure-aware
 * edits of the JSON header (forged lengths, offsets, dtypes, shapes, keys, nesting, encodings).
 * Contract (issue 12.5): parseSafetensors / parseModelWeights return a valid result or throw a
 * WeightsError with a one-line message, quickly, without allocating from a forged length.
 */

const CODES = ['WEIGHTS'];

/** The header object, its text and the data section of a safetensors file. */
function explode(bytes: Uint8Array): { header: Record<string, any>; headerLen: number; data: Uint8Array } {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return {
    header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))),
    headerLen,
    data: bytes.subarray(8 + headerLen),
  };
}

function withLength(len: bigint, headerBytes: Uint8Array, data: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, len, true);
  return concat(prefix, headerBytes, data);
}

function assemble(headerText: string | Uint8Array, data: Uint8Array): Uint8Array {
  const text = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  return withLength(BigInt(text.length), text, data);
}

/** A parse that succeeded must be self-consistent. */
function checkResult(f: SafetensorsFile): void {
  for (const [name, t] of f.tensors) {
    expect(t.data.length, name).to.equal(t.shape.reduce((a, b) => a * b, 1));
    expect(t.data.every(Number.isFinite), name).to.equal(true);
  }
  for (const [name, t] of f.ints) expect(t.data.length, name).to.equal(t.shape.reduce((a, b) => a * b, 1));
  for (const v of Object.values(f.metadata)) expect(v).to.be.a('string');
}

/** Every entry point on the same bytes. */
function checkAll(bytes: Uint8Array): void {
  for (const ints of [false, true]) {
    const r = expectOnlyDiffPoseErrors(() => parseSafetensors(bytes, { ints }), CODES);
    if (r.ok) checkResult(r.value as SafetensorsFile);
  }
  expectOnlyDiffPoseErrors(() => parseModelWeights(bytes), CODES);
}

// ---------------------------------------------------------------------------------------
// Structure-aware edits of the header

const NUMBERS = [
  0,
  1,
  -1,
  0.5,
  -0,
  3,
  4,
  16,
  2 ** 31,
  2 ** 32,
  2 ** 32 + 4,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  1e300,
  -(2 ** 53),
];
const number = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -10, max: 5000 }), fc.double());
const DTYPES = [
  'F32',
  'F16',
  'I32',
  'F64',
  'BF16',
  'U8',
  'I64',
  'BOOL',
  'f32',
  '',
  'toString',
  '__proto__',
  'constructor',
  'valueOf',
  'hasOwnProperty',
];
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '__metadata__',
  'lifter.x',
  'denoiser.y',
  'lifter.gconv_input.weight',
  'denoiser.\n\u001b[31mred',
  '',
  'diffpose.config',
];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 }));
const json = fc.jsonValue({ maxDepth: 3 });
/** A deeply nested JSON value (arrays or objects); a description, so that failures print short. */
interface Nested {
  depth: number;
  obj: boolean;
}
const nested: fc.Arbitrary<Nested> = fc.record({ depth: fc.constantFrom(10, 17, 1000, 100_000), obj: fc.boolean() });
const nestedText = (n: Nested) =>
  n.obj ? '{"a":'.repeat(n.depth) + '1' + '}'.repeat(n.depth) : '['.repeat(n.depth) + ']'.repeat(n.depth);

type Edit =
  | { op: 'field'; tensor: number; field: 'dtype' | 'shape' | 'data_offsets'; value: unknown }
  | { op: 'fieldText'; tensor: number; field: 'dtype' | 'shape' | 'data_offsets'; nested: Nested }
  | { op: 'entry'; tensor: number; value: unknown }
  | { op: 'steal'; tensor: number; from: number; shift: number }
  | { op: 'swap'; tensor: number }
  | { op: 'delete'; tensor: number }
  | { op: 'add'; name: string; value: unknown }
  | { op: 'meta'; name: string; value: unknown }
  | { op: 'config'; field: string; value: unknown }
  | { op: 'configText'; text: string | Nested };

const CONFIG_FIELDS = [
  'format',
  'joints',
  'skeleton',
  'diffusion',
  'diffusion.betaStart',
  'diffusion.numSteps',
  'lifter',
  'lifter.hidden',
  'lifter.layers',
  'lifter.heads',
  'lifter.coordsIn',
  'denoiser.hidden',
  'denoiser.layers',
  'denoiser.coordsIn',
  '__proto__',
  'constructor',
];

const field = fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const);
const tensorIndex = fc.nat({ max: 1000 });
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant('field' as const),
    tensor: tensorIndex,
    field: fc.constant('dtype' as const),
    value: fc.oneof(fc.constantFrom(...DTYPES), json),
  }),
  fc.record({
    op: fc.constant('field' as const),
    tensor: tensorIndex,
    field: fc.constant('shape' as const),
    value: fc.oneof(fc.array(number, { maxLength: 5 }), json),
  }),
  fc.record({
    op: fc.constant('field' as const),
    tensor: tensorIndex,
    field: fc.constant('data_offsets' as const),
    value: fc.oneof(fc.tuple(number, number), fc.array(number, { maxLength: 3 }), json),
  }),
  fc.record({ op: fc.constant('fieldText' as const), tensor: tensorIndex, field, nested }),
  fc.record({ op: fc.constant('entry' as const), tensor: tensorIndex, value: json }),
  fc.record({
    op: fc.constant('steal' as const),
    tensor: tensorIndex,
    from: tensorIndex,
    shift: fc.integer({ min: -8, max: 8 }),
  }),
  fc.record({ op: fc.constant('swap' as const), tensor: tensorIndex }),
  fc.record({ op: fc.constant('delete' as const), tensor: tensorIndex }),
  fc.record({
    op: fc.constant('add' as const),
    name: key,
    value: fc.oneof(
      json,
      fc.record({
        dtype: fc.constantFrom(...DTYPES),
        shape: fc.array(number, { maxLength: 3 }),
        data_offsets: fc.tuple(number, number),
      }),
    ),
  }),
  fc.record({ op: fc.constant('meta' as const), name: key, value: fc.oneof(fc.string(), json) }),
  fc.record({
    op: fc.constant('config' as const),
    field: fc.constantFrom(...CONFIG_FIELDS),
    value: fc.oneof(number, json),
  }),
  fc.record({
    op: fc.constant('configText' as const),
    text: fc.oneof(nested, fc.string(), fc.constant('{"format": 1,\n "joints": x}')),
  }),
);

/** Sets an own property, even `__proto__` (plain assignment would change the prototype). */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const PLACEHOLDER = '\u0000NESTED\u0000';

/** Applies header edits; returns the header text (nested-text edits are spliced in after stringify). */
function editHeader(base: Record<string, any>, edits: readonly Edit[]): string {
  const h: Record<string, any> = JSON.parse(JSON.stringify(base));
  const texts: string[] = [];
  const names = () => Object.keys(h).filter((k) => k !== '__metadata__');
  const pick = (i: number) => {
    const n = names();
    return n.length ? n[i % n.length] : undefined;
  };
  for (const e of edits) {
    switch (e.op) {
      case 'field': {
        const n = pick(e.tensor);
        if (n && typeof h[n] === 'object' && h[n]) h[n][e.field] = e.value;
        break;
      }
      case 'fieldText': {
        const n = pick(e.tensor);
        if (n && typeof h[n] === 'object' && h[n]) {
          h[n][e.field] = PLACEHOLDER;
          texts.push(nestedText(e.nested));
        }
        break;
      }
      case 'entry': {
        const n = pick(e.tensor);
        if (n) h[n] = e.value;
        break;
      }
      case 'steal': {
        const n = pick(e.tensor);
        const m = pick(e.from);
        if (n && m && h[n]?.data_offsets && h[m]?.data_offsets)
          h[n].data_offsets = [h[m].data_offsets[0] + e.shift, h[m].data_offsets[1] + e.shift];
        break;
      }
      case 'swap': {
        const n = pick(e.tensor);
        if (n && Array.isArray(h[n]?.data_offsets)) h[n].data_offsets = [...h[n].data_offsets].reverse();
        break;
      }
      case 'delete': {
        const n = pick(e.tensor);
        if (n) delete h[n];
        break;
      }
      case 'add':
        define(h, e.name, e.value);
        break;
      case 'meta':
        if (typeof h.__metadata__ === 'object' && h.__metadata__) define(h.__metadata__, e.name, e.value);
        break;
      case 'config': {
        const meta = h.__metadata__;
        if (typeof meta?.['diffpose.config'] !== 'string') break;
        let cfg: any;
        try {
          cfg = JSON.parse(meta['diffpose.config']);
        } catch {
          break;
        }
        const path = e.field.split('.');
        let o = cfg;
        for (const p of path.slice(0, -1)) o = typeof o?.[p] === 'object' && o[p] ? o[p] : undefined;
        if (typeof o === 'object' && o) define(o, path[path.length - 1], e.value);
        try {
          meta['diffpose.config'] = JSON.stringify(cfg);
        } catch {
          /* too deep for the test's own stringify */
        }
        break;
      }
      case 'configText':
        if (typeof h.__metadata__ === 'object' && h.__metadata__)
          h.__metadata__['diffpose.config'] = typeof e.text === 'string' ? e.text : nestedText(e.text);
        break;
    }
  }
  let text = JSON.stringify(h);
  for (const t of texts) text = text.replace(JSON.stringify(PLACEHOLDER), () => t);
  return text;
}

type Framing =
  | { kind: 'exact' }
  | { kind: 'delta'; delta: number }
  | { kind: 'forged'; len: bigint }
  | { kind: 'truncateData'; keep: number }
  | { kind: 'badUtf8'; at: number; bytes: readonly number[] }
  | { kind: 'bom' };

const framingArb: fc.Arbitrary<Framing> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'exact' as const }), weight: 4 },
  fc.record({ kind: fc.constant('delta' as const), delta: fc.integer({ min: -16, max: 16 }) }),
  fc.record({
    kind: fc.constant('forged' as const),
    len: fc.oneof(fc.constantFrom(...INTERESTING_U64), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  }),
  fc.record({ kind: fc.constant('truncateData' as const), keep: fc.nat({ max: 200_000 }) }),
  fc.record({
    kind: fc.constant('badUtf8' as const),
    at: fc.nat({ max: 100_000 }),
    bytes: fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
  }),
  fc.constant({ kind: 'bom' as const }),
);

function frame(text: string, data: Uint8Array, f: Framing): Uint8Array {
  let header: Uint8Array = new TextEncoder().encode(text);
  switch (f.kind) {
    case 'exact':
      return assemble(header, data);
    case 'delta':
      return withLength(BigInt(Math.max(0, header.length + f.delta)), header, data);
    case 'forged':
      return withLength(f.len, header, data);
    case 'truncateData':
      return assemble(header, data.subarray(0, f.keep));
    case 'badUtf8': {
      const at = f.at % (header.length + 1);
      header = concat(header.subarray(0, at), Uint8Array.from(f.bytes), header.subarray(at));
      return assemble(header, data);
    }
    case 'bom':
      return assemble(concat(Uint8Array.from([0xef, 0xbb, 0xbf]), header), data);
  }
}

describe('fuzz: safetensors parser and weights loader (hostile files give WeightsErrors only)', function () {
  this.timeout(process.env.FUZZ_RUNS ? 0 : 120_000); // long local runs take what they take
  const tiny = fixture('golden/tiny.safetensors');
  const shipped = new Uint8Array(fixture('../../weights/diffpose.safetensors'));
  const tinyParts = explode(tiny);

  it('the unmutated files parse (the fuzzers start from valid input)', () => {
    expect(parseModelWeights(tiny).config.lifter.hidden).to.equal(16);
    expect(parseModelWeights(shipped).config.lifter.hidden).to.be.greaterThan(0);
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => {
        checkAll(b);
      }),
      params(300),
    );
  });

  it('random bytes after a plausible header length, and random JSON headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.integer({ min: -4, max: 4 }), (body, d) => {
        checkAll(withLength(BigInt(Math.max(0, body.length + d)), body, new Uint8Array(0)));
      }),
      params(200),
    );
    fc.assert(
      fc.property(json, fc.uint8Array({ maxLength: 64 }), (h, data) => {
        checkAll(assemble(JSON.stringify(h) ?? '', data));
      }),
      params(200),
    );
  });

  it('byte mutations of tiny.safetensors (header-weighted)', () => {
    const hot: Array<[number, number]> = [
      [0, 8],
      [8, 8 + tinyParts.headerLen],
    ];
    fc.assert(
      fc.property(fc.array(mutationArb(hot), { minLength: 1, maxLength: 4 }), (ms) => {
        checkAll(mutate(tiny, ms));
      }),
      params(300),
    );
  });

  it('byte mutations of the shipped weights', () => {
    const { headerLen } = explode(shipped);
    const hot: Array<[number, number]> = [
      [0, 8],
      [8, 8 + headerLen],
    ];
    fc.assert(
      fc.property(fc.array(mutationArb(hot), { minLength: 1, maxLength: 3 }), (ms) => {
        const b = mutate(shipped, ms);
        expectOnlyDiffPoseErrors(() => parseModelWeights(b), CODES);
      }),
      params(25),
    );
  });

  it('header edits: forged offsets, dtypes, shapes, keys, metadata, config, nesting, framing', () => {
    fc.assert(
      fc.property(fc.array(editArb, { minLength: 1, maxLength: 4 }), framingArb, (edits, f) => {
        checkAll(frame(editHeader(tinyParts.header, edits), tinyParts.data, f));
      }),
      params(400),
    );
  });

  describe('regression and targeted cases', () => {
    const data = tinyParts.data;
    const h = () => JSON.parse(JSON.stringify(tinyParts.header)) as Record<string, any>;
    const first = Object.keys(tinyParts.header).find((k) => k !== '__metadata__')!;
    const expectWeightsError = (bytes: Uint8Array, pattern: RegExp) => {
      const r = expectOnlyDiffPoseErrors(() => parseModelWeights(bytes), CODES);
      expect(r.ok, 'expected a WeightsError').to.equal(false);
      if (!r.ok) expect(r.error.message).to.match(pattern);
    };

    it('a forged 2^40 (and 2^53, 2^64-1) header length fails at once, allocating nothing', () => {
      for (const len of [1n << 40n, 1n << 53n, (1n << 64n) - 1n, 1n << 63n]) {
        const bytes = withLength(len, new TextEncoder().encode(JSON.stringify(h())), data);
        const started = performance.now();
        const grown = arrayBufferGrowth(() => {
          expect(() => parseSafetensors(bytes)).to.throw(WeightsError, /header length \d+ does not fit/);
        });
        expect(performance.now() - started).to.be.lessThan(50);
        expect(grown).to.be.lessThan(1 << 20);
      }
    });

    it('a forged data_offsets / shape of 2^40 elements fails before any allocation', () => {
      const hdr = h();
      hdr[first] = { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] };
      const bytes = assemble(JSON.stringify(hdr), data);
      const grown = arrayBufferGrowth(() => {
        expect(() => parseSafetensors(bytes)).to.throw(WeightsError, /data ends at byte 4398046511104/);
      });
      expect(grown).to.be.lessThan(1 << 20);
    });

    it('shape products that overflow 2^53 or do not match the byte span', () => {
      const hdr = h();
      hdr[first] = { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30, 0], data_offsets: [0, 4] };
      expectWeightsError(assemble(JSON.stringify(hdr), data), /span 4 bytes but shape/);
      hdr[first] = { dtype: 'F16', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 2 ** 81] };
      expectWeightsError(assemble(JSON.stringify(hdr), data), /data_offsets must be \[begin, end\]/);
      hdr[first] = { dtype: 'F16', shape: [2 ** 25, 2 ** 25, 2], data_offsets: [0, 2 ** 52] };
      expectWeightsError(assemble(JSON.stringify(hdr), data), /data ends at byte 4503599627370496/);
    });

    it('dtype names that are Object.prototype members ("toString", "constructor", "__proto__") are unsupported dtypes', () => {
      for (const dtype of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
        const hdr = h();
        hdr[first].dtype = dtype;
        expectWeightsError(assemble(JSON.stringify(hdr), data), /dtype "[a-zA-Z_]+" is not supported/);
      }
    });

    it('an overlap hidden behind an empty tensor is still an overlap', () => {
      // [0, 64) overlaps [16, 32); an empty tensor at 0 sorted between them used to hide it.
      const hdr: Record<string, unknown> = {
        'lifter.a': { dtype: 'F32', shape: [16], data_offsets: [0, 64] },
        'lifter.b': { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
        'lifter.c': { dtype: 'F32', shape: [4], data_offsets: [16, 32] },
      };
      expect(() => parseSafetensors(assemble(JSON.stringify(hdr), new Uint8Array(64)))).to.throw(
        WeightsError,
        /overlap/,
      );
    });

    it('a "__proto__" metadata key is kept as data and changes no prototype', () => {
      const text = JSON.stringify(h()).replace(
        '"__metadata__":{',
        '"__metadata__":{"__proto__":"x","constructor":"y",',
      );
      const f = parseSafetensors(assemble(text, data));
      expect(Object.getPrototypeOf(f.metadata)).to.equal(Object.prototype);
      expect(
        f.metadata.__proto__ === 'x' || Object.getOwnPropertyDescriptor(f.metadata, '__proto__')?.value === 'x',
      ).to.equal(true);
      expect(f.metadata.constructor).to.equal('y');
      expect(parseModelWeights(assemble(text, data)).config.lifter.hidden).to.equal(16);
    });

    it('JSON syntax errors, deep nesting and names with control characters give one-line messages', () => {
      expectWeightsError(assemble('{"a":\n x\n}', data), /not valid JSON/);
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      for (const f of ['dtype', 'shape', 'data_offsets']) {
        const text = JSON.stringify(h()).replace(`"${f}":`, `"${f}":${deep},"x${f}":`);
        expectWeightsError(assemble(text, data), /tensor|dtype|shape|data_offsets/);
      }
      const hdr = h();
      hdr['lifter.\n\u001b[31mevil'] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
      expectWeightsError(assemble(JSON.stringify(hdr), data), /evil/);
      const meta = h();
      meta.__metadata__['diffpose.config'] = deep;
      expectWeightsError(assemble(JSON.stringify(meta), data), /config/);
      meta.__metadata__['diffpose.config'] = '{"format": 1,\n "joints": x}';
      expectWeightsError(assemble(JSON.stringify(meta), data), /not valid JSON/);
    });

    it('a non-UTF-8 header', () => {
      const text = new TextEncoder().encode(JSON.stringify(h()));
      expectWeightsError(
        assemble(concat(text.subarray(0, 10), Uint8Array.from([0xff, 0xfe]), text.subarray(10)), data),
        /not valid JSON/,
      );
    });

    it('each case stays well under the per-case limit on the shipped file', () => {
      const started = performance.now();
      parseModelWeights(shipped);
      expect(performance.now() - started).to.be.lessThan(CASE_MS);
    });
  });
});
