import { INIT_MODE } from './wgsl-constants.js';
import { InputError } from '../errors.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { checkU32 } from './checks.js';
import type { InitMode } from '../model/gmm-init.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/**
 * The starting point x_K [poses * hypotheses, 17, 5] (src/model/gmm-init.ts). Poses, hypotheses,
 * the pose offset and the key come from the run slot; only the plan-time values are here.
 */
export interface GmmInitParams {
  /** Mixture components per joint (K >= 1). */
  components: number;
  mode: InitMode;
  sqrtA: number;
  sqrtOneMinusA: number;
  /** Where a 4-output lifter's sigma [poses, 17] sits in lifterXyz (f32 index; 0 or absent: none). */
  sigmaAt?: number;
}

const MODE_CODE: Record<InitMode, number> = INIT_MODE;

export const GMM_INIT: KernelDescriptor<GmmInitParams> = {
  name: 'gmm_init',
  shader: 'gmm-init.wgsl',
  libs: [LIB.dispatch, LIB.run, LIB.math, LIB.philox, LIB.joint5, LIB.gmm],
  entryPoint: 'gmm_init',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'gmm', kind: 'read-only-storage' },
    { binding: 2, name: 'lifter_xyz', kind: 'read-only-storage' },
    { binding: 3, name: 'x', kind: 'storage' },
    { binding: 4, name: 'xyz_gain', kind: 'read-only-storage' },
  ],
  params: [
    { name: 'components', type: 'u32' },
    { name: 'mode', type: 'u32' },
    { name: 'sqrt_a', type: 'f32' },
    { name: 'sqrt_one_minus_a', type: 'f32' },
    { name: 'sigma_at', type: 'u32' },
  ],
  paramValues(p) {
    if (!(p.mode in MODE_CODE)) throw new InputError(`gmm_init: unknown mode "${p.mode}"`);
    return {
      components: checkU32('gmm_init', 'components', p.components, 1),
      mode: MODE_CODE[p.mode],
      sqrt_a: p.sqrtA,
      sqrt_one_minus_a: p.sqrtOneMinusA,
      sigma_at: checkU32('gmm_init', 'sigmaAt', p.sigmaAt ?? 0),
    };
  },
  workgroupSize: 64,
  invocations: (_p, run) => run.poses * run.hypotheses * NUM_JOINTS,
};

export interface GmmInitBuffers {
  params: BufferResource;
  /** [poses, 17, components, 5]: weight, mu_u, mu_v, sigma_u, sigma_v (uv units). */
  gmm: BufferResource;
  /** [poses, 17, 3]: the lifter's root-centred output (and its sigma at sigmaAt). */
  lifterXyz: BufferResource;
  /** [poses * hypotheses, 17, 5] */
  x: BufferResource;
  /** [17] per-joint factors on the xyz noise std (RunSettings.xyzNoiseGain; ones for none). */
  xyzGain: BufferResource;
}

export function bindGmmInit(
  kernel: KernelPipeline<GmmInitParams>,
  p: GmmInitParams,
  b: GmmInitBuffers,
  label?: string,
): BoundKernel<GmmInitParams> {
  return bindKernel(
    kernel,
    p,
    { params: b.params, gmm: b.gmm, lifter_xyz: b.lifterXyz, x: b.x, xyz_gain: b.xyzGain },
    label,
  );
}
