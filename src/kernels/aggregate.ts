import { MAX_CALIBRATION_BANDS, varianceEdges, type Calibration } from '../model/calibration.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { FUSE_MAX_TAPS } from '../temporal/encoder-config.js';
import { FUSE_RECORD, FUSE_VEC4S } from './wgsl-constants.js';
import type { UvCamera } from '../pose/root-trajectory.js';
import {
  bindKernel,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
} from './kernel.js';
import { LIB } from './libs.js';

/**
 * What the aggregation also does: fit each pose's root (camera frame) from the 2D with `camera`
 * (uv units, src/pose/root-trajectory.ts uvCamera), reading the 2D from `uv` or, with `uvInGmm`,
 * from the first mixture component's mean. Written per call (the camera and the mixture size
 * change with the call). Poses and hypotheses come from the run slot.
 */
export interface AggregateParams {
  fitRoot: boolean;
  components?: number;
  uvInGmm?: boolean;
  camera?: UvCamera;
}

/** Gauss-Newton steps after the closed-form start (fitRoot's default). */
export const ROOT_FIT_STEPS = 4;

/** Mean, spread and root-centred samples of the final state over the hypotheses (src/model/aggregate.ts), and the root (fitRoot). */
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
    { binding: 4, name: 'params', kind: 'uniform' },
    // Written by a stream's output average (its ring of means); bound always (a writable binding cannot share the placeholder).
    { binding: 5, name: 'uv', kind: 'storage' },
    { binding: 6, name: 'gmm', kind: 'read-only-storage', optional: true },
    // Always bound (a writable binding cannot share the placeholder with the read-only ones).
    { binding: 7, name: 'root', kind: 'storage' },
    { binding: 8, name: 'radius', kind: 'storage' },
    { binding: 9, name: 'calibration', kind: 'uniform' },
    { binding: 10, name: 'fuse', kind: 'uniform' },
  ],
  params: [
    { name: 'fit_root', type: 'u32' },
    { name: 'components', type: 'u32' },
    { name: 'uv_in_gmm', type: 'u32' },
    { name: 'steps', type: 'u32' },
    { name: 'focal', type: 'f32' },
    { name: 'cu', type: 'f32' },
    { name: 'cv', type: 'f32' },
  ],
  paramValues: (p) => {
    if (p.fitRoot && (!p.camera || !p.components))
      throw new Error('aggregate: fitting the root needs the camera and the mixture size');
    return {
      fit_root: p.fitRoot ? 1 : 0,
      components: p.components ?? 1,
      uv_in_gmm: p.uvInGmm ? 1 : 0,
      steps: ROOT_FIT_STEPS,
      focal: p.camera?.focal ?? 0,
      cu: p.camera?.center[0] ?? 0,
      cv: p.camera?.center[1] ?? 0,
    };
  },
  workgroupSize: 64,
  // One invocation per pose.
  invocations: (_p, run) => run.poses,
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
  params: BufferResource;
  /** [poses, 17, 2] uv units; with fitRoot and not uvInGmm (else any 16-byte buffer); fuseRecords' records with an output average, a stream's ring after them. */
  uv: BufferResource;
  /** [poses, 17, components, 5]; with fitRoot. */
  gmm?: BufferResource;
  /** Out [poses, 3] with fitRoot ((0, 0, 0): no root); without, any 16-byte buffer. */
  root: BufferResource;
  /** Out [poses, 17] radius90 with a calibration; without, any 16-byte buffer. */
  radius: BufferResource;
  /** CALIBRATION_BYTES, packCalibration's: the weights' calibration or none. Reads `gmm` when calibrated. */
  calibration: BufferResource;
  /** FUSE_BYTES, packFuse's: a v2 sequence chunk's output average, or none (zeros). */
  fuse: BufferResource;
}

/** Bytes of the calibration uniform (struct Calibration in shaders/aggregate.wgsl). */
export const CALIBRATION_BYTES = 16 + 2 * 16 + NUM_JOINTS * MAX_CALIBRATION_BANDS * 16;

/**
 * The calibration uniform's bytes; undefined packs "uncalibrated" (no radius written). `sigmaAt`:
 * where the plan keeps a 4-output lifter's sigma in `gmm` (f32 index; 0: none); with a
 * calibration's sigmaScale, the H = 1 radius is then sigmaScale x sigma.
 */
export function packCalibration(cal: Calibration | undefined, sigmaAt = 0): ArrayBuffer {
  const bytes = new ArrayBuffer(CALIBRATION_BYTES);
  if (!cal) return bytes;
  const bands = cal.bands.length + 1;
  new Uint32Array(bytes, 0, 2).set([bands, cal.sigmaScale ? sigmaAt : 0]);
  new Float32Array(bytes, 16, 8).set(varianceEdges(cal));
  const table = new Float32Array(bytes, 48);
  for (let j = 0; j < NUM_JOINTS; j++)
    for (let b = 0; b < bands; b++)
      table.set(
        [cal.offset[j][b], cal.scale[j][b], cal.single[j][b], cal.sigmaScale?.[j][b] ?? 0],
        (j * MAX_CALIBRATION_BANDS + b) * 4,
      );
  return bytes;
}

/** Bytes of the output-average uniform (struct Fuse in shaders/aggregate.wgsl). */
export const FUSE_BYTES = 16 + FUSE_VEC4S * 16;

/**
 * The output-average uniform of a v2 sequence chunk (docs/temporal-model.md §12.1 step 5): the
 * weights [taps, 17], the taps before the pose, and how many state poses precede the chunk's
 * first output. With it, `uv` holds records of FUSE_RECORD f32 per output pose (fuseRecords).
 */
export function packFuse(fuse: {
  weights: Float32Array;
  taps: number;
  before: number;
  offset: number;
  /** A stream: where its ring of means starts in `uv` (f32 index). */
  ringAt?: number;
}): ArrayBuffer {
  if (fuse.taps > FUSE_MAX_TAPS) throw new Error(`aggregate: at most ${FUSE_MAX_TAPS} output-average taps`);
  const bytes = new ArrayBuffer(FUSE_BYTES);
  new Uint32Array(bytes, 0, 4).set([fuse.taps, fuse.before, fuse.offset, fuse.ringAt ?? 0]);
  new Float32Array(bytes, 16).set(fuse.weights.subarray(0, fuse.taps * NUM_JOINTS));
  return bytes;
}

/**
 * The aggregation's `uv` input with an output average: per output pose its 2D [17, 2] (`uv`, or
 * zeros without) and (u32 bits) its track's first and last pose in the state and, for a stream,
 * its own frame and its track's first row in the ring of means; FUSE_RECORD f32 each.
 */
export function fuseRecords(
  uv: Float32Array | undefined,
  records: ReadonlyArray<readonly [number, number] | readonly [number, number, number, number]>,
): Float32Array<ArrayBuffer> {
  const out = new Float32Array(records.length * FUSE_RECORD);
  const bits = new Uint32Array(out.buffer);
  records.forEach((r, n) => {
    if (uv) out.set(uv.subarray(n * NUM_JOINTS * 2, (n + 1) * NUM_JOINTS * 2), n * FUSE_RECORD);
    bits.set(r, n * FUSE_RECORD + 2 * NUM_JOINTS);
  });
  return out;
}

export function bindAggregate(
  kernel: KernelPipeline<AggregateParams>,
  p: AggregateParams,
  b: AggregateBuffers,
  label?: string,
): BoundKernel<AggregateParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
