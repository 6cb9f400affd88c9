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
 * Blocks in flight (workgroups, each with its scratch region), phases per block
 * (EncoderPlan.phases), a stream's ring size (0: none) and the pipeline's workgroup size.
 */
export interface ContextEncoderParams {
  slots: number;
  phases: number;
  ring: number;
  workgroupSize: number;
  /** A GPU-resident stream push: each pose's frame written into the ring from the caller's keypoints (pixels of this image size). */
  pixels?: { width: number; height: number };
  /**
   * v2 encoders (docs/temporal-model.md §12): where in `lifter_xyz` (f32 index) the start poses
   * go, [poses, 17, 3]; the lifter output of the window frames is read from its start (indexed as `frames`).
   */
  startAt?: number;
}

/**
 * The temporal context encoder per pose of a sequence lift, in blocks of consecutive frames of a
 * track or of a stream's tracks (shaders/context-encoder.wgsl; CPU reference encodeWindowsRef in
 * src/temporal/encoder-plan.ts): FiLM rows out, the start correction added to the lifter's output
 * in place (v2: the start pose written beside it). run.batch = poses.
 */
export const CONTEXT_ENCODER: KernelDescriptor<ContextEncoderParams> = {
  name: 'context_encoder',
  shader: 'context-encoder.wgsl',
  libs: [LIB.run],
  entryPoint: 'context_encoder',
  bindings: [
    { binding: 0, name: 'params', kind: 'uniform' },
    { binding: 1, name: 'plan', kind: 'read-only-storage' },
    { binding: 2, name: 'weights', kind: 'read-only-storage' },
    { binding: 3, name: 'frames', kind: 'storage' },
    { binding: 4, name: 'windows', kind: 'read-only-storage' },
    { binding: 5, name: 'scratch', kind: 'storage' },
    { binding: 6, name: 'lifter_xyz', kind: 'storage' },
    { binding: 7, name: 'film', kind: 'storage' },
    { binding: 8, name: 'keypoints', kind: 'read-only-storage', optional: true },
  ],
  params: [
    { name: 'slots', type: 'u32' },
    { name: 'phases', type: 'u32' },
    { name: 'ring', type: 'u32' },
    { name: 'write_pixels', type: 'u32' },
    { name: 'width', type: 'f32' },
    { name: 'height', type: 'f32' },
    { name: 'start_at', type: 'u32' },
  ],
  paramValues: (p) => ({
    slots: checkU32('context_encoder', 'slots', p.slots, 1),
    phases: checkU32('context_encoder', 'phases', p.phases, 1),
    ring: checkU32('context_encoder', 'ring', p.ring),
    write_pixels: p.pixels ? 1 : 0,
    width: p.pixels?.width ?? 0,
    height: p.pixels?.height ?? 0,
    start_at: checkU32('context_encoder', 'startAt', p.startAt ?? 0),
  }),
  workgroupSize: 64,
  // At most one workgroup per block in flight (blocks <= poses; the spare ones find no block).
  invocations: (p, run) => Math.min(run.batch, p.slots) * p.workgroupSize,
};

export interface ContextEncoderBuffers {
  params: BufferResource;
  /** EncoderPlan.table (u32). */
  plan: BufferResource;
  /** EncoderPlan.weights (f32). */
  weights: BufferResource;
  /** [frames, 17, 3] */
  frames: BufferResource;
  /** [poses] vec4<u32>: track's first, track's last, own frame, ring base; then the blocks (encoderWindows) */
  windows: BufferResource;
  /** slots x EncoderPlan.scratchFloats f32 */
  scratch: BufferResource;
  /** v1: [poses, 17, 3] root-centred lifter output, the correction added in place; v2: [frames, 17, 3] read, the start poses written at startAt. */
  lifter_xyz: BufferResource;
  /** [poses, filmOut] */
  film: BufferResource;
  /** [poses, 17, 3] pixels and confidence, with `pixels`. */
  keypoints?: BufferResource;
}

export function bindContextEncoder(
  kernel: KernelPipeline<ContextEncoderParams>,
  p: ContextEncoderParams,
  b: ContextEncoderBuffers,
  label?: string,
): BoundKernel<ContextEncoderParams> {
  return bindKernel(kernel, p, { ...b }, label);
}
