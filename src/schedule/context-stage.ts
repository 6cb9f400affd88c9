import { InputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import {
  bindContextEncoder,
  CONTEXT_ENCODER,
  createParamsBuffer,
  getKernelPipeline,
  type BoundKernel,
  type ContextEncoderParams,
  type KernelPipeline,
} from '../kernels/index.js';
import { FUSE_RECORD } from '../kernels/wgsl-constants.js';
import { ENCODER_INPUTS, ENCODER_MODES, type EncoderMode } from '../temporal/encoder-config.js';
import { encoderPlan, encoderWindows, encoderWindowsVec4s, type EncoderPlan } from '../temporal/encoder-plan.js';
import { chunkWindows, type SequenceInfo } from '../temporal/sequence-batch.js';
import type { TemporalModel } from '../temporal/temporal-model.js';

interface StageParts {
  gpu: GpuContext;
  label: string;
  pipeline: KernelPipeline<ContextEncoderParams>;
  model: TemporalModel;
  plans: Record<EncoderMode, EncoderPlan & { tableBuffer: GPUBuffer; weightsBuffer: GPUBuffer }>;
  slots: number;
  workgroupSize: number;
  /** [maxPoses, filmOut]: bound to the denoise dispatch. */
  film: GPUBuffer;
  frames: GPUBuffer;
  windows: GPUBuffer;
  scratch: GPUBuffer;
  lifterXyz: GPUBuffer;
  /** v2: the f32 index in lifterXyz of the start poses (ContextStage.startBinding). */
  startAt: number;
  /** v2: the aggregation's per-pose records (fuseRecords), [maxPoses, FUSE_RECORD]. */
  records?: GPUBuffer;
  owned: GPUBuffer[];
}

/**
 * The temporal model's stage of a fused plan: per pose of a sequence chunk, the context encoder
 * over its window (one dispatch, after the lifter's) writes the pose's FiLM row, which the
 * denoise dispatch reads, and adds the start correction to the lifter output. Prepared at load
 * for both encoders; a chunk uploads its frames (with the windows' reach) and window indices, a
 * stream's chunk only its window indices (its frames are in the stream's GPU ring).
 */
export class ContextStage {
  readonly film: GPUBuffer;
  /** v2 (docs/temporal-model.md §12): the aggregation's `uv` input, records of the chunk's output poses (fuseRecords). */
  readonly records: GPUBuffer | undefined;
  private readonly kernels: Record<EncoderMode, BoundKernel<ContextEncoderParams>>;
  /** Encoders bound to streams' rings, made on first use and dropped with the ring. */
  private readonly ringKernels = new WeakMap<
    GPUBuffer,
    Map<GPUBuffer | undefined, Partial<Record<EncoderMode, BoundKernel<ContextEncoderParams>>>>
  >();

  private readonly params = new Map<string, GPUBuffer>();

  private constructor(private readonly parts: StageParts) {
    this.film = parts.film;
    this.records = parts.records;
    this.kernels = { offline: this.bind('offline', parts.frames, 0), causal: this.bind('causal', parts.frames, 0) };
  }

  static async create(
    gpu: GpuContext,
    model: TemporalModel,
    maxPoses: number,
    lifterXyz: GPUBuffer,
    slots: number,
    label: string,
    startAt = 0,
  ): Promise<ContextStage> {
    const { device } = gpu;
    const owned: GPUBuffer[] = [];
    const buffer = (name: string, bytes: number, usage: number) => {
      const b = device.createBuffer({
        label: `${label}: ${name}`,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage,
      });
      owned.push(b);
      return b;
    };
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const upload = (name: string, data: Float32Array | Uint32Array) => {
      const b = buffer(name, data.byteLength, storage);
      device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
      return b;
    };
    const withBuffers = (mode: EncoderMode) => {
      const plan = encoderPlan(model.encoders[mode]);
      return {
        ...plan,
        tableBuffer: upload(`${mode} plan`, plan.table),
        weightsBuffer: upload(`${mode} weights`, plan.weights),
      };
    };
    const plans = { offline: withBuffers('offline'), causal: withBuffers('causal') };
    const window = Math.max(...ENCODER_MODES.map((m) => model.encoders[m].config.window));
    const workgroupSize = Math.min(64, device.limits.maxComputeInvocationsPerWorkgroup);
    return new ContextStage({
      gpu,
      label,
      model,
      plans,
      slots,
      workgroupSize,
      lifterXyz,
      startAt,
      records: startAt ? buffer('aggregate records', maxPoses * FUSE_RECORD * 4, storage) : undefined,
      owned,
      pipeline: await getKernelPipeline(gpu, CONTEXT_ENCODER, { workgroupSize }),
      film: buffer('film', maxPoses * plans.offline.filmOut * 4, GPUBufferUsage.STORAGE),
      // A chunk reads its poses' frames and at most window - 1 more (the reach before and after).
      frames: buffer('frames', (maxPoses + window) * ENCODER_INPUTS * 4, storage),
      windows: buffer('windows', encoderWindowsVec4s(maxPoses) * 16, storage),
      scratch: buffer(
        'scratch',
        slots * Math.max(plans.offline.scratchFloats, plans.causal.scratchFloats) * 4,
        GPUBufferUsage.STORAGE,
      ),
    });
  }

  /**
   * The encoder of `mode` reading `frames`, through a ring of `ring` frames per track (0: none),
   * first writing each pose's own frame into it from `pixels.keypoints` when given.
   */
  private bind(
    mode: EncoderMode,
    frames: GPUBuffer,
    ring: number,
    pixels?: SequenceInfo['pixels'],
  ): BoundKernel<ContextEncoderParams> {
    const s = this.parts,
      plan = s.plans[mode];
    const p = {
      slots: s.slots,
      phases: plan.phases,
      ring,
      workgroupSize: s.workgroupSize,
      pixels: pixels && { width: pixels.imageSize[0], height: pixels.imageSize[1] },
      startAt: s.startAt,
    };
    const what = `${mode} encoder${ring ? ' on a stream ring' : ''}${pixels ? ' from GPU keypoints' : ''}`;
    // One params buffer per distinct parameters, however many rings and keypoints buffers are bound.
    const key = JSON.stringify([mode, ring, p.pixels]);
    let params = this.params.get(key);
    if (!params) {
      params = createParamsBuffer(s.gpu.device, CONTEXT_ENCODER, p, `${s.label}: ${what} params`);
      s.owned.push(params);
      this.params.set(key, params);
    }
    const resources = {
      params,
      plan: plan.tableBuffer,
      weights: plan.weightsBuffer,
      frames,
      windows: s.windows,
      scratch: s.scratch,
      lifter_xyz: s.lifterXyz,
      film: s.film,
      keypoints: pixels?.keypoints,
    };
    return bindContextEncoder(s.pipeline, p, resources, `${s.label}: ${what}`);
  }

  /** Frames per track a stream's ring holds for `mode`: the window. */
  ringFrames(mode: EncoderMode): number {
    return this.parts.model.encoders[mode].config.window;
  }

  /**
   * Uploads what the encoder reads for poses [start, start + count) of a sequence; without a ring,
   * the frames [first, end) its windows reach (v2: whose lifter output it reads too).
   */
  upload(info: SequenceInfo | undefined, start: number, count: number): { first: number; end: number } {
    if (!info) throw new InputError('the temporal model lifts sequences (liftSequence), not single frames');
    const queue = this.parts.gpu.device.queue;
    if (info.gpuRing) {
      queue.writeBuffer(this.parts.windows, 0, encoderWindows(info.windows.subarray(4 * start), count, true));
      return { first: 0, end: 0 };
    }
    const { first, end, windows } = chunkWindows(info, this.parts.model.encoders[info.mode].config.pad, start, count);
    queue.writeBuffer(
      this.parts.frames,
      0,
      info.frames as Float32Array<ArrayBuffer>,
      first * ENCODER_INPUTS,
      (end - first) * ENCODER_INPUTS,
    );
    queue.writeBuffer(this.parts.windows, 0, encoderWindows(windows, count, false));
    return { first, end };
  }

  /** The bound encoder a sequence chunk runs. */
  kernel(info: SequenceInfo): BoundKernel<ContextEncoderParams> {
    if (!info.gpuRing) return this.kernels[info.mode];
    let byKeypoints = this.ringKernels.get(info.gpuRing);
    if (!byKeypoints) {
      byKeypoints = new Map();
      this.ringKernels.set(info.gpuRing, byKeypoints);
    }
    let byMode = byKeypoints.get(info.pixels?.keypoints);
    if (!byMode) {
      byMode = {};
      byKeypoints.set(info.pixels?.keypoints, byMode);
    }
    return (byMode[info.mode] ??= this.bind(info.mode, info.gpuRing, this.ringFrames(info.mode), info.pixels));
  }

  dispose(): void {
    for (const b of this.parts.owned) b.destroy();
  }
}
