// Shared inputs of the RNG kernel tests.
import { randomFloats } from '../helpers/close.js';

/** Deterministic u32 values (the mulberry32 words behind randomFloats). */
export function randomU32(n: number, seed: number): Uint32Array {
  const f = randomFloats(n, seed, 0, 1);
  return Uint32Array.from(f, (v) => Math.floor(v * 4294967296) >>> 0);
}

/** The u32 words of `a`, to compare floats bit for bit. */
export function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Index of the first differing word, or -1. */
export function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
