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

/**
 * Channels [offset, offset + 3) of x [batch, 17, C] minus joint 0 -> [batch, 17, 3]
 * (src/model/root-center.ts); with sigmaAt > 0 also exp(channel offset + 3) -> xyz[sigmaAt +
 * (item, joint)], a 4-output lifter's sigma (src/model/lifter-output.ts).
 */
export interface RootCenterParams {
  channels: number;
  offset: number;
  sigmaAt?: number;
}

export const ROOT_CENTER: KernelDescriptor<RootCenterParams> = {
  name: 'root_center',
  shader: 'root-center.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'root_center',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'x', kind: 'read-only-storage' },
    { binding: 2, name: 'xyz', kind: 'storage' },
  ],
  params: [
    { name: 'channels', type: 'u32' },
    { name: 'offset', type: 'u32' },
    { name: 'sigma_at', type: 'u32' },
  ],
  paramValues(p) {
    const channels = checkU32('root_center', 'channels', p.channels, 3);
    const offset = checkU32('root_center', 'offset', p.offset);
    if (offset + 3 > channels) throw new InputError(`root_center: offset ${offset} + 3 exceeds ${channels} channels`);
    const sigmaAt = checkU32('root_center', 'sigmaAt', p.sigmaAt ?? 0);
    if (sigmaAt > 0 && offset + 4 > channels)
      throw new InputError(`root_center: a sigma needs channel ${offset + 3}, x has ${channels}`);
    return { channels, offset, sigma_at: sigmaAt };
  },
  workgroupSize: 64,
  invocations: (_p, run) => run.batch * NUM_JOINTS,
};

export interface RootCenterBuffers {
  params: BufferResource;
  /** [batch, 17, C] */
  x: BufferResource;
  /** [batch, 17, 3] */
  xyz: BufferResource;
}

export function bindRootCenter(
  kernel: KernelPipeline<RootCenterParams>,
  p: RootCenterParams,
  b: RootCenterBuffers,
  label?: string,
): BoundKernel<RootCenterParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
