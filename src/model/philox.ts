/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
 * counter-based generator, so every random number is a pure function of (key, counter) and the
 * samples of a (pose, hypothesis, joint) never depend on batch size or dispatch layout.
 * shaders/lib/philox.wgsl is the same algorithm, bit for bit.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High and low 32 bits of a 32x32 -> 64-bit unsigned product. */
function mulHiLo(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b) >>> 0;
  const aH = a >>> 16,
    aL = a & 0xffff,
    bH = b >>> 16,
    bL = b & 0xffff;
  const ll = aL * bL,
    lh = aL * bH,
    hl = aH * bL,
    hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, lo];
}

export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulHiLo(M0, c0);
    const [hi1, lo1] = mulHiLo(M1, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** A u32 to a float in (0, 1]: 24 random bits, never 0 so that log() is finite. */
export function unitOpen0(u: number): number {
  return Math.fround(((u >>> 8) + 1) * (1 / 16777216));
}

/**
 * Four standard normals from one Philox block (two Box-Muller pairs). Computed in f32 steps
 * like the WGSL, so CPU and GPU differ only by the rounding of log/cos/sin.
 */
export function normals4(bits: readonly [number, number, number, number]): [number, number, number, number] {
  const out: number[] = [];
  for (let p = 0; p < 2; p++) {
    const u1 = unitOpen0(bits[2 * p]);
    const u2 = unitOpen0(bits[2 * p + 1]);
    const r = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
    const theta = Math.fround(2 * Math.PI * u2);
    out.push(Math.fround(r * Math.cos(theta)), Math.fround(r * Math.sin(theta)));
  }
  return out as [number, number, number, number];
}

/**
 * The engine's random streams. Counter = (pose, hypothesis, joint, stream): pose is the index in
 * the caller's whole batch (not a chunk), so results do not depend on chunking.
 */
export const RNG_STREAM = {
  /** x: uniform picking the mixture component. */
  component: 0,
  /** 4 normals: uv sample (2), then the forward noise of u, v. */
  initUv: 1,
  /** 4 normals: forward noise of x, y, z (the 4th unused). */
  initXyz: 2,
  /** DDIM step i uses streams ddimBase + 2i (channels 0..3) and ddimBase + 2i + 1 (channel 4). */
  ddimBase: 3,
} as const;

export function seedKey(seed: number): [number, number] {
  // Seeds are integers in [0, 2^53); split into two u32 words.
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}
