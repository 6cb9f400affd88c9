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

/** DiffPose's LayerNorm over the channels of every row of [batch * 17, C] (src/model/layer-norm.ts). */
export interface LayerNormParams {
  /** C >= 2 (the std is unbiased). */
  channels: number;
}

export const LAYER_NORM: KernelDescriptor<LayerNormParams> = {
  name: 'layer_norm',
  shader: 'layer-norm.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'layer_norm',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'x', kind: 'read-only-storage' },
    { binding: 2, name: 'gain', kind: 'read-only-storage' },
    { binding: 3, name: 'shift', kind: 'read-only-storage' },
    { binding: 4, name: 'y', kind: 'storage' },
  ],
  params: [{ name: 'channels', type: 'u32' }],
  paramValues: (p) => ({ channels: checkU32('layer_norm', 'channels', p.channels, 2) }),
  workgroupSize: 64,
  invocations: (_p, run) => run.batch * NUM_JOINTS,
};

export interface LayerNormBuffers {
  params: BufferResource;
  /** [rows, C] */
  x: BufferResource;
  /** a_2 [C] */
  gain: BufferResource;
  /** b_2 [C] */
  shift: BufferResource;
  /** [rows, C] */
  y: BufferResource;
}

export function bindLayerNorm(
  kernel: KernelPipeline<LayerNormParams>,
  p: LayerNormParams,
  b: LayerNormBuffers,
  label?: string,
): BoundKernel<LayerNormParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
