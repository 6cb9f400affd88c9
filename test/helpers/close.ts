/** Asserts |actual - expected| <= atol + rtol |expected| everywhere; the message names the first mismatches. */
export function expectClose(
  actual: Float32Array | Float64Array,
  expected: Float32Array | Float64Array,
  atol = 1e-4,
  rtol = 1e-3,
  what = 'values',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  const bad: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ok = err <= atol + rtol * Math.abs(expected[i]);
    if (!ok || Number.isNaN(actual[i]) !== Number.isNaN(expected[i])) {
      count++;
      if (bad.length < 5) bad.push(`[${i}] got ${actual[i]} want ${expected[i]}`);
    }
    if (err > worst) worst = err;
  }
  if (count > 0)
    throw new Error(
      `${what}: ${count}/${actual.length} outside tolerance (max abs err ${worst}); first: ${bad.join(', ')}`,
    );
}

/** Deterministic pseudo-random floats in [lo, hi) for test inputs (mulberry32). */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}
