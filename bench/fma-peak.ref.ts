import { FMA_PEAK_LANES, FMA_PEAK_STEPS } from './fma-peak.js';

const f = Math.fround;

/**
 * What bench/fma-peak.wgsl stores for invocations [0, count): each lane starts at
 * (id % 64) / 64 + lane / 32, takes `iterations` x FMA_PEAK_STEPS steps of x = a x + b, and the
 * 16 lanes are summed in the shader's order. Every step rounds the product and the sum separately; a GPU
 * that fuses them differs by at most an ulp per step (see the parity test's tolerance).
 */
export function fmaPeakRef(count: number, iterations: number, a: number, b: number): Float32Array {
  const fa = f(a);
  const fb = f(b);
  const out = new Float32Array(count);
  const lanes = new Float64Array(FMA_PEAK_LANES);
  for (let id = 0; id < count; id++) {
    for (let lane = 0; lane < FMA_PEAK_LANES; lane++) lanes[lane] = (id % 64) / 64 + lane / 32;
    for (let i = 0; i < iterations * FMA_PEAK_STEPS; i++) {
      for (let lane = 0; lane < FMA_PEAK_LANES; lane++) lanes[lane] = f(f(lanes[lane] * fa) + fb);
    }
    // Lane 4k + c is component c of accumulator k; the shader adds accumulators pairwise
    // (0+1)+(2+3), then the components (x+y)+(z+w).
    const s = [0, 1, 2, 3].map((c) => {
      const acc = (k: number) => lanes[4 * k + c];
      return f(f(acc(0) + acc(1)) + f(acc(2) + acc(3)));
    });
    out[id] = f(f(s[0] + s[1]) + f(s[2] + s[3]));
  }
  return out;
}
