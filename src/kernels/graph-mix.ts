import { NUM_JOINTS } from '../pose/skeleton.js';
import { checkU32 } from './checks.js';
import { bindKernel, type BoundKernel, type BufferResource, type KernelDescriptor, type KernelPipeline } from './kernel.js';
import { LIB } from './libs.js';

/** x [B, 17, C] -> y [B, 17, P*C] with P fixed 17x17 matrices (graph-mix.ref.ts). */
export interface GraphMixParams {
  channels: number;
  /** P: 3 Chebyshev matrices for a ChebConv, 1 (Lhat) for the LAM graph conv. */
  mats: number;
}

export const GRAPH_MIX: KernelDescriptor<GraphMixParams> = {
  name: 'graph_mix',
  shader: 'graph-mix.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'graph_mix',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'x', kind: 'read-only-storage' },
    { binding: 2, name: 'mats', kind: 'read-only-storage' },
    { binding: 3, name: 'y', kind: 'storage' },
  ],
  params: [
    { name: 'channels', type: 'u32' },
    { name: 'mats', type: 'u32' },
  ],
  paramValues: (p) => ({
    channels: checkU32('graph_mix', 'channels', p.channels, 1),
    mats: checkU32('graph_mix', 'mats', p.mats, 1),
  }),
  workgroupSize: 64,
  invocations: (p, run) => run.batch * p.channels,
};

export interface GraphMixBuffers {
  params: BufferResource;
  /** [B, 17, C] */
  x: BufferResource;
  /** [P, 17, 17] */
  mats: BufferResource;
  /** [B, 17, P*C] */
  y: BufferResource;
}

export function bindGraphMix(kernel: KernelPipeline<GraphMixParams>, p: GraphMixParams, b: GraphMixBuffers, label?: string): BoundKernel<GraphMixParams> {
  return bindKernel(kernel, p, { ...b }, label);
}

/** Floats of the mats buffer for P matrices. */
export function graphMixMatsLength(p: GraphMixParams): number {
  return p.mats * NUM_JOINTS * NUM_JOINTS;
}
