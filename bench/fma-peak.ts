import { readFileSync } from 'node:fs';
import { InputError } from '../src/errors.js';
import { checkU32 } from '../src/kernels/checks.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from '../src/kernels/kernel.js';
import { LIB } from '../src/kernels/libs.js';

/**
 * Benchmark-only: `iterations` loop trips of FMA_PEAK_STEPS steps acc = fma(acc, a, b) on 16 f32
 * lanes per invocation, one invocation per run.batch item, each storing the sum of its lanes
 * (fma-peak.ref.ts).
 */
export interface FmaPeakParams {
  iterations: number;
  /** In [0, 1), so that the lanes converge to b / (1 - a) instead of overflowing. */
  a: number;
  /** A positive normal f32, so that no lane goes denormal (CPU drivers slow down on those). */
  b: number;
}

/** f32 lanes per invocation: four vec4 accumulators. */
export const FMA_PEAK_LANES = 16;
/** Steps of every lane per loop trip. */
export const FMA_PEAK_STEPS = 4;

/** Values the benchmark uses: the fixed point is 1, near the start values. */
export const FMA_PEAK_DEFAULTS = { a: 0.999, b: 0.001 } as const;

const MIN_NORMAL_F32 = 2 ** -126;

export const FMA_PEAK: KernelDescriptor<FmaPeakParams> = {
  name: 'fma_peak',
  shader: 'fma-peak.wgsl',
  // Benchmark-only: not in the shipped shader bundle.
  source: readFileSync(new URL('./fma-peak.wgsl', import.meta.url), 'utf8'),
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'fma_peak',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'sums', kind: 'storage' },
  ],
  params: [
    { name: 'iterations', type: 'u32' },
    { name: 'a', type: 'f32' },
    { name: 'b', type: 'f32' },
  ],
  paramValues(p) {
    const iterations = checkU32('fma_peak', 'iterations', p.iterations);
    if (!(p.a >= 0 && p.a < 1)) throw new InputError(`fma_peak: a must be in [0, 1), got ${p.a}`);
    // 1e30 leaves room for the sum of the lanes below the f32 maximum.
    if (!(p.b >= MIN_NORMAL_F32 && p.b / (1 - p.a) < 1e30)) {
      throw new InputError(`fma_peak: b must be a positive normal f32 with b / (1 - a) < 1e30, got b = ${p.b}`);
    }
    return { iterations, a: p.a, b: p.b };
  },
  workgroupSize: 64,
  invocations: (_p, run) => run.batch,
};

export interface FmaPeakBuffers {
  params: BufferResource;
  /** [batch] f32: each invocation's sum of its lanes. */
  sums: BufferResource;
}

export function bindFmaPeak(
  kernel: KernelPipeline<FmaPeakParams>,
  p: FmaPeakParams,
  b: FmaPeakBuffers,
  label?: string,
): BoundKernel<FmaPeakParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
