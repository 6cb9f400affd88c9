// Philox4x32-10 (Salmon et al., SC'11), bit for bit the same as src/model/philox.ts:
// every random number is a pure function of (key, counter), so the samples of a
// (pose, hypothesis, joint) never depend on batch size or dispatch layout.

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

// The engine's random streams, the 4th counter word: RNG_STREAM_* of the generated prelude
// (RNG_STREAM in src/kernels/wgsl-constants.ts).

// High (x) and low (y) words of the 64-bit product a * b. WGSL has no widening multiply, so
// the high word is assembled from 16-bit halves; every partial sum fits in 32 bits.
fn philox_mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
  let lo = a * b;
  let a_h = a >> 16u;
  let a_l = a & 0xffffu;
  let b_h = b >> 16u;
  let b_l = b & 0xffffu;
  let ll = a_l * b_l;
  let lh = a_l * b_h;
  let hl = a_h * b_l;
  let hh = a_h * b_h;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, lo);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let p0 = philox_mul_hi_lo(PHILOX_M0, c.x);
    let p1 = philox_mul_hi_lo(PHILOX_M1, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// The random block of one (pose, hypothesis, joint) in one stream.
fn rng_block(key: vec2<u32>, pose: u32, hypothesis: u32, joint: u32, stream: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(pose, hypothesis, joint, stream), key);
}

// A u32 to a float in (0, 1]: 24 random bits, never 0 so that log() is finite. Exact in f32.
fn unit_open0(u: u32) -> f32 {
  return f32((u >> 8u) + 1u) * (1.0 / 16777216.0);
}

// Four standard normals from one block: two Box-Muller pairs, in f32 like normals4() of the
// reference. log and cos/sin come from lib/math.wgsl (needed with this file), so every driver
// gives the same normals to a few ulp; the angle 2 pi u2 is reduced exactly from u2's integer.
fn normals4(bits: vec4<u32>) -> vec4<f32> {
  let r0 = sqrt(-2.0 * log_positive(unit_open0(bits.x)));
  let r1 = sqrt(-2.0 * log_positive(unit_open0(bits.z)));
  let a0 = cos_sin_turn24((bits.y >> 8u) + 1u);
  let a1 = cos_sin_turn24((bits.w >> 8u) + 1u);
  return vec4<f32>(r0 * a0, r1 * a1);
}
