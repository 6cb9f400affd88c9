import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { DiffPoseError } from '../../src/errors.js';

/**
 * Shared pieces of the property-based fuzzers (test/fuzz/*.fuzz.test.ts).
 *
 * The CI budget is small and fixed: a fixed seed and a few hundred runs per property, so
 * `npm test` stays fast and deterministic. Locally, shake harder with e.g.
 *   FUZZ_RUNS=20000 FUZZ_SEED=$RANDOM npx mocha test/fuzz/*.test.ts
 * A failure prints fast-check's seed and path; replay it with FUZZ_SEED and the printed path
 * (FUZZ_PATH), then keep the input as a named regression case.
 */

export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0x5eed;

/** Runs of a property: FUZZ_RUNS when set, else the CI default. */
export function runs(ciDefault: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciDefault;
}

/** fast-check parameters for one property. */
export function params(ciRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: runs(ciRuns), path: process.env.FUZZ_PATH };
}

/** A case slower than this is a hang. Generous: the development machine is 2 shared cores. */
export const CASE_MS = Number(process.env.FUZZ_CASE_MS ?? 1500);

/** A message the CLI can print as one line: no control characters, no line separators. */
export const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export type Outcome = { ok: true; value: unknown } | { ok: false; error: DiffPoseError };

/**
 * Runs `fn` and checks the contract for hostile input: it returns, or throws a DiffPoseError
 * with one of `codes` and a one-line message, within CASE_MS. Anything else (a TypeError, a
 * RangeError from a forged length or from recursion, a multi-line message, a slow case) fails
 * the property with the original error attached.
 */
export function expectOnlyDiffPoseErrors(fn: () => unknown, codes: readonly string[]): Outcome {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof DiffPoseError)) {
      const err = e as Error;
      throw new Error(
        `threw ${err?.constructor?.name ?? typeof e}, not a DiffPoseError: ${err?.message}\n${err?.stack ?? ''}`,
      );
    }
    if (!codes.includes(e.code))
      throw new Error(`DiffPoseError with code ${e.code}, expected one of ${codes.join(', ')}: ${e.message}`);
    if (NOT_ONE_LINE.test(e.message))
      throw new Error(`error message is not one printable line: ${JSON.stringify(e.message)}`);
    outcome = { ok: false, error: e };
  }
  const ms = performance.now() - started;
  if (ms > CASE_MS) throw new Error(`case took ${ms.toFixed(0)} ms (limit ${CASE_MS} ms): a hang`);
  return outcome;
}

export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/${path}`, import.meta.url)));
}

// ---------------------------------------------------------------------------------------
// Byte-level mutations

/** Values that break length and offset arithmetic. */
export const INTERESTING_U32 = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];
export const INTERESTING_U64 = [
  0n,
  1n,
  8n,
  0xffffffffn,
  1n << 32n,
  1n << 40n,
  (1n << 53n) - 1n,
  1n << 53n,
  (1n << 53n) + 1n,
  1n << 63n,
  (1n << 64n) - 1n,
  (1n << 64n) - 8n,
];

/** A position: a fraction of a byte range (`range`, clipped to the file, or the whole file). */
export interface Pos {
  frac: number;
  range?: [number, number];
}

export type Mutation =
  | { kind: 'flip'; at: Pos; bit: number }
  | { kind: 'byte'; at: Pos; value: number }
  | { kind: 'u16'; at: Pos; value: number }
  | { kind: 'u32'; at: Pos; value: number }
  | { kind: 'u64'; at: Pos; value: bigint }
  | { kind: 'truncate'; at: Pos }
  | { kind: 'delete'; at: Pos; length: number }
  | { kind: 'insert'; at: Pos; bytes: Uint8Array }
  | { kind: 'copy'; from: Pos; to: Pos; length: number };

/**
 * Mutations of a file; positions are drawn from `hot` (byte ranges where the structure is,
 * e.g. a header or a directory) half of the time, from anywhere otherwise.
 */
export function mutationArb(hot: Array<[number, number]> = []): fc.Arbitrary<Mutation> {
  const anywhere: fc.Arbitrary<Pos> = fc.nat({ max: 0x7fffffff }).map((n) => ({ frac: n / 0x80000000 }));
  const at: fc.Arbitrary<Pos> = hot.length
    ? fc.oneof(
        anywhere,
        fc
          .tuple(fc.constantFrom(...hot), fc.nat({ max: 0x7fffffff }))
          .map(([range, n]) => ({ frac: n / 0x80000000, range })),
      )
    : anywhere;
  const u32 = fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat({ max: 0xffffffff }));
  const u16 = fc.oneof(fc.constantFrom(0, 1, 0x7fff, 0x8000, 0xffff), fc.nat({ max: 0xffff }));
  const u64 = fc.oneof(fc.constantFrom(...INTERESTING_U64), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({
      kind: fc.constant('byte' as const),
      at,
      value: fc.oneof(fc.constantFrom(0, 0x0a, 0x2e, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })),
    }),
    fc.record({ kind: fc.constant('u16' as const), at, value: u16 }),
    fc.record({ kind: fc.constant('u32' as const), at, value: u32 }),
    fc.record({ kind: fc.constant('u64' as const), at, value: u64 }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.nat({ max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ maxLength: 32 }) }),
    fc.record({ kind: fc.constant('copy' as const), from: at, to: at, length: fc.nat({ max: 256 }) }),
  );
}

function resolve(p: Pos, length: number): number {
  const [lo, hi] = p.range ?? [0, length];
  const a = Math.min(lo, length);
  const b = Math.min(hi, length);
  return Math.min(length, a + Math.floor(p.frac * Math.max(0, b - a)));
}

/** Applies mutations in order to a copy of `base`. */
export function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = base.slice();
  for (const m of mutations) {
    const n = b.length;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (m.kind) {
      case 'flip': {
        const i = resolve(m.at, n);
        if (i < n) b[i] ^= 1 << m.bit;
        break;
      }
      case 'byte': {
        const i = resolve(m.at, n);
        if (i < n) b[i] = m.value;
        break;
      }
      case 'u16': {
        const i = resolve(m.at, n);
        if (i + 2 <= n) view.setUint16(i, m.value, true);
        break;
      }
      case 'u32': {
        const i = resolve(m.at, n);
        if (i + 4 <= n) view.setUint32(i, m.value, true);
        break;
      }
      case 'u64': {
        const i = resolve(m.at, n);
        if (i + 8 <= n) view.setBigUint64(i, m.value, true);
        break;
      }
      case 'truncate':
        b = b.slice(0, resolve(m.at, n));
        break;
      case 'delete': {
        const i = resolve(m.at, n);
        b = concat(b.subarray(0, i), b.subarray(Math.min(n, i + m.length)));
        break;
      }
      case 'insert': {
        const i = resolve(m.at, n);
        b = concat(b.subarray(0, i), m.bytes, b.subarray(i));
        break;
      }
      case 'copy': {
        const from = resolve(m.from, n);
        const to = resolve(m.to, n);
        const len = Math.min(m.length, n - from, n - to);
        if (len > 0) b.copyWithin(to, from, from + len);
        break;
      }
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes of an ArrayBuffer that a case allocated beyond the input, measured around `fn` (after GC when exposed). */
export function arrayBufferGrowth(fn: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  try {
    fn();
  } catch {
    /* the outcome is checked elsewhere */
  }
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  return peak - before;
}
