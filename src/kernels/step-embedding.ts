import { InputError } from '../errors.js';
import { checkU32 } from './checks.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/** The sinusoidal embedding e(t) [d] of one diffusion step (src/model/step-embedding.ts); no batch. */
export interface StepEmbeddingParams {
  /** The step: an integer in [0, 2^24). */
  t: number;
  /** Embedding length: even and >= 4 (d = 2 divides by half - 1 = 0). */
  d: number;
}

export const STEP_EMBEDDING: KernelDescriptor<StepEmbeddingParams> = {
  name: 'step_embedding',
  shader: 'step-embedding.wgsl',
  libs: [LIB.dispatch, LIB.math, LIB.stepEmbedding],
  entryPoint: 'step_embedding',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'embedding', kind: 'storage' },
  ],
  params: [
    { name: 't', type: 'f32' },
    { name: 'd', type: 'u32' },
    { name: 'freq_step', type: 'f32' },
  ],
  paramValues(p) {
    const t = checkU32('step_embedding', 't', p.t);
    if (t >= 2 ** 24) throw new InputError(`step_embedding: t must be below 2^24 (exact in f32), got ${t}`);
    const d = checkU32('step_embedding', 'd', p.d, 4);
    if (d % 2 !== 0) throw new InputError(`step_embedding: d must be even, got ${d}`);
    // Divided in f64 and rounded once, like PyTorch's `math.log(10000) / (half_dim - 1)` scalar.
    return { t, d, freq_step: Math.log(10000) / (d / 2 - 1) };
  },
  workgroupSize: 64,
  invocations: (p) => p.d / 2,
};

export interface StepEmbeddingBuffers {
  params: BufferResource;
  /** [d] */
  embedding: BufferResource;
}

export function bindStepEmbedding(
  kernel: KernelPipeline<StepEmbeddingParams>,
  p: StepEmbeddingParams,
  b: StepEmbeddingBuffers,
  label?: string,
): BoundKernel<StepEmbeddingParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
