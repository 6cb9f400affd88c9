/**
 * Sinusoidal embedding of an integer diffusion step (model-spec §2): half = d/2,
 * f_k = exp(-k ln(10000) / (half - 1)), e(t) = [sin(t f_k) for k, cos(t f_k) for k].
 */
export function stepEmbeddingRef(t: number, d: number): Float32Array {
  const half = d / 2;
  const e = new Float32Array(d);
  for (let k = 0; k < half; k++) {
    // f32 frequencies, as the GPU and PyTorch compute them, so t * f matches for t up to ~1000.
    const f = Math.fround(Math.exp((-k * Math.log(10000)) / (half - 1)));
    const arg = Math.fround(t * f);
    e[k] = Math.sin(arg);
    e[half + k] = Math.cos(arg);
  }
  return e;
}
