import { InputError } from '../errors.js';
import { HEATMAP_FIT, MAX_TARGET_SIGMA, type FitOutputMap } from '../model/heatmap-fit.js';
import { checkU32 } from './checks.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/** Plan-time values of the heatmap fit (src/model/heatmap-fit.ts); the run slot's batch is poses x joints. */
export interface HeatmapFitParams {
  width: number;
  height: number;
  /** Heatmaps per pose. */
  joints: number;
  components: number;
  /** Means and stds out = value * scale + offset (image pixels: 1, 0, 0). */
  map: FitOutputMap;
  /** Also write the heaviest component's mean to `uv`. */
  writeUv: boolean;
  /**
   * Std of the detector's training target, heatmap pixels (default HEATMAP_FIT.targetSigma; 0:
   * none). The schedule's fitter passes its batch's (checkHeatmapShape resolves it) by spreading it in.
   */
  targetSigma?: number;
}

/** Weighted EM per (pose, joint), one workgroup of HEATMAP_FIT.lanes each: [poses, joints, K, 5] mixtures. */
export const HEATMAP_FIT_KERNEL: KernelDescriptor<HeatmapFitParams> = {
  name: 'heatmap_fit',
  shader: 'heatmap-fit.wgsl',
  libs: [LIB.dispatch, LIB.run],
  entryPoint: 'heatmap_fit',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'heatmaps', kind: 'read-only-storage' },
    { binding: 2, name: 'boxes', kind: 'read-only-storage' },
    { binding: 3, name: 'fit', kind: 'storage' },
    { binding: 4, name: 'uv', kind: 'storage' },
  ],
  params: [
    { name: 'width', type: 'u32' },
    { name: 'height', type: 'u32' },
    { name: 'joints', type: 'u32' },
    { name: 'components', type: 'u32' },
    { name: 'seed_fraction', type: 'f32' },
    { name: 'variance_init', type: 'f32' },
    { name: 'variance_floor', type: 'f32' },
    { name: 'background_init', type: 'f32' },
    { name: 'min_share', type: 'f32' },
    { name: 'target_variance', type: 'f32' },
    { name: 'belief_floor', type: 'f32' },
    { name: 'out_scale', type: 'f32' },
    { name: 'out_offset_x', type: 'f32' },
    { name: 'out_offset_y', type: 'f32' },
    { name: 'write_uv', type: 'u32' },
  ],
  paramValues(p) {
    if (!(p.components >= 1 && p.components <= HEATMAP_FIT.maxComponents))
      throw new InputError(`heatmap_fit: components must be in [1, ${HEATMAP_FIT.maxComponents}], got ${p.components}`);
    const target = p.targetSigma ?? HEATMAP_FIT.targetSigma;
    if (!(target >= 0 && target <= MAX_TARGET_SIGMA))
      throw new InputError(`heatmap_fit: targetSigma must be in [0, ${MAX_TARGET_SIGMA}], got ${target}`);
    return {
      width: checkU32('heatmap_fit', 'width', p.width, 1),
      height: checkU32('heatmap_fit', 'height', p.height, 1),
      joints: checkU32('heatmap_fit', 'joints', p.joints, 1),
      components: p.components,
      seed_fraction: HEATMAP_FIT.seedFraction,
      variance_init: HEATMAP_FIT.varianceInit,
      variance_floor: HEATMAP_FIT.varianceFloor,
      background_init: HEATMAP_FIT.backgroundInit,
      min_share: HEATMAP_FIT.minShare,
      // Squared in f32 as the reference does (fitHeatmapsRef).
      target_variance: Math.fround(Math.fround(target) * Math.fround(target)),
      belief_floor: HEATMAP_FIT.beliefFloor,
      out_scale: p.map.scale,
      out_offset_x: p.map.offsetX,
      out_offset_y: p.map.offsetY,
      write_uv: p.writeUv ? 1 : 0,
    };
  },
  // The reduction is sized for exactly this many lanes: never overridden.
  workgroupSize: HEATMAP_FIT.lanes,
  // run.batch = poses x joints (the plan's bound parameters need not carry the joints).
  invocations: (_p, run) => run.batch * HEATMAP_FIT.lanes,
};

export interface HeatmapFitBuffers {
  params: BufferResource;
  heatmaps: BufferResource;
  boxes: BufferResource;
  fit: BufferResource;
  /** Written only with writeUv (a scratch buffer otherwise). */
  uv: BufferResource;
}

export function bindHeatmapFit(
  kernel: KernelPipeline<HeatmapFitParams>,
  p: HeatmapFitParams,
  b: HeatmapFitBuffers,
  label?: string,
): BoundKernel<HeatmapFitParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
