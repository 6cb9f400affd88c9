/** IEEE binary16 conversions (Node 20 has no Math.f16round / Float16Array). */

/** A binary16 bit pattern to its value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The largest finite binary16 value. */
export const HALF_MAX = 65504;

/**
 * A number to the nearest binary16 bit pattern (ties to even), subnormals included; beyond
 * HALF_MAX it gives infinity, so callers check the range first.
 */
export function floatToHalf(v: number): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (Number.isNaN(v)) return 0x7e00;
  if (a >= 65520) return sign | 0x7c00; // rounds past HALF_MAX
  if (a < 2 ** -14) {
    // Subnormal: a multiple of 2^-24, rounded to even.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp -= 1; // log2 rounding near powers of two
  if (2 ** (exp + 1) <= a) exp += 1;
  let frac = roundHalfEven((a / 2 ** exp - 1) * 1024);
  if (frac === 1024) {
    frac = 0;
    exp += 1;
  }
  return sign | ((exp + 15) << 10) | frac;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x),
    r = x - f;
  return r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
}
