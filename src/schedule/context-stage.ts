import { InputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { bindContextEncoder, CONTEXT_ENCODER, createParamsBuffer, getKernelPipeline, recordKernel, type BoundKernel, type ContextEncoderParams, type RunBuffer } from '../kernels/index.js';
import type { PreparedBatch } from '../pose/input.js';
import { ENCODER_INPUTS, ENCODER_MODES, type EncoderMode } from '../temporal/encoder-config.js';
import { encoderPlan } from '../temporal/encoder-plan.js';
import { sequenceFrames, sequenceWindows } from '../temporal/sequence-batch.js';
import type { TemporalModel } from '../temporal/temporal-model.js';

/**
 * The temporal model's stage of a fused plan: per pose of a sequence chunk, the context encoder
 * over its window (one dispatch, after the lifter's) writes the pose's FiLM row, which the
 * denoise dispatch reads, and adds the start correction to the lifter output. Prepared at load
 * for both encoders; a chunk uploads its frames (with the windows' reach) and window indices.
 */
export class ContextStage {
  private constructor(
    private readonly gpu: GpuContext,
    /** [maxPoses, filmOut]: bound to the denoise dispatch. */
    readonly film: GPUBuffer,
    private readonly frames: GPUBuffer,
    private readonly windows: GPUBuffer,
    private readonly kernels: Record<EncoderMode, BoundKernel<ContextEncoderParams>>,
    private readonly pads: Record<EncoderMode, readonly [number, number]>,
    private readonly owned: GPUBuffer[],
  ) {}

  static async create(gpu: GpuContext, model: TemporalModel, maxPoses: number, lifterXyz: GPUBuffer, slots: number, label: string): Promise<ContextStage> {
    const { device } = gpu;
    const owned: GPUBuffer[] = [];
    const buffer = (name: string, bytes: number, usage: number) => {
      const b = device.createBuffer({ label: `${label}: ${name}`, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
      owned.push(b);
      return b;
    };
    const upload = (name: string, data: Float32Array | Uint32Array) => {
      const b = buffer(name, data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
      return b;
    };
    const plans = { offline: encoderPlan(model.encoders.offline), causal: encoderPlan(model.encoders.causal) };
    const window = Math.max(...ENCODER_MODES.map((m) => model.encoders[m].config.window));
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const filmOut = plans.offline.filmOut;
    const film = buffer('film', maxPoses * filmOut * 4, GPUBufferUsage.STORAGE);
    // A chunk reads its poses' frames and at most window - 1 more (the reach before and after).
    const frames = buffer('frames', (maxPoses + window) * ENCODER_INPUTS * 4, storage);
    const windows = buffer('windows', maxPoses * 16, storage);
    const scratch = buffer('scratch', slots * Math.max(plans.offline.scratchFloats, plans.causal.scratchFloats) * 4, GPUBufferUsage.STORAGE);
    const workgroupSize = Math.min(64, device.limits.maxComputeInvocationsPerWorkgroup);
    const pipeline = await getKernelPipeline(gpu, CONTEXT_ENCODER, { workgroupSize });
    const bind = (mode: EncoderMode) => {
      const plan = plans[mode];
      const p = { slots, phases: plan.phases, workgroupSize };
      const params = createParamsBuffer(device, CONTEXT_ENCODER, p, `${label}: ${mode} params`);
      owned.push(params);
      return bindContextEncoder(pipeline, p, {
        params, plan: upload(`${mode} plan`, plan.table), weights: upload(`${mode} weights`, plan.weights),
        frames, windows, scratch, lifter_xyz: lifterXyz, film,
      }, `${label}: ${mode} encoder`);
    };
    const kernels = { offline: bind('offline'), causal: bind('causal') };
    const pads = { offline: model.encoders.offline.config.pad, causal: model.encoders.causal.config.pad };
    return new ContextStage(gpu, film, frames, windows, kernels, pads, owned);
  }

  /** Uploads what the encoder reads for poses [start, start + count) of a sequence batch. */
  upload(batch: PreparedBatch, start: number, count: number): void {
    const info = batch.sequence;
    if (!info) throw new InputError('the temporal model lifts sequences (liftSequence), not single frames');
    const { first, end, windows } = sequenceWindows(info, this.pads[info.mode], start, count);
    const queue = this.gpu.device.queue;
    queue.writeBuffer(this.frames, 0, sequenceFrames(batch, first, end - first) as Float32Array<ArrayBuffer>);
    queue.writeBuffer(this.windows, 0, windows as Uint32Array<ArrayBuffer>);
  }

  kernel(mode: EncoderMode): BoundKernel<ContextEncoderParams> {
    return this.kernels[mode];
  }

  record(pass: GPUComputePassEncoder, mode: EncoderMode, run: RunBuffer, slot: number): void {
    recordKernel(pass, this.kernels[mode], run, slot);
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
  }
}
