import { everyNthPose, upsampleFactor, upsampleTrack } from './temporal/frame-rate.js';
import { pickPoses } from './lift-result-rows.js';
import { cpuExecutor } from './cpu-executor.js';
import { asDiffPoseError, DiffPoseError, GpuError, InputError } from './errors.js';
import type { CallStats, Executor } from './executor.js';
import { acquireGpu, adapterName, type GpuContext } from './gpu/context.js';
import { deviceLock, type DeviceLock } from './gpu/device-lock.js';
import {
  checkLiftOptionKeys,
  concatFloats,
  checkOptionKeys,
  EXECUTOR_NAMES,
  float32Input,
  resolveSettings,
  type ExecutorName,
  type LiftOptions,
  type RunSettings,
} from './lift-options.js';
import type { ModelConfig } from './model/config.js';
import { DEFAULT_TEMPORAL_WEIGHTS, loadWeightsBytes, type WeightsSource } from './model/load-bytes.js';
import { parseModelWeights, type ModelWeights } from './model/weights.js';
import { mixtureBands, radius90 } from './model/calibration.js';
import { keypointFormat } from './pose/formats.js';
import {
  checkImageSize,
  checkKeypointValues,
  keypointsOfGmm,
  prepareInput,
  type GmmInput,
  type PreparedBatch,
} from './pose/input.js';
import {
  checkBoxes,
  checkHeatmaps,
  checkHeatmapShape,
  fitToGmm,
  gmmKeypoints,
  type HeatmapBatch,
  type HeatmapOptions,
} from './pose/heatmaps.js';
import { fitHeatmapsRef } from './model/heatmap-fit.js';
import { HeatmapFitter } from './schedule/heatmap-fitter.js';
import { reprojectionAggregate } from './pose/reprojection-aggregate.js';
import { fitRoots, smoothRoots, uvCamera, type Intrinsics } from './pose/root-trajectory.js';
import { createFusedExecutor, type BufferLift } from './schedule/fused-executor.js';
import { checkBuffers } from './gpu/buffer-checks.js';
import { fusedUnsupported } from './schedule/fused-params.js';
import { createPerOpExecutor } from './schedule/per-op-executor.js';
import { parseTemporalWeights } from './temporal/temporal-weights.js';
import { calibrationFor, isV2, temporalModel, type TemporalModel } from './temporal/temporal-model.js';
import { trackSequence } from './temporal/sequence-batch.js';
import { DiffPoseStream, type StreamOptions } from './temporal/stream.js';

export interface LoadOptions {
  /** Weights file: bytes, a path (Node) or URL; default the bundled `weights/diffpose.safetensors`. */
  weights?: WeightsSource;
  /**
   * The temporal (video) model that liftSequence and streams run (docs/temporal-model.md): bytes,
   * a path or URL. Default: the bundled `weights/diffpose-temporal.safetensors` when `weights` is
   * not given either (in Node), else none; null for none.
   */
  temporalWeights?: WeightsSource | null;
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

/**
 * Fired on the model when its device is lost ('devicelost') and when an engine-owned device has
 * been replaced by a new one ('devicerestored').
 */
export class DeviceEvent extends Event {
  constructor(
    type: 'devicelost' | 'devicerestored',
    readonly reason: string,
    readonly message: string,
    /** The engine created the device: the next call acquires a new one. */
    readonly recoverable: boolean,
  ) {
    super(type);
  }
}

/** liftBuffers: the caller's buffers, pose count and image size, plus the sampling options of lift(). */
export interface BufferLiftRequest
  extends
    Omit<BufferLift, 'keypoints'>,
    Pick<LiftOptions, 'hypotheses' | 'timesteps' | 'eta' | 'init' | 'seed' | 'poseOffset' | 'signal'> {
  /** [count, 17, 3] f32: x, y in pixels and confidence, Human3.6M joint order; or give `heatmaps`. */
  keypoints?: GPUBuffer;
  /**
   * Instead of keypoints: heatmaps [count, 17, height, width] f32 in Human3.6M order in `buffer`
   * (STORAGE), fitted on the GPU in one more dispatch of the same pass sequence (nothing read
   * back); NaN, infinities and negative values carry no mass, a heatmap with none is one wide
   * Gaussian over its box.
   */
  heatmaps?: Omit<HeatmapOptions, 'format'> & { buffer: GPUBuffer };
  /** The fused plan that runs it: 'fused' (default) or 'fused-f16'. */
  executor?: 'fused' | 'fused-f16';
}

/** fitHeatmaps options: the heatmaps' shape, boxes and components, and where the fit runs ('cpu': the reference). */
export interface FitHeatmapsOptions extends HeatmapOptions {
  executor?: ExecutorName;
}

export interface LiftResult {
  /** [N, 17, 3] metres, camera frame, root-relative: the mean over hypotheses. */
  poses: Float32Array;
  /** [N, 17] metres: per-joint RMS distance of the hypotheses from their mean (0 with one hypothesis). */
  spread: Float32Array;
  /** [N, H, 17, 3]: every hypothesis, root-relative, when `samples: true` was asked. */
  samples?: Float32Array;
  /**
   * [N, 3] metres, camera frame: where the root (pelvis) is, fitted so that `poses` placed there
   * reproject best onto the input 2D (weighted by each joint's 2D certainty; `camera` gives the
   * intrinsics). NaN for a pose whose keypoints determine no root in front of the camera. A
   * sequence lifted with the offline window (liftSequence) has its trajectory averaged over 7
   * frames (smoothRoots).
   */
  root: Float32Array;
  /**
   * [N, 17] metres: per joint the radius around the returned joint that holds the true joint with
   * probability 0.9 (root-relative, like `poses`), from the spread, the joint and the lower of its
   * own and the pelvis' and hips' 2D confidences (every joint is measured from the pelvis), by the
   * calibration stored with the weights (model/calibration.ts; with one hypothesis from the
   * lifter's sigma, or the confidence and the joint alone). Absent for weights without one.
   */
  radius90?: Float32Array;
  /**
   * [N, 17] metres: the lifter's own estimate of each joint's error (a per-axis std, before the
   * diffusion refines the pose), for weights whose lifter predicts it (lifter coordsOut 4); their
   * paper init draws each joint's start depth with this std (docs/uncertainty.md). Absent otherwise.
   */
  sigma?: Float32Array;
  hypotheses: number;
  timesteps: number[];
  executor: ExecutorName;
}

/** The result of a lift whose options ask for `samples: true`: `samples` is then always there. */
export type LiftResultFor<O extends LiftOptions> = O extends { samples: true }
  ? LiftResult & { samples: Float32Array }
  : LiftResult;

const LOAD_OPTION_KEYS: ReadonlySet<string> = new Set<keyof LoadOptions>([
  'weights',
  'temporalWeights',
  'device',
  'maxBatch',
  'backend',
  'profile',
]);

/** liftSequence options: those of lift, plus the encoder's window. */
export interface SequenceOptions extends LiftOptions {
  /** Past frames only (zero latency, for live input); default false: a centred window (files). */
  causal?: boolean;
  /**
   * The frames' rate. Under 25 fps the temporal model reads the 2D upsampled in time to about 30
   * fps (upsampleFactor: 15 fps twice, with interpolated frames between the real ones) and returns
   * the real frames' poses; its weights were trained on 20-60 fps (docs/temporal-model.md §18).
   * Default: 30 (no upsampling).
   */
  fps?: number;
}

/** One track of liftSequences: its frames' keypoints [T, K, 2] and optional confidence [T, K]. */
export interface SequenceTrack {
  keypoints: Float32Array | readonly number[];
  confidence?: Float32Array | readonly number[];
}

/** Which of a model's networks a call runs: the frame model or the temporal one. */
type ModelKind = 'frame' | 'temporal';
const BUFFER_LIFT_KEYS: ReadonlySet<string> = new Set<keyof BufferLiftRequest>([
  'keypoints',
  'heatmaps',
  'poses',
  'spread',
  'root',
  'radius90',
  'sigma',
  'count',
  'encoder',
  'imageSize',
  'hypotheses',
  'timesteps',
  'eta',
  'init',
  'seed',
  'poseOffset',
  'signal',
  'executor',
]);

/**
 * DiffPose: 2D keypoints to 3D human poses with per-joint uncertainty.
 *
 * Calls may overlap freely (several lifts in flight, liftBuffers among them, several models on
 * one device): GPU work runs one call at a time per device (gpu/device-lock.ts), so each call
 * gives the bits it gives alone. CPU-executor calls do not wait for the GPU.
 */
export class DiffPose extends EventTarget {
  /** Per model kind and name; GPU executors are made inside the device lock: racing first calls make one. */
  private readonly executors = new Map<`${ModelKind}:${ExecutorName}`, Executor>();
  private disposed = false;
  private context: GpuContext | undefined;
  private readonly lock: DeviceLock | undefined;
  /** The heatmap fit's pipeline and buffers on this device (made on first use, inside the lock). */
  private fitter: HeatmapFitter | undefined;

  private constructor(
    readonly weights: ModelWeights,
    readonly temporal: TemporalModel | undefined,
    gpu: GpuContext | undefined,
    readonly maxBatch: number,
    private readonly profile: boolean,
  ) {
    super();
    this.context = gpu;
    if (gpu) {
      this.lock = deviceLock(gpu.device);
      this.watch(gpu);
    }
  }

  static async load(options: LoadOptions = {}): Promise<DiffPose> {
    try {
      if (typeof options !== 'object' || options === null)
        throw new InputError('DiffPose.load(options): options must be an object');
      checkOptionKeys(options, LOAD_OPTION_KEYS, 'load options');
      const maxBatch = options.maxBatch ?? 4096;
      if (!Number.isInteger(maxBatch) || maxBatch < 1)
        throw new InputError(`maxBatch must be a positive integer, got ${maxBatch}`);
      if (options.backend !== undefined && options.backend !== 'gpu' && options.backend !== 'cpu') {
        throw new InputError(`backend must be "gpu" or "cpu", got ${JSON.stringify(options.backend)}`);
      }
      if (options.backend === 'cpu' && options.device)
        throw new InputError('backend "cpu" and a device were both given');
      if (options.profile !== undefined && typeof options.profile !== 'boolean')
        throw new InputError(`profile must be true or false, got ${JSON.stringify(options.profile)}`);
      // Everything about the file is checked before the GPU is touched.
      const weights = parseModelWeights(await loadWeightsBytes(options.weights));
      const temporalSource =
        options.temporalWeights === undefined
          ? options.weights === undefined
            ? 'bundled'
            : null
          : options.temporalWeights;
      const temporal =
        temporalSource === null
          ? undefined
          : temporalModel(
              parseTemporalWeights(
                await loadWeightsBytes(
                  temporalSource === 'bundled' ? undefined : temporalSource,
                  DEFAULT_TEMPORAL_WEIGHTS,
                ),
              ),
            );
      const gpu = options.backend === 'cpu' ? undefined : await acquireGpu({ device: options.device });
      return new DiffPose(weights, temporal, gpu, maxBatch, options.profile ?? false);
    } catch (e) {
      throw asDiffPoseError(e, 'DiffPose.load');
    }
  }

  get config(): ModelConfig {
    return this.weights.config;
  }

  /** The device the model runs on now (a lost engine-owned device is replaced on the next call). */
  get gpu(): GpuContext | undefined {
    return this.context;
  }

  /** True while the model's device is lost: for a caller's device for good, for an engine-owned one until the next call replaces it. */
  get lost(): boolean {
    return this.context?.lost !== undefined;
  }

  /** The adapter in words, or 'cpu'. */
  get adapter(): string {
    return this.context ? adapterName(this.context.adapter) : 'cpu';
  }

  /**
   * Lifts N poses: `keypoints` [N, K, 2] pixels of `options.format` (a Float32Array or plain
   * numbers). An empty input gives an empty result. See LiftOptions and the README.
   */
  async lift<O extends LiftOptions>(
    keypoints: Float32Array | readonly number[],
    options: O,
  ): Promise<LiftResultFor<O>> {
    this.checkUsable();
    try {
      if (typeof options !== 'object' || options === null)
        throw new InputError('lift(keypoints, options): options with imageSize are required');
      checkLiftOptionKeys(options);
      const settings = resolveSettings(options, this.config);
      const name = this.executorName(options.executor);
      const fitted = options.heatmaps === undefined ? undefined : await this.heatmapInput(keypoints, options, name);
      const points = fitted ? gmmKeypoints(fitted) : float32Input(keypoints, 'keypoints');
      const confidence = options.confidence === undefined ? undefined : float32Input(options.confidence, 'confidence');
      const gmm = fitted ?? options.gmm;
      const empty = fitted
        ? fitted.weights.length === 0
        : points.length === 0 && (confidence === undefined || confidence.length === 0) && gmm === undefined;
      if (empty) {
        // Validated as a non-empty call would be.
        checkImageSize(options.imageSize);
        keypointFormat(options.format ?? 'h36m17');
        checkedAggregate(options.aggregate);
        checkedIntrinsics(options.camera);
        return this.emptyResult(
          settings.hypotheses,
          settings.timesteps,
          settings.wantSamples,
          name,
        ) as LiftResultFor<O>;
      }
      const batch = prepareInput({
        keypoints: points,
        imageSize: options.imageSize,
        // Fitted mixtures are in Human3.6M order whatever the heatmaps' format.
        format: fitted ? 'h36m17' : options.format,
        confidence,
        gmm,
      });
      return (await this.runBatch('frame', batch, options, settings, name)) as LiftResultFor<O>;
    } catch (e) {
      throw asDiffPoseError(e, 'lift', this.context?.lost);
    }
  }

  /**
   * Fits per-joint Gaussian mixtures to heatmaps [N, K, height, width] of `options.format`'s
   * keypoints (default Human3.6M), each person's covering `boxes[n]` (left, top, right, bottom,
   * image pixels): the `gmm` that lift takes, in Human3.6M order and image pixels. On the GPU
   * (one dispatch) unless the model is CPU-only or `executor` is 'cpu' (the reference,
   * src/model/heatmap-fit.ts). Bad heatmaps or boxes are an InputError before any GPU work.
   */
  async fitHeatmaps(heatmaps: Float32Array, options: FitHeatmapsOptions): Promise<GmmInput> {
    this.checkUsable();
    try {
      if (typeof options !== 'object' || options === null)
        throw new InputError('fitHeatmaps(heatmaps, options): options { width, height, boxes } are required');
      const { executor, ...rest } = options;
      const batch = checkHeatmaps(heatmaps, rest);
      return fitToGmm(await this.fitBatch(batch, this.executorName(executor) === 'cpu'), batch);
    } catch (e) {
      throw asDiffPoseError(e, 'fitHeatmaps', this.context?.lost);
    }
  }

  /** lift's heatmap input: checked, then fitted where the lift runs (the CPU executor on the CPU). */
  private async heatmapInput(heatmaps: unknown, options: LiftOptions, name: ExecutorName): Promise<GmmInput> {
    if (options.gmm !== undefined || options.confidence !== undefined)
      throw new InputError('heatmaps give each joint its mixture: leave out gmm and confidence');
    const batch = checkHeatmaps(heatmaps, options.heatmaps!, options.format ?? 'h36m17');
    return fitToGmm(await this.fitBatch(batch, name === 'cpu'), batch);
  }

  private async fitBatch(batch: HeatmapBatch, cpu: boolean): Promise<Float32Array> {
    if (batch.poses === 0) return new Float32Array(0);
    if (cpu || !this.context) return fitHeatmapsRef(batch);
    return this.onGpu(undefined, true, async () => (await this.heatmapFitter()).fit(batch));
  }

  /** Only inside the device lock. */
  private async heatmapFitter(): Promise<HeatmapFitter> {
    this.fitter ??= await HeatmapFitter.create(this.context!);
    return this.fitter;
  }

  /** A prepared batch through one executor of the frame or temporal model, aggregated and placed (root). */
  private async runBatch(
    kind: ModelKind,
    batch: PreparedBatch,
    options: LiftOptions,
    settings: RunSettings,
    name: ExecutorName,
  ): Promise<LiftResult> {
    const aggregate = checkedAggregate(options.aggregate);
    const cam = uvCamera(options.imageSize, checkedIntrinsics(options.camera));
    // Reprojection aggregation picks among the hypotheses: they are read back even when not asked for.
    const run = aggregate === 'reprojection' ? { ...settings, wantSamples: true } : { ...settings, camera: cam };
    const r =
      name === 'cpu'
        ? await this.cpuExecutor(kind).run(batch, run)
        : await this.onGpu(settings.signal, true, async () => (await this.gpuExecutor(kind, name)).run(batch, run));
    const weights = rootWeights(batch);
    const poses =
      aggregate === 'reprojection'
        ? reprojectionAggregate(r.samples, r.mean, batch.uv, weights, batch.poses, settings.hypotheses, cam)
        : r.mean;
    // The fused plans fit the root of the mean in their aggregation dispatch; otherwise (and for
    // poses picked per joint by reprojection) it is fitted here.
    const root = r.root && aggregate === 'mean' ? r.root : fitRoots(poses, batch.uv, weights, batch.poses, cam);
    const cal = calibrationFor(this.model(kind), batch.sequence?.mode);
    return {
      poses,
      spread: r.spread,
      samples: settings.wantSamples ? r.samples : undefined,
      root,
      // The fused plans compute it in their aggregation dispatch; the CPU and per-op executors here, by the same rule.
      radius90:
        r.radius90 ??
        (cal
          ? radius90(
              cal,
              r.spread,
              mixtureBands(cal, batch.gmm, batch.components, batch.poses * 17),
              settings.hypotheses,
              r.sigma,
            )
          : undefined),
      sigma: r.sigma,
      hypotheses: settings.hypotheses,
      timesteps: settings.timesteps,
      executor: name,
    };
  }

  /**
   * Lifts one track of T consecutive frames with the temporal model (docs/temporal-model.md):
   * each frame's start pose and denoiser are conditioned on the track's 2D around it — a centred
   * window of 27 frames, or with `causal` the 27 frames up to it. `keypoints` [T, K, 2] pixels of
   * `options.format`; a LiftResult with T poses. Tracks shorter than the window, down to one
   * frame, are edge padded.
   */
  async liftSequence<O extends SequenceOptions>(
    keypoints: Float32Array | readonly number[],
    options: O,
  ): Promise<LiftResultFor<O>> {
    this.checkUsable();
    try {
      if (typeof options !== 'object' || options === null)
        throw new InputError('liftSequence(keypoints, options): options with imageSize are required');
      const { confidence, ...rest } = options;
      // Keypoints left out beside a mixture, as lift takes them: each joint's heaviest component.
      const points =
        options.gmm !== undefined && (keypoints as { length?: unknown } | null)?.length === 0
          ? keypointsOfGmm(options.gmm)
          : keypoints;
      const [r] = await this.sequences([{ keypoints: points, confidence }], rest, options.gmm);
      return r as LiftResultFor<O>;
    } catch (e) {
      throw asDiffPoseError(e, 'liftSequence', this.context?.lost);
    }
  }

  /**
   * liftSequence for many tracks in one call (one GPU submission per chunk, whatever the number
   * of tracks): a LiftResult per track, in order. Options as liftSequence's, without confidence
   * and gmm (a track carries its confidence).
   */
  async liftSequences<O extends Omit<SequenceOptions, 'confidence' | 'gmm'>>(
    tracks: readonly SequenceTrack[],
    options: O,
  ): Promise<Array<LiftResultFor<O>>> {
    this.checkUsable();
    try {
      if (typeof options !== 'object' || options === null)
        throw new InputError('liftSequences(tracks, options): options with imageSize are required');
      if ('confidence' in options || 'gmm' in options)
        throw new InputError(
          'liftSequences: give each track its confidence ({ keypoints, confidence }); gmm is for liftSequence',
        );
      return (await this.sequences(tracks, options, undefined)) as Array<LiftResultFor<O>>;
    } catch (e) {
      throw asDiffPoseError(e, 'liftSequences', this.context?.lost);
    }
  }

  private async sequences(
    tracks: readonly SequenceTrack[],
    options: Omit<SequenceOptions, 'confidence'>,
    gmm: LiftOptions['gmm'],
  ): Promise<LiftResult[]> {
    const { causal, fps, ...liftOptions } = options;
    checkLiftOptionKeys(liftOptions);
    const f = upsampleFactor(fps);
    if (f > 1 && (gmm !== undefined || liftOptions.heatmaps !== undefined))
      throw new InputError(`fps ${fps} upsamples keypoints in time: not a gmm or heatmaps input`);
    if (causal !== undefined && typeof causal !== 'boolean')
      throw new InputError(`causal must be true or false, got ${JSON.stringify(causal)}`);
    if (!this.temporal)
      throw new InputError(
        'this model has no temporal weights: load with { temporalWeights } (the bundled ones are loaded when no weights are given)',
      );
    if (!Array.isArray(tracks)) throw new InputError('tracks must be an array of { keypoints, confidence? }');
    const settings = resolveSettings(liftOptions, this.temporal.config);
    const name = this.executorName(liftOptions.executor);
    if (isV2(this.temporal) && liftOptions.aggregate === 'reprojection')
      throw new InputError(
        'aggregate "reprojection" picks among hypotheses; a v2 temporal file averages the outputs of neighbouring frames ("mean" only)',
      );
    checkImageSize(options.imageSize);
    const format = keypointFormat(options.format ?? 'h36m17');
    const perFrame = format.keypoints * 2;
    const points: Float32Array[] = [],
      confidences: Float32Array[] = [],
      lengths: number[] = [];
    tracks.forEach((t, i) => {
      if (typeof t !== 'object' || t === null) throw new InputError(`tracks[${i}] must be { keypoints, confidence? }`);
      checkOptionKeys(t, new Set(['keypoints', 'confidence']), `tracks[${i}]`);
      const kp = float32Input(t.keypoints, tracks.length > 1 ? `tracks[${i}].keypoints` : 'keypoints');
      if (kp.length % perFrame !== 0)
        throw new InputError(
          `${tracks.length > 1 ? `tracks[${i}].` : ''}keypoints has ${kp.length} values, not a multiple of ${perFrame} (${format.keypoints} keypoints x 2 for format ${format.name})`,
        );
      const conf =
        t.confidence === undefined
          ? undefined
          : float32Input(t.confidence, tracks.length > 1 ? `tracks[${i}].confidence` : 'confidence');
      if (conf && conf.length !== kp.length / 2)
        throw new InputError(
          `${tracks.length > 1 ? `tracks[${i}].` : ''}confidence has ${conf.length} values, expected ${kp.length / 2}`,
        );
      // Before the track is upsampled and joined to the others: a bad value's index is the caller's.
      checkKeypointValues(kp, conf, options.imageSize, tracks.length > 1 ? `tracks[${i}].` : '');
      const up = upsampleTrack(kp, conf, format.keypoints, f);
      points.push(up.keypoints);
      lengths.push(up.keypoints.length / perFrame);
      if (up.confidence) confidences.push(up.confidence);
    });
    if (confidences.length !== 0 && confidences.length !== tracks.length)
      throw new InputError('give a confidence for every track or for none');
    const live = lengths.map((n, i) => [n, i] as const).filter(([n]) => n > 0);
    const empty = () => this.emptyResult(settings.hypotheses, settings.timesteps, settings.wantSamples, name);
    if (live.length === 0) return tracks.map(empty);
    const batch = prepareInput({
      keypoints: concatFloats(...live.map(([, i]) => points[i])),
      imageSize: options.imageSize,
      format: options.format,
      confidence: confidences.length ? concatFloats(...live.map(([, i]) => confidences[i])) : undefined,
      gmm,
    });
    batch.sequence = trackSequence(
      batch,
      causal ? 'causal' : 'offline',
      live.map(([n]) => n),
    );
    // Upsampled, the real frame i is the sequence's frame f i: so are its random draws' keys.
    // Pose counters are u32 (the kernels' and the CPU reference's Philox counters wrap alike).
    const run = f > 1 ? { ...liftOptions, poseOffset: ((liftOptions.poseOffset ?? 0) * f) % 2 ** 32 } : liftOptions;
    const r = await this.runBatch(
      'temporal',
      batch,
      run,
      f > 1 ? resolveSettings(run, this.temporal.config) : settings,
      name,
    );
    const out: LiftResult[] = tracks.map(empty);
    let start = 0;
    for (const [n, i] of live) {
      out[i] = everyNthPose(sliceResult(r, start, n), f);
      // The offline window sees the frames around each one: so does its placement.
      if (!causal) out[i].root = smoothRoots(out[i].root, out[i].root.length / 3);
      start += n;
    }
    return out;
  }

  /**
   * A live stream of the causal temporal model: `await stream.push(keypoints [P, K, 2], { confidence?,
   * tracks? })` lifts one video frame of P tracks, each with the 26 frames before it of its track,
   * which stay in a ring buffer on the GPU (src/temporal/stream.ts). Options as lift's, plus maxTracks.
   */
  async createStream(options: StreamOptions): Promise<DiffPoseStream> {
    this.checkUsable();
    try {
      const { lift, maxTracks, upsample } = DiffPoseStream.checkOptions(options);
      if (!this.temporal)
        throw new InputError(
          'this model has no temporal weights: load with { temporalWeights } (the bundled ones are loaded when no weights are given)',
        );
      const temporal = this.temporal;
      const fuse = temporal.encoders.causal.config.fuse;
      // Checked now, as a push would, so that a bad option fails here.
      checkImageSize(lift.imageSize);
      keypointFormat(lift.format ?? 'h36m17');
      resolveSettings(lift, temporal.config);
      checkedIntrinsics(lift.camera);
      const name = this.executorName(lift.executor);
      return new DiffPoseStream(
        {
          executor: name,
          runBuffers: async (req, o, poseOffset, sequence) => {
            this.checkUsable();
            // The stream refused other executors before changing its state.
            if (name === 'cpu') throw new DiffPoseError('INTERNAL', 'pushBuffers reached the CPU executor');
            try {
              const settings = resolveSettings({ ...o, poseOffset, samples: false }, temporal.config);
              // The caller's buffers belong to the device they were made on: never retried on a new one.
              await this.onGpu(settings.signal, false, async () =>
                (await this.gpuExecutor('temporal', name)).runBuffers!(req, settings, sequence),
              );
            } catch (e) {
              throw asDiffPoseError(e, 'stream.pushBuffers', this.context?.lost);
            }
          },
          window: temporal.encoders.causal.config.window,
          fuseWindow: fuse?.window,
          ringLevels: temporal.encoders.causal.blocks.length * temporal.encoders.causal.config.channels,
          device: () => (name === 'cpu' ? undefined : this.context?.device),
          run: async (batch, o, poseOffset) => {
            this.checkUsable();
            try {
              const settings = resolveSettings({ ...o, poseOffset }, temporal.config);
              return await this.runBatch('temporal', batch, o, settings, name);
            } catch (e) {
              throw asDiffPoseError(e, 'stream.push', this.context?.lost);
            }
          },
        },
        lift,
        maxTracks,
        upsample,
      );
    } catch (e) {
      throw asDiffPoseError(e, 'createStream', this.context?.lost);
    }
  }

  private emptyResult(hypotheses: number, timesteps: number[], samples: boolean, executor: ExecutorName): LiftResult {
    return {
      poses: new Float32Array(0),
      spread: new Float32Array(0),
      samples: samples ? new Float32Array(0) : undefined,
      root: new Float32Array(0),
      hypotheses,
      timesteps,
      executor,
    };
  }

  /** fused where the model's shapes allow it, else per-op; the CPU reference without a GPU. */
  private defaultExecutor(): ExecutorName {
    if (!this.context) return 'cpu';
    return fusedUnsupported(this.weights.lifter) || fusedUnsupported(this.weights.denoiser) ? 'per-op' : 'fused';
  }

  private executorName(name: ExecutorName | undefined): ExecutorName {
    const chosen = name ?? this.defaultExecutor();
    if (!EXECUTOR_NAMES.includes(chosen))
      throw new InputError(`unknown executor ${JSON.stringify(chosen)} (${EXECUTOR_NAMES.join(', ')})`);
    if (chosen !== 'cpu' && !this.context)
      throw new InputError(`executor "${chosen}" needs a GPU, but this model was loaded with backend "cpu"`);
    return chosen;
  }

  private model(kind: ModelKind): ModelWeights {
    return kind === 'frame' ? this.weights : this.temporal!;
  }

  private cpuExecutor(kind: ModelKind): Executor {
    let e = this.executors.get(`${kind}:cpu`);
    if (!e) {
      e = cpuExecutor(this.model(kind));
      this.executors.set(`${kind}:cpu`, e);
    }
    return e;
  }

  /** Only inside the device lock. */
  private async gpuExecutor(kind: ModelKind, name: Exclude<ExecutorName, 'cpu'>): Promise<Executor> {
    let e = this.executors.get(`${kind}:${name}`);
    if (!e) {
      const gpu = this.context!,
        model = this.model(kind);
      e =
        name === 'per-op'
          ? await createPerOpExecutor(gpu, model, this.maxBatch)
          : await createFusedExecutor(gpu, model, {
              maxItems: this.maxBatch,
              profile: this.profile,
              precision: name === 'fused-f16' ? 'f16' : 'f32',
            });
      this.executors.set(`${kind}:${name}`, e);
    }
    return e;
  }

  /**
   * Runs GPU work in the device lock, on a usable device: a lost engine-owned device is replaced
   * first (and, when the loss shows only as this call's failure, once more and the call retried
   * when `retry`); a lost caller's device is GPU_LOST.
   */
  private onGpu<T>(signal: AbortSignal | undefined, retry: boolean, body: () => Promise<T>): Promise<T> {
    return this.lock!.run(async () => {
      this.checkUsable();
      await this.replaceLostDevice();
      try {
        return await body();
      } catch (e) {
        if (!retry || !this.context!.lost || !this.context!.owned || this.disposed) throw e;
        await this.replaceLostDevice();
        return body();
      }
    }, signal);
  }

  private async replaceLostDevice(): Promise<void> {
    const old = this.context!;
    if (!old.lost) return;
    if (!old.owned) throw old.lost;
    this.disposeExecutors();
    let gpu: GpuContext;
    try {
      gpu = await acquireGpu();
    } catch (e) {
      throw new GpuError(
        'GPU_LOST',
        `${old.lost.message}; a new device could not be acquired: ${(e as Error).message}`,
        { cause: e },
      );
    }
    deviceLock(gpu.device, this.lock);
    this.context = gpu;
    this.watch(gpu);
    this.dispatchEvent(
      new DeviceEvent(
        'devicerestored',
        'replaced',
        `a new device on ${adapterName(gpu.adapter)} replaces the lost one`,
        true,
      ),
    );
  }

  private watch(gpu: GpuContext): void {
    // Weakly: a caller's device may outlive many models, and its lost promise must not keep them alive.
    const model = new WeakRef(this);
    void gpu.device.lost.then((info) => {
      const m = model.deref();
      if (!m || m.disposed || gpu !== m.context) return;
      m.dispatchEvent(new DeviceEvent('devicelost', info.reason ?? 'unknown', info.message, gpu.owned));
    });
  }

  private checkUsable(): void {
    if (this.disposed) throw new DiffPoseError('DISPOSED', 'this DiffPose model was disposed');
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
    this.checkUsable();
    try {
      if (!this.context) throw new InputError('liftBuffers needs a GPU, but this model was loaded with backend "cpu"');
      if (typeof req !== 'object' || req === null)
        throw new InputError('liftBuffers(request): a request object is required');
      checkOptionKeys(req, BUFFER_LIFT_KEYS, 'liftBuffers request');
      const executor = req.executor ?? 'fused';
      if (executor !== 'fused' && executor !== 'fused-f16')
        throw new InputError(`liftBuffers runs executor "fused" or "fused-f16", got ${JSON.stringify(executor)}`);
      const settings = resolveSettings({ ...req, samples: false }, this.config);
      const { imageSize } = req;
      checkImageSize(imageSize);
      const heatmaps = req.heatmaps === undefined ? undefined : checkHeatmapBuffer(req.heatmaps, req.count);
      if (heatmaps && req.keypoints) throw new InputError('liftBuffers: give keypoints or heatmaps, not both');
      // The heatmaps stand in for the keypoints in the buffer checks (their size is checked above).
      const keypoints = heatmaps ? req.heatmaps!.buffer : req.keypoints!;
      checkBuffers({ ...req, keypoints }, req.count);
      if (req.radius90 && !this.weights.calibration)
        throw new InputError('liftBuffers: radius90 needs calibrated weights (diffpose calibrate); these have none');
      if (req.sigma && this.weights.lifter.config.coordsOut !== 4)
        throw new InputError(
          'liftBuffers: sigma needs weights whose lifter predicts its error (lifter coordsOut 4); these have none',
        );
      // The caller's buffers belong to the device they were made on: never retried on a new one.
      await this.onGpu(settings.signal, false, async () => {
        const plan = await this.gpuExecutor('frame', executor);
        const fitter = heatmaps ? await this.heatmapFitter() : undefined;
        const [w, h] = imageSize;
        const fitted = heatmaps && {
          components: heatmaps.components,
          // uv = p / w * 2 - [1, h / w], as prepareInput converts pixels.
          record: (pass: GPUComputePassEncoder, uv: GPUBuffer, gmm: GPUBuffer) =>
            fitter!.record(pass, {
              ...heatmaps,
              heatmaps: req.heatmaps!.buffer,
              count: req.count,
              map: { scale: 2 / w, offsetX: -1, offsetY: -h / w },
              fit: gmm,
              uv,
            }),
        };
        await plan.runBuffers!({ ...req, keypoints, imageSize: [w, h] }, settings, undefined, fitted);
      });
    } catch (e) {
      throw asDiffPoseError(e, 'liftBuffers', this.context?.lost);
    }
  }

  /**
   * Dispatches and submits of the executor's last call (lift or liftBuffers), and with
   * `profile` the GPU time of each fused dispatch; undefined before its first call or for 'cpu'.
   */
  lastCall(executor: ExecutorName = this.defaultExecutor(), model: ModelKind = 'frame'): CallStats | undefined {
    return this.executors.get(`${model}:${executor}`)?.lastCall?.();
  }

  private disposeExecutors(): void {
    this.fitter?.dispose();
    this.fitter = undefined;
    for (const e of this.executors.values()) {
      try {
        e.dispose();
      } catch {
        /* a lost device's buffers: nothing left to free */
      }
    }
    this.executors.clear();
  }

  /**
   * Frees GPU resources; destroys the device only when the engine created it. Calls already
   * waiting for the GPU reject with DISPOSED; a call in flight finishes first.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const gpu = this.context;
    if (!gpu) return;
    // After any call in flight: its buffers are not pulled from under it.
    void this.lock!.run(async () => {
      this.disposeExecutors();
      if (gpu.owned) gpu.device.destroy();
    });
  }
}

/** Poses [start, start + n) of a result. */
export function sliceResult(r: LiftResult, start: number, n: number): LiftResult {
  return pickPoses(r, n, (i) => start + i);
}

/** Per joint, 1 / (the 2D mixture's mean variance): how much each joint's reprojection counts. */
function rootWeights(batch: PreparedBatch): Float32Array {
  const K = batch.components;
  const out = new Float32Array(batch.poses * 17);
  for (let i = 0; i < out.length; i++) {
    let variance = 0;
    for (let k = 0; k < K; k++) {
      const c = batch.gmm.subarray((i * K + k) * 5, (i * K + k + 1) * 5);
      variance += (c[0] * (c[3] * c[3] + c[4] * c[4])) / 2;
    }
    out[i] = 1 / variance;
  }
  return out;
}

function checkedAggregate(aggregate: LiftOptions['aggregate']): 'mean' | 'reprojection' {
  const a = aggregate ?? 'mean';
  if (a !== 'mean' && a !== 'reprojection')
    throw new InputError(`aggregate must be "mean" or "reprojection", got ${JSON.stringify(a)}`);
  return a;
}

function checkedIntrinsics(camera: Intrinsics | undefined): Intrinsics | undefined {
  if (camera === undefined) return undefined;
  if (typeof camera !== 'object' || camera === null)
    throw new InputError('camera must be { focal?, center? } in pixels');
  checkOptionKeys(camera, new Set(['focal', 'center']), 'camera');
  if (
    camera.focal !== undefined &&
    !(typeof camera.focal === 'number' && Number.isFinite(camera.focal) && camera.focal > 0)
  ) {
    throw new InputError(`camera.focal must be a positive number of pixels, got ${JSON.stringify(camera.focal)}`);
  }
  const c = camera.center;
  if (
    c !== undefined &&
    !(Array.isArray(c) && c.length === 2 && c.every((v) => typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new InputError(`camera.center must be [x, y] in pixels, got ${JSON.stringify(c)}`);
  }
  return camera;
}

/** liftBuffers' heatmaps: the options as for host heatmaps (Human3.6M order), the buffer big enough for `count` people. */
function checkHeatmapBuffer(h: NonNullable<BufferLiftRequest['heatmaps']>, count: number) {
  if (typeof h !== 'object' || h === null)
    throw new InputError('heatmaps must be { buffer, width, height, boxes, components? }');
  const { buffer, boxes, ...options } = h;
  if (!buffer || typeof buffer.size !== 'number') throw new InputError('heatmaps.buffer must be a GPUBuffer');
  if (!Number.isInteger(count) || count < 1) throw new InputError(`count must be a positive integer, got ${count}`);
  const shape = checkHeatmapShape({ ...options, boxes });
  const bytes = count * 17 * shape.width * shape.height * 4;
  if (buffer.size < bytes)
    throw new InputError(
      `heatmaps.buffer has ${buffer.size} bytes, ${count} people of 17 x ${shape.height} x ${shape.width} need ${bytes}`,
    );
  return { ...shape, boxes: checkBoxes(boxes, count) };
}
