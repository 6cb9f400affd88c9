import type { DdimCoefficients } from '../model/diffusion.js';
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

/** One DDIM update of the state, IN PLACE (src/model/ddim-step.ts returns a new array). */
export interface DdimStepParams {
  coef: DdimCoefficients;
  /** Position of this step in the schedule (selects its RNG streams). */
  stepIndex: number;
}

export const DDIM_STEP: KernelDescriptor<DdimStepParams> = {
  name: 'ddim_step',
  shader: 'ddim-step.wgsl',
  libs: [LIB.dispatch, LIB.run, LIB.math, LIB.philox, LIB.joint5, LIB.ddim],
  entryPoint: 'ddim_step',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'eps', kind: 'read-only-storage' },
    { binding: 2, name: 'x', kind: 'storage' },
  ],
  params: [
    { name: 'sqrt_a', type: 'f32' },
    { name: 'sqrt_one_minus_a', type: 'f32' },
    { name: 'sqrt_a_next', type: 'f32' },
    { name: 'c1', type: 'f32' },
    { name: 'c2', type: 'f32' },
    { name: 'step_index', type: 'u32' },
  ],
  paramValues: (p) => ({
    sqrt_a: p.coef.sqrtA,
    sqrt_one_minus_a: p.coef.sqrtOneMinusA,
    sqrt_a_next: p.coef.sqrtANext,
    c1: p.coef.c1,
    c2: p.coef.c2,
    step_index: checkU32('ddim_step', 'stepIndex', p.stepIndex),
  }),
  workgroupSize: 64,
  invocations: (_p, run) => run.poses * run.hypotheses * NUM_JOINTS,
};

export interface DdimStepBuffers {
  params: BufferResource;
  /** [poses * hypotheses, 17, 5]: the predicted noise. */
  eps: BufferResource;
  /** [poses * hypotheses, 17, 5]: x_t in, x_next out. */
  x: BufferResource;
}

export function bindDdimStep(
  kernel: KernelPipeline<DdimStepParams>,
  p: DdimStepParams,
  b: DdimStepBuffers,
  label?: string,
): BoundKernel<DdimStepParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
