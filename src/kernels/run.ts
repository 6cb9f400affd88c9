/**
 * The per-call values every kernel reads (shaders/lib/run.wgsl): batch, poses, hypotheses, the
 * RNG pose offset and key. They live in ONE small uniform buffer of 256-byte slots, bound as
 * group 1 with a dynamic offset, so that a call writes a few bytes and never touches the
 * kernels' own parameters (written once at plan time). A plan typically uses one slot per
 * network (the lifter's batch is the number of poses, the denoiser's is poses * hypotheses)
 * and, when it records several chunks in one submit, one slot pair per chunk.
 */
import { InputError } from '../errors.js';

/** Slot stride: the largest minUniformBufferOffsetAlignment WebGPU allows, so it fits every device. */
export const RUN_SLOT_BYTES = 256;
/** Size of `struct Run` (24 bytes) rounded up to 16. */
export const RUN_BYTES = 32;

export interface RunValues {
  /** Items processed by the network kernels bound to this slot (17 rows each). */
  batch: number;
  /** Poses in this call or chunk. */
  poses: number;
  hypotheses: number;
  /** Index of the chunk's first pose in the caller's whole batch (the RNG counter's pose word). */
  poseOffset: number;
  /** Philox key: the seed split into two u32 (seedKey in src/model/philox.ts). */
  key: readonly [number, number];
}

export interface RunBuffer {
  readonly buffer: GPUBuffer;
  /** Group 1 of every kernel pipeline; select the slot with dynamic offset `slot * RUN_SLOT_BYTES`. */
  readonly bindGroup: GPUBindGroup;
  /**
   * What was last written to each slot, as the host knows it: recordKernel sizes dispatches from
   * it, so the dispatch and the values the kernel reads cannot disagree.
   */
  readonly slots: ReadonlyArray<Readonly<RunValues> | undefined>;
}

const layouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();

/** The group-1 layout shared by every kernel pipeline on `device` (one object per device). */
export function runBindGroupLayout(device: GPUDevice): GPUBindGroupLayout {
  let layout = layouts.get(device);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: 'diffpose run: bind group layout',
      entries: [
        {
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: RUN_BYTES },
        },
      ],
    });
    layouts.set(device, layout);
  }
  return layout;
}

export function createRunBuffer(device: GPUDevice, slots: number, label = 'diffpose run'): RunBuffer {
  if (!Number.isInteger(slots) || slots < 1)
    throw new InputError(`run buffer slots must be a positive integer, got ${slots}`);
  const buffer = device.createBuffer({
    label,
    size: slots * RUN_SLOT_BYTES,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const bindGroup = device.createBindGroup({
    label: `${label}: bind group`,
    layout: runBindGroupLayout(device),
    entries: [{ binding: 0, resource: { buffer, offset: 0, size: RUN_BYTES } }],
  });
  return { buffer, bindGroup, slots: new Array<RunValues | undefined>(slots).fill(undefined) };
}

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InputError(`run.${what} must be a u32, got ${v}`);
  return v;
}

export function packRun(v: RunValues): ArrayBuffer {
  const words = new Uint32Array(RUN_BYTES / 4);
  words.set([
    u32(v.batch, 'batch'),
    u32(v.poses, 'poses'),
    u32(v.hypotheses, 'hypotheses'),
    u32(v.poseOffset, 'poseOffset'),
    u32(v.key[0], 'key[0]'),
    u32(v.key[1], 'key[1]'),
  ]);
  return words.buffer;
}

/** Writes one slot (a queue write: ordered before the next submit) and remembers the values. */
export function writeRun(queue: GPUQueue, run: RunBuffer, slot: number, values: RunValues): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= run.slots.length) {
    throw new InputError(`run slot ${slot} is outside [0, ${run.slots.length})`);
  }
  queue.writeBuffer(run.buffer, slot * RUN_SLOT_BYTES, packRun(values));
  (run.slots as Array<Readonly<RunValues> | undefined>)[slot] = { ...values, key: [values.key[0], values.key[1]] };
}
