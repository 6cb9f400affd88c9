// Sinusoidal embedding of an integer diffusion step (model-spec §2, step-embedding.ref.ts).

const LN_10000: f32 = 9.210340371976184;

// 2 pi split for Cody-Waite range reduction: HI has few significant bits, so n * HI is exact.
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_LO: f32 = 0.0019353071795864769;

// (sin, cos) of t * f_k with f_k = exp(-k ln(10000) / (half - 1)). The argument is reduced to
// [-pi, pi] first: GPUs only promise sin/cos accuracy there, and t * f_0 = t reaches 50+.
fn step_embedding_pair(t: f32, k: u32, half: u32) -> vec2<f32> {
  let f = exp(-f32(k) * LN_10000 / f32(half - 1u));
  let arg = t * f;
  let n = round(arg * (1.0 / 6.283185307179586));
  let r = (arg - n * TWO_PI_HI) - n * TWO_PI_LO;
  return vec2<f32>(sin(r), cos(r));
}
