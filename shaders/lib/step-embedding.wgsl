// Sinusoidal embedding of an integer diffusion step (model-spec §2, src/model/step-embedding.ts).
// Needs lib/math.wgsl.

// (sin, cos) of t f_k with f_k = exp(-k * freq_step), freq_step = ln(10000) / (half - 1)
// rounded to f32 on the host: the same f32 steps as PyTorch's exp(arange(half) * -emb).
// cos_sin reduces the argument itself: driver sin/cos are only accurate on [-pi, pi], and
// t f_0 = t reaches 50 and more.
fn step_embedding_pair(t: f32, k: u32, freq_step: f32) -> vec2<f32> {
  let f = exp(f32(k) * -freq_step);
  return cos_sin(t * f).yx;
}
