// Transcendental functions built from basic IEEE operations only, for values that must agree
// across drivers (the random normals, the step embedding). Vulkan lets sin/cos be off by 2^-11
// absolute (and promises nothing outside [-pi, pi]) and log by 2^-21 absolute near 1;
// SwiftShader uses that latitude (measured: 7e-4 on Box-Muller normals). These stay within a
// few ulp of the correctly rounded result on every driver. Polynomials from Cephes (sinf, cosf).

// pi / 2 in three parts with few significant bits each, so n * PIO2_1 and n * PIO2_2 are exact
// for |n| < 2^11: Cody-Waite reduction of arguments up to ~3000.
const PIO2_1: f32 = 1.5703125;
const PIO2_2: f32 = 4.837512969970703125e-4;
const PIO2_3: f32 = 7.54978995489188216e-8;
const TWO_OVER_PI: f32 = 0.6366197723675814;

// ln 2 in two parts for log: e * LN2_HI is exact for |e| < 2^15.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

// (cos a, sin a) for |a| <= pi / 4.
fn cos_sin_quarter(a: f32) -> vec2<f32> {
  let z = a * a;
  let s = a + a * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
  let c = 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
  return vec2<f32>(c, s);
}

// (cos, sin) of a + q pi / 2, given cs = (cos a, sin a).
fn rotate_quadrant(cs: vec2<f32>, q: u32) -> vec2<f32> {
  switch q & 3u {
    case 1u: { return vec2<f32>(-cs.y, cs.x); }
    case 2u: { return -cs; }
    case 3u: { return vec2<f32>(cs.y, -cs.x); }
    default: { return cs; }
  }
}

// (cos x, sin x) for |x| up to ~3000.
fn cos_sin(x: f32) -> vec2<f32> {
  let n = round(x * TWO_OVER_PI);
  let r = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_3;
  return rotate_quadrant(cos_sin_quarter(r), u32(i32(n) & 3));
}

// (cos, sin) of the angle 2 pi m / 2^24 for an integer m in [0, 2^24]: the quadrant and the
// remainder come from the integer exactly, so there is no reduction error at all.
fn cos_sin_turn24(m: u32) -> vec2<f32> {
  let q = (m + (1u << 21u)) >> 22u;                 // nearest quarter turn, 0..4
  let rem = i32(m) - i32(q << 22u);                 // in [-2^21, 2^21]
  let a = f32(rem) * (6.283185307179586 / 16777216.0); // |a| <= pi / 4
  return rotate_quadrant(cos_sin_quarter(a), q);
}

// Natural log of a positive normal x: x = 2^e f with f in [sqrt(1/2), sqrt(2)), then
// log f = 2 atanh(s), s = (f - 1) / (f + 1), |s| < 0.172, as a series in s^2. f - 1 is exact,
// so the result keeps its relative precision near x = 1 (where driver logs lose it).
fn log_positive(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var f = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (f > 1.4142135623730951) {
    f = 0.5 * f;
    e += 1;
  }
  let s = (f - 1.0) / (f + 1.0);
  let z = s * s;
  let series = 1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0))));
  let ef = f32(e);
  return ef * LN2_HI + (ef * LN2_LO + 2.0 * s * series);
}
