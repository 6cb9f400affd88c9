import { NUM_JOINTS } from '../pose/skeleton.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/** No plan-time parameters: poses and hypotheses come from the run slot. */
export type AggregateParams = Record<string, never>;

/** Mean, spread and root-centred samples of the final state over the hypotheses (src/model/aggregate.ts). */
export const AGGREGATE: KernelDescriptor<AggregateParams> = {
  name: 'aggregate',
  shader: 'aggregate.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'aggregate',
  bindings: [
    { binding: 0, name: 'x', kind: 'read-only-storage' },
    { binding: 1, name: 'mean', kind: 'storage' },
    { binding: 2, name: 'spread', kind: 'storage' },
    { binding: 3, name: 'samples', kind: 'storage' },
  ],
  params: [],
  paramValues: () => ({}),
  workgroupSize: 64,
  invocations: (_p, run) => run.poses * NUM_JOINTS,
};

export interface AggregateBuffers {
  /** [poses * hypotheses, 17, 5]: the final state. */
  x: BufferResource;
  /** [poses, 17, 3] */
  mean: BufferResource;
  /** [poses, 17] */
  spread: BufferResource;
  /** [poses, hypotheses, 17, 3] */
  samples: BufferResource;
}

export function bindAggregate(
  kernel: KernelPipeline<AggregateParams>,
  b: AggregateBuffers,
  label?: string,
): BoundKernel<AggregateParams> {
  return bindKernel(kernel, {}, { ...b }, label);
}
