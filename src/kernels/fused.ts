import { LIB } from './libs.js';
import { SUBGROUP_LANES } from './wgsl-constants.js';
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

/** Storage precision of weights and activations; arithmetic is f32 in both. */
export type FusedPrecision = 'f32' | 'f16';

/** Which form of the linear and mixing ops a kernel is built with (fused/ops-*.wgsl). */
export type OpsForm = 'plain' | 'subgroup-lane' | 'subgroup-group';

const opsLibs = (ops: OpsForm) =>
  ops === 'plain' ? ['fused/ops-plain.wgsl'] : ['fused/ops-subgroup.wgsl', `fused/ops-${ops}.wgsl`];
/** The network interpreter and its ops (fused/network.wgsl run_op) for one precision and form. */
export const fusedLibs = (precision: FusedPrecision, ops: OpsForm) => [
  'fused/params.wgsl',
  'fused/slot.wgsl',
  `fused/storage-${precision}.wgsl`,
  'fused/coop-ops.wgsl',
  ...opsLibs(ops),
  'fused/network.wgsl',
];
const denoiseLibs = (precision: FusedPrecision, ops: OpsForm) => [
  LIB.run,
  LIB.math,
  LIB.philox,
  LIB.joint5,
  LIB.gmm,
  LIB.ddim,
  ...fusedLibs(precision, ops),
  'fused/denoise-bindings.wgsl',
  'fused/denoise-phases.wgsl',
];
const liftLibs = (precision: FusedPrecision, ops: OpsForm) => [
  LIB.run,
  ...fusedLibs(precision, ops),
  'fused/lift-bindings.wgsl',
  'fused/lift-phases.wgsl',
];

const COMMON: readonly BindingSpec[] = [
  { binding: 0, name: 'params', kind: 'uniform' },
  { binding: 1, name: 'weights', kind: 'read-only-storage' },
  { binding: 2, name: 'features', kind: 'read-only-storage' },
  { binding: 3, name: 'scratch', kind: 'storage' },
  // The weights buffer again, by 32-bit word (fused/storage-*.wgsl).
  { binding: 7, name: 'weight_words', kind: 'read-only-storage' },
];
const LIFT_BINDINGS: readonly BindingSpec[] = [
  ...COMMON,
  { binding: 4, name: 'uv', kind: 'read-only-storage' },
  { binding: 5, name: 'lifter_xyz', kind: 'storage' },
  { binding: 6, name: 'gmm_out', kind: 'storage' },
  { binding: 8, name: 'confidence', kind: 'read-only-storage' },
];
const DENOISE_BINDINGS: readonly BindingSpec[] = [
  ...COMMON,
  { binding: 4, name: 'gmm', kind: 'read-only-storage' },
  { binding: 5, name: 'lifter_xyz', kind: 'read-only-storage' },
  { binding: 6, name: 'state', kind: 'storage' },
  // The temporal denoiser's FiLM rows (ContextStage); a placeholder for the frame model, which has no FiLM ops.
  { binding: 8, name: 'film', kind: 'read-only-storage', optional: true },
];

/** Cooperative: one workgroup per item in flight; per-invocation: one invocation per item. */
function invocations(p: FusedDispatch, run: { batch: number }): number {
  const items = Math.min(run.batch, p.slots);
  return p.cooperative ? items * p.workgroupSize : items;
}

function descriptor(
  name: string,
  shader: string,
  libs: readonly string[],
  bindings: readonly BindingSpec[],
): KernelDescriptor<FusedDispatch> {
  return {
    name,
    shader,
    libs,
    entryPoint: name,
    bindings,
    params: [],
    paramsBytes: FUSED_PARAMS_BYTES,
    paramValues: () => ({}),
    workgroupSize: 64,
    invocations,
  };
}

/** The four fused kernels of one precision. */
export interface FusedKernels {
  /** Dispatch 1: the lifter on every pose (run slot batch = poses). */
  lift: KernelDescriptor<FusedDispatch>;
  liftLane: KernelDescriptor<FusedDispatch>;
  /** Dispatch 2: start + every reverse step for every (pose, hypothesis) (run slot batch = poses * H). */
  denoise: KernelDescriptor<FusedDispatch>;
  denoiseLane: KernelDescriptor<FusedDispatch>;
  /**
   * Both variants with weights shared over subgroups (fused/ops-subgroup.wgsl), for devices with
   * the `subgroups` feature whose subgroups are exactly SUBGROUP_LANE_GROUP lanes, dispatched in
   * workgroups of that size.
   */
  liftSubgroup: KernelDescriptor<FusedDispatch>;
  liftLaneSubgroup: KernelDescriptor<FusedDispatch>;
  denoiseSubgroup: KernelDescriptor<FusedDispatch>;
  denoiseLaneSubgroup: KernelDescriptor<FusedDispatch>;
}

/** The subgroup (and workgroup) size the subgroup kernels are written for. */
export const SUBGROUP_LANE_GROUP = SUBGROUP_LANES;

function fusedKernels(precision: FusedPrecision): FusedKernels {
  const suffix = precision === 'f32' ? '' : `_${precision}`;
  const d = (
    entry: string,
    shader: string,
    libs: readonly string[],
    bindings: readonly BindingSpec[],
    name = entry,
  ) => ({ ...descriptor(entry, shader, libs, bindings), name: name + suffix });
  return {
    lift: d('fused_lift', 'fused-lift.wgsl', liftLibs(precision, 'plain'), LIFT_BINDINGS),
    liftLane: d('fused_lift_lane', 'fused-lift-lane.wgsl', liftLibs(precision, 'plain'), LIFT_BINDINGS),
    denoise: d('fused_denoise', 'fused-denoise.wgsl', denoiseLibs(precision, 'plain'), DENOISE_BINDINGS),
    denoiseLane: d('fused_denoise_lane', 'fused-denoise-lane.wgsl', denoiseLibs(precision, 'plain'), DENOISE_BINDINGS),
    liftSubgroup: d(
      'fused_lift',
      'fused-lift.wgsl',
      liftLibs(precision, 'subgroup-group'),
      LIFT_BINDINGS,
      'fused_lift_subgroup',
    ),
    liftLaneSubgroup: d(
      'fused_lift_lane',
      'fused-lift-lane.wgsl',
      liftLibs(precision, 'subgroup-lane'),
      LIFT_BINDINGS,
      'fused_lift_lane_subgroup',
    ),
    denoiseSubgroup: d(
      'fused_denoise',
      'fused-denoise.wgsl',
      denoiseLibs(precision, 'subgroup-group'),
      DENOISE_BINDINGS,
      'fused_denoise_subgroup',
    ),
    denoiseLaneSubgroup: d(
      'fused_denoise_lane',
      'fused-denoise-lane.wgsl',
      denoiseLibs(precision, 'subgroup-lane'),
      DENOISE_BINDINGS,
      'fused_denoise_lane_subgroup',
    ),
  };
}

export const FUSED_KERNELS: Readonly<Record<FusedPrecision, FusedKernels>> = {
  f32: fusedKernels('f32'),
  f16: fusedKernels('f16'),
};
