import { InputError } from '../errors.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { checkU32 } from './checks.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/** Multi-head self-attention over the joints, without projections (src/model/attention.ts). */
export interface AttentionParams {
  /** Model width; the packed input has 3d channels (Q | K | V). */
  d: number;
  /** Heads; must divide d. */
  heads: number;
}

export const ATTENTION: KernelDescriptor<AttentionParams> = {
  name: 'attention',
  shader: 'attention.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'attention',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'qkv', kind: 'read-only-storage' },
    { binding: 2, name: 'out', kind: 'storage' },
  ],
  params: [
    { name: 'd', type: 'u32' },
    { name: 'heads', type: 'u32' },
  ],
  paramValues(p) {
    const d = checkU32('attention', 'd', p.d, 1);
    const heads = checkU32('attention', 'heads', p.heads, 1);
    if (d % heads !== 0) throw new InputError(`attention: heads (${heads}) must divide d (${d})`);
    return { d, heads };
  },
  workgroupSize: 64,
  invocations: (p, run) => run.batch * p.heads * NUM_JOINTS,
};

export interface AttentionBuffers {
  params: BufferResource;
  /** [B, 17, 3d] */
  qkv: BufferResource;
  /** [B, 17, d] */
  out: BufferResource;
}

export function bindAttention(
  kernel: KernelPipeline<AttentionParams>,
  p: AttentionParams,
  b: AttentionBuffers,
  label?: string,
): BoundKernel<AttentionParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
