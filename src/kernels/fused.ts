import { LIB } from './libs.js';
import type { BindingSpec, KernelDescriptor } from './kernel.js';
import { FUSED_PARAMS_BYTES } from '../schedule/fused-params.js';

/**
 * The fused kernels: whole networks per item (shaders/fused/). Their parameters are one uniform
 * written by src/schedule/fused-params.ts (not the scalar params packer); the plan-time value
 * here is only how many scratch slots a dispatch may use.
 * Two variants of each dispatch: cooperative (a workgroup per item, ops split over its
 * invocations, barriers between ops: best for single poses and on GPUs) and per-invocation (an
 * invocation per item, no barriers: best for batches on CPU drivers).
 */
export interface FusedDispatch {
  /** Scratch slots: items in flight; more items loop over them. */
  slots: number;
  workgroupSize: number;
  cooperative: boolean;
}

const FUSED_LIBS = ['fused/params.wgsl', 'fused/slot.wgsl', 'fused/coop-ops.wgsl', 'fused/network.wgsl'] as const;
const DENOISE_LIBS = [LIB.run, LIB.math, LIB.philox, LIB.joint5, LIB.gmm, LIB.ddim, ...FUSED_LIBS, 'fused/denoise-bindings.wgsl', 'fused/denoise-phases.wgsl'];
const LIFT_LIBS = [LIB.run, ...FUSED_LIBS, 'fused/lift-bindings.wgsl', 'fused/lift-phases.wgsl'];

const COMMON: readonly BindingSpec[] = [
  { binding: 0, name: 'params', kind: 'uniform' },
  { binding: 1, name: 'weights', kind: 'read-only-storage' },
  { binding: 2, name: 'features', kind: 'read-only-storage' },
  { binding: 3, name: 'scratch', kind: 'storage' },
];
const LIFT_BINDINGS: readonly BindingSpec[] = [
  ...COMMON,
  { binding: 4, name: 'uv', kind: 'read-only-storage' },
  { binding: 5, name: 'lifter_xyz', kind: 'storage' },
  { binding: 6, name: 'gmm_out', kind: 'storage' },
];
const DENOISE_BINDINGS: readonly BindingSpec[] = [
  ...COMMON,
  { binding: 4, name: 'gmm', kind: 'read-only-storage' },
  { binding: 5, name: 'lifter_xyz', kind: 'read-only-storage' },
  { binding: 6, name: 'state', kind: 'storage' },
];

/** Cooperative: one workgroup per item in flight; per-invocation: one invocation per item. */
function invocations(p: FusedDispatch, run: { batch: number }): number {
  const items = Math.min(run.batch, p.slots);
  return p.cooperative ? items * p.workgroupSize : items;
}

function descriptor(name: string, shader: string, libs: readonly string[], bindings: readonly BindingSpec[]): KernelDescriptor<FusedDispatch> {
  return {
    name, shader, libs, entryPoint: name, bindings,
    params: [], paramsBytes: FUSED_PARAMS_BYTES, paramValues: () => ({}),
    workgroupSize: 64, invocations,
  };
}

/** Dispatch 1: the lifter on every pose (run slot batch = poses). */
export const FUSED_LIFT = descriptor('fused_lift', 'fused-lift.wgsl', LIFT_LIBS, LIFT_BINDINGS);
export const FUSED_LIFT_LANE = descriptor('fused_lift_lane', 'fused-lift-lane.wgsl', LIFT_LIBS, LIFT_BINDINGS);
/** Dispatch 2: start + every reverse step for every (pose, hypothesis) (run slot batch = poses * H). */
export const FUSED_DENOISE = descriptor('fused_denoise', 'fused-denoise.wgsl', DENOISE_LIBS, DENOISE_BINDINGS);
export const FUSED_DENOISE_LANE = descriptor('fused_denoise_lane', 'fused-denoise-lane.wgsl', DENOISE_LIBS, DENOISE_BINDINGS);
