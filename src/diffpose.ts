import { cpuExecutor } from './cpu-executor.js';
import { DiffPoseError, InputError } from './errors.js';
import type { CallStats, Executor } from './executor.js';
import { acquireGpu, adapterName, type GpuContext } from './gpu/context.js';
import { EXECUTOR_NAMES, resolveSettings, type ExecutorName, type LiftOptions } from './lift-options.js';
import type { ModelConfig } from './model/config.js';
import { loadWeightsBytes, type WeightsSource } from './model/load-bytes.js';
import { parseModelWeights, type ModelWeights } from './model/weights.js';
import { prepareInput } from './pose/input.js';
import { createFusedExecutor, type BufferLift, type FusedExecutorHandle } from './schedule/fused-executor.js';
import { fusedUnsupported } from './schedule/fused-params.js';
import { createPerOpExecutor } from './schedule/per-op-executor.js';

export interface LoadOptions {
  /** Weights file: bytes, a path (Node) or URL; default the bundled `weights/diffpose.safetensors`. */
  weights?: WeightsSource;
  /** A caller's WebGPU device: adopted, never destroyed by the engine. */
  device?: GPUDevice;
  /** Largest number of pose-hypotheses per GPU submission (default 4096); bigger batches are split. */
  maxBatch?: number;
  /** 'cpu' runs without WebGPU (no adapter needed); default 'gpu'. */
  backend?: 'gpu' | 'cpu';
  /**
   * Time each dispatch of the fused path on the GPU (adapters with 'timestamp-query'); read with
   * lastCall(). Costs a little: a profiled call records a compute pass per dispatch.
   */
  profile?: boolean;
}

/** liftBuffers: the caller's buffers, pose count and image size, plus the sampling options of lift(). */
export interface BufferLiftRequest extends BufferLift, Pick<LiftOptions, 'hypotheses' | 'timesteps' | 'eta' | 'init' | 'seed' | 'poseOffset'> {}

export interface LiftResult {
  /** [N, 17, 3] metres, camera frame, root-relative: the mean over hypotheses. */
  poses: Float32Array;
  /** [N, 17] metres: per-joint RMS distance of the hypotheses from their mean (0 with one hypothesis). */
  spread: Float32Array;
  /** [N, H, 17, 3]: every hypothesis, root-relative, when `samples: true` was asked. */
  samples?: Float32Array;
  hypotheses: number;
  timesteps: number[];
  executor: string;
}

/** DiffPose: 2D keypoints to 3D human poses with per-joint uncertainty. */
export class DiffPose {
  private readonly executors = new Map<string, Executor>();
  private disposed = false;

  private constructor(readonly weights: ModelWeights, readonly gpu: GpuContext | undefined, readonly maxBatch: number, private readonly profile: boolean) {}

  static async load(options: LoadOptions = {}): Promise<DiffPose> {
    const maxBatch = options.maxBatch ?? 4096;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new InputError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (options.backend === 'cpu' && options.device) throw new InputError('backend "cpu" and a device were both given');
    // Everything about the file is checked before the GPU is touched.
    const weights = parseModelWeights(await loadWeightsBytes(options.weights));
    const gpu = options.backend === 'cpu' ? undefined : await acquireGpu({ device: options.device });
    return new DiffPose(weights, gpu, maxBatch, options.profile ?? false);
  }

  get config(): ModelConfig { return this.weights.config; }

  /** The adapter in words, or 'cpu'. */
  get adapter(): string { return this.gpu ? adapterName(this.gpu.adapter) : 'cpu'; }

  async lift(keypoints: Float32Array, options: LiftOptions): Promise<LiftResult> {
    if (this.disposed) throw new DiffPoseError('DISPOSED', 'this DiffPose model was disposed');
    if (typeof options !== 'object' || options === null) throw new InputError('lift(keypoints, options): options with imageSize are required');
    const settings = resolveSettings(options, this.config);
    const batch = prepareInput({ keypoints, imageSize: options.imageSize, format: options.format, confidence: options.confidence, gmm: options.gmm });
    const executor = await this.executor(options.executor ?? this.defaultExecutor());
    const r = await executor.run(batch, settings);
    return {
      poses: r.mean, spread: r.spread, samples: settings.wantSamples ? r.samples : undefined,
      hypotheses: settings.hypotheses, timesteps: settings.timesteps, executor: executor.name,
    };
  }

  /** fused where the model's shapes allow it, else per-op; the CPU reference without a GPU. */
  private defaultExecutor(): ExecutorName {
    if (!this.gpu) return 'cpu';
    return fusedUnsupported(this.weights.lifter) || fusedUnsupported(this.weights.denoiser) ? 'per-op' : 'fused';
  }

  private async executor(name: ExecutorName): Promise<Executor> {
    if (!EXECUTOR_NAMES.includes(name)) throw new InputError(`unknown executor ${JSON.stringify(name)} (${EXECUTOR_NAMES.join(', ')})`);
    let e = this.executors.get(name);
    if (!e) {
      if (name === 'cpu') e = cpuExecutor(this.weights);
      else {
        if (!this.gpu) throw new InputError(`executor "${name}" needs a GPU, but this model was loaded with backend "cpu"`);
        e = name === 'per-op'
          ? await createPerOpExecutor(this.gpu, this.weights, this.maxBatch)
          : await createFusedExecutor(this.gpu, this.weights, { maxItems: this.maxBatch, profile: this.profile, precision: name === 'fused-f16' ? 'f16' : 'f32' });
      }
      this.executors.set(name, e);
    }
    return e;
  }

  /**
   * GPU-resident lift for WebGPU apps (fused executor): reads `keypoints` [count, 17, 3] f32
   * (x, y pixels, confidence; Human3.6M order) from the caller's buffer and writes the mean poses
   * [count, 17, 3] f32 (metres, camera frame, root-relative) and optionally the spread
   * [count, 17] f32 into the caller's buffers. Recorded into `encoder` when given (the caller
   * submits; nothing is submitted or read back by the engine), else submitted by the engine.
   * The buffers need STORAGE usage and must belong to this model's device.
   */
  async liftBuffers(req: BufferLiftRequest): Promise<void> {
    if (this.disposed) throw new DiffPoseError('DISPOSED', 'this DiffPose model was disposed');
    if (!this.gpu) throw new InputError('liftBuffers needs a GPU, but this model was loaded with backend "cpu"');
    if (typeof req !== 'object' || req === null) throw new InputError('liftBuffers(request): a request object is required');
    const settings = resolveSettings({ ...req, samples: false }, this.config);
    const { count, imageSize } = req;
    if (!Number.isInteger(count) || count < 1) throw new InputError(`count must be a positive integer, got ${count}`);
    if (!Array.isArray(imageSize) || imageSize.length !== 2 || !imageSize.every((v) => Number.isFinite(v) && v > 0)) {
      throw new InputError(`imageSize must be [width, height] with both > 0, got ${JSON.stringify(imageSize)}`);
    }
    const check = (buffer: GPUBuffer | undefined, name: string, floats: number) => {
      if (!buffer) return;
      if (typeof buffer.size !== 'number' || typeof buffer.usage !== 'number') throw new InputError(`${name} must be a GPUBuffer`);
      if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new InputError(`${name} needs GPUBufferUsage.STORAGE`);
      if (buffer.size < floats * 4) throw new InputError(`${name} has ${buffer.size} bytes, ${count} poses need ${floats * 4}`);
    };
    if (!req.keypoints || !req.poses) throw new InputError('keypoints and poses buffers are required');
    check(req.keypoints, 'keypoints', count * 17 * 3);
    check(req.poses, 'poses', count * 17 * 3);
    check(req.spread, 'spread', count * 17);
    if (req.keypoints === req.poses || req.keypoints === req.spread || (req.spread && req.spread === req.poses)) {
      throw new InputError('keypoints, poses and spread must be three different buffers');
    }
    const fused = await this.executor('fused') as FusedExecutorHandle;
    await fused.runBuffers({ ...req, imageSize: [imageSize[0], imageSize[1]] }, settings);
  }

  /**
   * Dispatches and submits of the executor's last call (lift or liftBuffers), and with
   * `profile` the GPU time of each fused dispatch; undefined before its first call or for 'cpu'.
   */
  lastCall(executor: ExecutorName = this.defaultExecutor()): CallStats | undefined {
    return this.executors.get(executor)?.lastCall?.();
  }

  /** Frees GPU resources; destroys the device only when the engine created it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.executors.values()) e.dispose();
    this.executors.clear();
    if (this.gpu?.owned) this.gpu.device.destroy();
  }
}
