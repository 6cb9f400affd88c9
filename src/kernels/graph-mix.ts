import { InputError } from '../errors.js';
import { checkU32 } from './checks.js';
import {
  bindKernel,
  type BindingSpec,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
  type ParamField,
} from './kernel.js';
import { LIB } from './libs.js';

/** x [B, 17, C] -> y [B, 17, P*C] with P fixed 17x17 matrices (src/model/graph-mix.ts). */
export interface GraphMixParams {
  channels: number;
  /** P: 3 Chebyshev matrices for a ChebConv, 1 (Lhat) for the LAM graph conv. */
  mats: number;
}

const BINDINGS: readonly BindingSpec[] = [
  { binding: 0, name: 'params', kind: 'uniform' },
  { binding: 1, name: 'x', kind: 'read-only-storage' },
  { binding: 2, name: 'mats', kind: 'read-only-storage' },
  { binding: 3, name: 'y', kind: 'storage' },
];

const PARAMS: readonly ParamField[] = [
  { name: 'channels', type: 'u32' },
  { name: 'mats', type: 'u32' },
];

function values(kernel: string, p: GraphMixParams): Record<string, number> {
  return { channels: checkU32(kernel, 'channels', p.channels, 1), mats: checkU32(kernel, 'mats', p.mats, 1) };
}

/** Any C: one invocation per (item, channel). */
export const GRAPH_MIX: KernelDescriptor<GraphMixParams> = {
  name: 'graph_mix',
  shader: 'graph-mix.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'graph_mix',
  bindings: BINDINGS,
  params: PARAMS,
  paramValues: (p) => values('graph_mix', p),
  workgroupSize: 64,
  invocations: (p, run) => run.batch * p.channels,
};

/** C a multiple of 4: one invocation per (item, 4 channels); about twice as fast on lavapipe. */
export const GRAPH_MIX_VEC4: KernelDescriptor<GraphMixParams> = {
  name: 'graph_mix_vec4',
  shader: 'graph-mix-vec4.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'graph_mix_vec4',
  bindings: BINDINGS,
  params: PARAMS,
  paramValues(p) {
    if (p.channels % 4 !== 0)
      throw new InputError(
        `graph_mix_vec4: channels must be a multiple of 4, got ${p.channels} (use graphMixKernel(channels))`,
      );
    return values('graph_mix_vec4', p);
  },
  workgroupSize: 64,
  invocations: (p, run) => run.batch * (p.channels / 4),
};

/** The graph-mix kernel for a channel count: the vec4 one when it can, else the scalar one. */
export function graphMixKernel(channels: number): KernelDescriptor<GraphMixParams> {
  return channels % 4 === 0 ? GRAPH_MIX_VEC4 : GRAPH_MIX;
}

export interface GraphMixBuffers {
  params: BufferResource;
  /** [B, 17, C] */
  x: BufferResource;
  /** [P, 17, 17] */
  mats: BufferResource;
  /** [B, 17, P*C] */
  y: BufferResource;
}

export function bindGraphMix(
  kernel: KernelPipeline<GraphMixParams>,
  p: GraphMixParams,
  b: GraphMixBuffers,
  label?: string,
): BoundKernel<GraphMixParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
