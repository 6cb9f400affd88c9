import { InputError, throwIfAborted } from '../errors.js';
import type { CallStats, Executor } from '../executor.js';
import { isCpuAdapter, type GpuContext } from '../gpu/context.js';
import { submittedWorkWait, type SubmittedWorkWait } from '../gpu/submitted-work-wait.js';
import { withGpuErrors } from '../gpu/errors-scope.js';
import { PassTimer, type PassTime } from '../gpu/pass-timer.js';
import {
  AGGREGATE,
  bindAggregate,
  CALIBRATION_BYTES,
  FUSE_BYTES,
  fuseRecords,
  packCalibration,
  packFuse,
  packParams,
  paramsByteSize,
  bindKernel,
  createRunBuffer,
  getKernelPipeline,
  recordKernel,
  writeRun,
  type BoundKernel,
  type KernelPipeline,
  type RunBuffer,
} from '../kernels/index.js';
import {
  FUSED_KERNELS,
  SUBGROUP_LANE_GROUP,
  type FusedDispatch,
  type FusedKernels,
  type FusedPrecision,
} from '../kernels/fused.js';
import type { Aggregated } from '../model/aggregate.js';
import { chunkPoseOffset, type RunSettings } from '../lift-options.js';
import { programOf } from '../model/network-program.js';
import type { ModelWeights } from '../model/weights.js';
import type { PreparedBatch } from '../pose/input.js';
import { MAX_COMPONENTS } from '../pose/input.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { uvCamera, type UvCamera } from '../pose/root-trajectory.js';
import type { SequenceInfo } from '../temporal/sequence-batch.js';
import { DispatchCounter } from './dispatch-counter.js';
import {
  FUSED_PARAMS_BYTES,
  fusedTensors,
  fusedUnsupported,
  networkTable,
  packFusedParams,
  slotVec4s,
  type GpuInput,
} from './fused-params.js';
import { emptyResult, finishReadback, recordReadback, stagingBuffer } from './readback.js';
import { StepFeatures } from './step-features.js';
import { addProgram, WeightArena } from './weight-arena.js';
import { ContextStage } from './context-stage.js';
import { isTemporal, isV2, type TemporalModel } from '../temporal/temporal-model.js';
import type { EncoderMode } from '../temporal/encoder-config.js';
import { fuseRegion, framesConfidence, framesUv } from '../temporal/fuse-region.js';

const J = NUM_JOINTS;
const LIFTER_SLOT = 0;
const DENOISER_SLOT = 1;
/** v2 sequence chunks (docs/temporal-model.md §12.3): the lifter, encoder, denoiser and aggregation each see other poses. */
const ENCODER_SLOT = 2;
const AGGREGATE_SLOT = 3;
/** Run slots of one dispatch list: v1 and the frame model share the lifter's and the denoiser's. */
type Slots = { lifter: number; encoder: number; denoise: number; aggregate: number };
const SHARED_SLOTS: Slots = {
  lifter: LIFTER_SLOT,
  encoder: LIFTER_SLOT,
  denoise: DENOISER_SLOT,
  aggregate: DENOISER_SLOT,
};
const V2_SLOTS: Slots = {
  lifter: LIFTER_SLOT,
  encoder: ENCODER_SLOT,
  denoise: DENOISER_SLOT,
  aggregate: AGGREGATE_SLOT,
};

/** How the fused kernels are shaped on this adapter. */
export interface FusedShape {
  /** Cooperative variant: invocations per workgroup and workgroups (slots) in flight. */
  groupSize: number;
  groupSlots: number;
  /** Per-invocation variant: workgroup size and invocations (slots) in flight. */
  laneGroupSize: number;
  laneSlots: number;
  /** A dispatch with at least this many items uses the per-invocation variant. */
  laneFrom: number;
  /**
   * Both variants share weight loads over subgroups (fused/ops-subgroup.wgsl): on CPU drivers
   * whose subgroups are exactly SUBGROUP_LANE_GROUP lanes, with both workgroup sizes that.
   */
  subgroups: boolean;
}

/**
 * Shapes per adapter. CPU drivers (lavapipe, SwiftShader) run a workgroup on one thread with SIMD
 * lanes and pay for every barrier: a single pose is fastest cooperatively (its ops spread over the
 * lanes), batches per invocation (one item per lane, no barriers). GPUs want cooperative
 * workgroups throughout. All within the WebGPU default of 256 invocations per workgroup.
 */
export function chooseFusedShape(gpu: GpuContext, slotBytes: number): FusedShape {
  const cpu = isCpuAdapter(gpu.adapter);
  const maxGroup = gpu.caps.maxInvocationsPerWorkgroup;
  const memorySlots = Math.max(
    1,
    Math.floor(Math.min(gpu.caps.maxStorageBufferBindingSize, 256 * 2 ** 20) / slotBytes),
  );
  if (!cpu) {
    return {
      groupSize: Math.min(128, maxGroup),
      groupSlots: Math.min(4096, memorySlots),
      laneGroupSize: Math.min(64, maxGroup),
      laneSlots: Math.min(4096, memorySlots),
      laneFrom: Infinity,
      subgroups: false,
    };
  }
  const laneGroupSize = Math.min(SUBGROUP_LANE_GROUP, maxGroup);
  // Whole workgroups of slots, so that every subgroup is full.
  const laneSlots = Math.max(laneGroupSize, Math.floor(Math.min(256, memorySlots) / laneGroupSize) * laneGroupSize);
  const subgroups = laneGroupSize === SUBGROUP_LANE_GROUP && gpu.caps.subgroupSize === SUBGROUP_LANE_GROUP;
  return {
    // The cooperative size does not matter to llvmpipe's speed (one thread per workgroup either way).
    groupSize: subgroups ? SUBGROUP_LANE_GROUP : Math.min(32, maxGroup),
    groupSlots: Math.min(64, memorySlots),
    laneGroupSize,
    laneSlots,
    // Measured on lavapipe with subgroups (both forms share weights over them), 2 cores: per
    // invocation 1 to 8 items are one workgroup, on one thread; cooperatively each item is a
    // workgroup and the items spread over the cores. With the main thread asleep while they run
    // (gpu/submitted-work-wait.ts), frame lifts interleaved with both thresholds: 4 poses 39 ms
    // per invocation against 25 cooperatively, 6 poses 50 / 41, 1 x 6 hypotheses 29 / 24, 7 and
    // 8 poses even (36-50 ms either way), 2 x 8 and 12 poses per invocation either way. (While
    // dawn.node's wait spun on one of the two cores, the per-invocation form was ahead from 4.)
    // Without subgroups, from about 12.
    laneFrom: subgroups ? 7 : 12,
    subgroups,
  };
}

/** The pipelines and fixed resources the fused kernels are bound with. */
interface FusedBindings {
  group: FusedDispatch;
  lane: FusedDispatch;
  lift: KernelPipeline<FusedDispatch>;
  liftLane: KernelPipeline<FusedDispatch>;
  denoise: KernelPipeline<FusedDispatch>;
  denoiseLane: KernelPipeline<FusedDispatch>;
  aggregate: KernelPipeline<unknown>;
  common: Record<string, GPUBuffer>;
}

type Io = {
  uv: GPUBuffer;
  /** [frames, 17] the confidences of a host lift's `uv` (the lifter's third input channel; model/lifter-input.ts). */
  confidence: GPUBuffer;
  gmm: GPUBuffer;
  lifterXyz: GPUBuffer;
  state: GPUBuffer;
  mean: GPUBuffer;
  spread: GPUBuffer;
  samples: GPUBuffer;
  /** [maxItems, 3] roots, and the aggregation's parameters for host lifts and for callers' buffer lifts. */
  root: GPUBuffer;
  /** [maxItems, 17] radius90, and the weights' calibration uniform (written once: "uncalibrated" without one). */
  radius: GPUBuffer;
  calibration: GPUBuffer;
  aggregateParams: GPUBuffer;
  bufferAggregateParams: GPUBuffer;
  /** The output average of a v2 sequence chunk (packFuse), written per chunk; zeros otherwise. And "none" for buffer lifts. */
  fuse: GPUBuffer;
  noFuse: GPUBuffer;
};
type Pair = { cooperative: BoundKernel<FusedDispatch>; perInvocation: BoundKernel<FusedDispatch> };

/** A caller's GPU-resident lift: its buffers in and out, optionally its command encoder. */
export interface BufferLift {
  /** [count, 17, 3] f32: x, y in pixels and confidence, Human3.6M joint order. */
  keypoints: GPUBuffer;
  /** Out: [count, 17, 3] f32, metres, root-relative (the mean over hypotheses). */
  poses: GPUBuffer;
  /** Out: [count, 17] f32 spread, metres; optional. */
  spread?: GPUBuffer;
  /**
   * Out: [count, 3] f32, metres, camera frame: where each pose's root is, fitted in the
   * aggregation dispatch so that the pose reprojects onto its keypoints (focal = the larger image
   * side, the image centre); (0, 0, 0) where the keypoints determine none. Optional.
   */
  root?: GPUBuffer;
  /** Out: [count, 17] f32 radius90, metres (calibrated weights only; see LiftResult.radius90). Optional. */
  radius90?: GPUBuffer;
  /**
   * Out: [count, 17] f32, metres: the lifter's own error estimate (weights whose lifter predicts
   * it only; see LiftResult.sigma), copied out of the plan: needs GPUBufferUsage.COPY_DST. Optional.
   */
  sigma?: GPUBuffer;
  count: number;
  imageSize: readonly [number, number];
  /** Record into this encoder (the caller submits it); else the engine submits. */
  encoder?: GPUCommandEncoder;
}

/**
 * A buffer lift whose 2D comes from a dispatch recorded before the lifter (the heatmap fit): it
 * writes the plan's `uv` [count, 17, 2] and mixtures [count, 17, components, 5] in uv units, as
 * a host lift uploads them; `req.keypoints` is then not read.
 */
export interface FittedInput {
  components: number;
  record(pass: GPUComputePassEncoder, uv: GPUBuffer, gmm: GPUBuffer): void;
}

/** Everything a fused plan is made of, prepared at load by createFusedExecutor. */
interface FusedPlanParts {
  gpu: GpuContext;
  /** Items (pose-hypotheses) per submission. */
  maxItems: number;
  shape: FusedShape;
  params: GPUBuffer;
  tables: {
    lifter: Uint32Array;
    denoiser: Uint32Array;
    slot4: number;
    featStride4: number;
    denoiserLayers: number;
    /** Where a 4-output lifter's sigma [maxItems, 17] sits in `gmm` (f32 index, after the mixtures); 0: none. */
    sigmaAt: number;
  };
  io: Io;
  bindings: FusedBindings;
  runBuffer: RunBuffer;
  staging: GPUBuffer;
  /** Destroyed with the plan. */
  owned: GPUBuffer[];
  /** Profiling: each dispatch of run() in its own timed pass. */
  timer: PassTimer | undefined;
  precision: FusedPrecision;
  /** The temporal model's context encoder stage (between the lifter and the denoiser). */
  context?: ContextStage;
  /** A v2 temporal model's output average (per mode), and where its start poses sit in lifterXyz (bytes). */
  fuse?: { encoders: TemporalModel['encoders']; startBytes: number };
  calibrated: boolean;
  /** A temporal model's calibration uniform per window (packCalibration), written when a lift's window differs from the last one's. */
  windowCalibrations?: Record<EncoderMode, ArrayBuffer>;
}

/**
 * The fused executor: a whole lift in 3 dispatches whatever the batch, hypotheses and timesteps
 * — (1) the lifter on every pose, (2) per (pose, hypothesis) the start and every reverse step with
 * every layer, one workgroup or invocation per item looping in its scratch slot, (3) aggregation —
 * and a sequence lift of the temporal model in 4, the context encoder between (1) and (2) —
 * recorded in one pass, one submit and one readback. Batches beyond the plan's buffers run as
 * chunks of the same plan. `runBuffers` does the same from and into a caller's GPU buffers.
 */
export class FusedExecutor implements Executor {
  readonly name: string;
  readonly counter = new DispatchCounter();
  readonly maxItems: number;
  readonly shape: FusedShape;
  readonly precision: FusedPrecision;
  /** The weights carry a radius90 calibration: the aggregation dispatch computes radius90. */
  readonly calibrated: boolean;
  private readonly gpu: GpuContext;
  private readonly params: GPUBuffer;
  private readonly tables: FusedPlanParts['tables'];
  private readonly io: Io;
  private readonly bindings: FusedBindings;
  private readonly runBuffer: RunBuffer;
  private readonly staging: GPUBuffer;
  private readonly owned: GPUBuffer[];
  private readonly timer: PassTimer | undefined;
  private readonly context: ContextStage | undefined;
  private readonly fuse: FusedPlanParts['fuse'];
  private paramsKey = '';
  private readonly windowCalibrations: FusedPlanParts['windowCalibrations'];
  /** The window whose calibration the uniform holds (the offline one, written at creation). */
  private calibrationWindow: EncoderMode = 'offline';
  /** All-1 confidences for inputs without any, grown to the largest lift so far (not made per call). */
  private ones = new Float32Array(0);
  private readonly hostLift: Pair;
  private readonly denoise: Pair;
  private readonly hostAggregate: BoundKernel<unknown>;
  // Bind groups for callers' buffers, made on first use and dropped with the buffers.
  private readonly callerLift = new WeakMap<GPUBuffer, Pair>();
  private readonly callerAggregate = new WeakMap<GPUBuffer, Map<string, BoundKernel<unknown>>>();
  /** v2 streams' host pushes: the aggregation bound to each stream's ring of means. */
  private readonly streamAggregate = new WeakMap<GPUBuffer, BoundKernel<unknown>>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private gpuTimes: PassTime[] | undefined;
  private nextBufferId = 0;
  private readonly wait: SubmittedWorkWait;

  constructor(parts: FusedPlanParts) {
    ({
      gpu: this.gpu,
      maxItems: this.maxItems,
      shape: this.shape,
      params: this.params,
      tables: this.tables,
      io: this.io,
      bindings: this.bindings,
      runBuffer: this.runBuffer,
      staging: this.staging,
      owned: this.owned,
      timer: this.timer,
      precision: this.precision,
      context: this.context,
      fuse: this.fuse,
      calibrated: this.calibrated,
      windowCalibrations: this.windowCalibrations,
    } = parts);
    this.name = this.precision === 'f32' ? 'fused' : `fused-${this.precision}`;
    this.wait = submittedWorkWait(this.gpu);
    const { io, bindings: b } = this;
    this.hostLift = this.liftPair(io.uv);
    // v2: the denoiser starts from the encoder's start poses, beside the lifter output.
    const start = this.fuse ? { buffer: io.lifterXyz, offset: this.fuse.startBytes } : io.lifterXyz;
    const denoiseIo = { ...b.common, gmm: io.gmm, lifter_xyz: start, state: io.state, film: this.context?.film };
    this.denoise = {
      cooperative: bindKernel(b.denoise, b.group, denoiseIo, 'fused: denoise (cooperative)'),
      perInvocation: bindKernel(b.denoiseLane, b.lane, denoiseIo, 'fused: denoise (per invocation)'),
    };
    this.hostAggregate = this.aggregateInto(
      { mean: io.mean, spread: io.spread, root: io.root, radius: io.radius },
      io.aggregateParams,
      false,
      this.fuse && { uv: this.context!.records!, fuse: io.fuse },
    );
  }

  private liftPair(input: GPUBuffer): Pair {
    const b = this.bindings;
    const liftIo = {
      ...b.common,
      uv: input,
      confidence: this.io.confidence,
      lifter_xyz: this.io.lifterXyz,
      gmm_out: this.io.gmm,
    };
    return {
      cooperative: bindKernel(b.lift, b.group, liftIo, 'fused: lifter (cooperative)'),
      perInvocation: bindKernel(b.liftLane, b.lane, liftIo, 'fused: lifter (per invocation)'),
    };
  }

  /**
   * The aggregation into `mean`, `spread`, `root`, `radius`: a host lift reads its 2D from `uv`,
   * a caller's buffer lift from the mixtures its lifter dispatch derived (uvInGmm). Its
   * parameters (the camera, the mixture size) are written per call into `params`.
   */
  private aggregateInto(
    out: { mean: GPUBuffer; spread: GPUBuffer; root: GPUBuffer; radius: GPUBuffer },
    params: GPUBuffer,
    uvInGmm: boolean,
    fused?: { uv: GPUBuffer; fuse: GPUBuffer },
  ): BoundKernel<unknown> {
    const p = { fitRoot: true, components: 1, uvInGmm, camera: { focal: 1, center: [0, 0] as const } };
    const { io } = this;
    return bindAggregate(
      this.bindings.aggregate,
      p,
      {
        ...out,
        x: io.state,
        samples: io.samples,
        params,
        uv: fused?.uv ?? io.uv,
        gmm: io.gmm,
        calibration: io.calibration,
        fuse: fused?.fuse ?? io.noFuse,
      },
      fused ? 'fused: aggregate with the output average' : 'fused: aggregate',
    ) as BoundKernel<unknown>;
  }

  /** A v2 stream's host-push aggregation (the engine's outputs, the stream's records and ring of means as `uv`), bound once per stream. */
  private streamAggregation(ring: GPUBuffer): BoundKernel<unknown> {
    let bound = this.streamAggregate.get(ring);
    if (!bound) {
      const { io } = this;
      bound = this.aggregateInto(
        { mean: io.mean, spread: io.spread, root: io.root, radius: io.radius },
        io.aggregateParams,
        false,
        { uv: ring, fuse: io.fuse },
      );
      this.streamAggregate.set(ring, bound);
    }
    return bound;
  }

  /** The output average of a v2 stream's push: its mode's weights, the ring of means at `ringAt`. */
  private writeStreamFuse(sequence: SequenceInfo, ringAt: number): void {
    const e = this.fuse!.encoders[sequence.mode];
    const { window, pad } = e.config.fuse!;
    this.gpu.device.queue.writeBuffer(
      this.io.fuse,
      0,
      packFuse({ weights: e.fuse!, taps: window, before: pad[0], offset: 0, ringAt }),
    );
  }

  /**
   * The aggregation bound to a caller's output buffers, made on first use and kept while `poses`
   * lives; a v2 stream's with its records and ring of means as `uv`.
   */
  private callerAggregation(req: BufferLift, ring?: GPUBuffer): BoundKernel<unknown> {
    const out = {
      mean: req.poses,
      spread: req.spread ?? this.io.spread,
      root: req.root ?? this.io.root,
      radius: req.radius90 ?? this.io.radius,
    };
    let byOutputs = this.callerAggregate.get(req.poses);
    if (!byOutputs) {
      byOutputs = new Map();
      this.callerAggregate.set(req.poses, byOutputs);
    }
    const key = [out.spread, out.root, out.radius, ring ?? this.io.uv].map((b) => this.bufferId(b)).join(',');
    let aggregate = byOutputs.get(key);
    if (!aggregate) {
      aggregate = this.aggregateInto(
        out,
        this.io.bufferAggregateParams,
        true,
        ring && { uv: ring, fuse: this.io.fuse },
      );
      byOutputs.set(key, aggregate);
    }
    return aggregate;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** The aggregation's per-call parameters: the camera to fit the roots with and the mixture size. */
  /** A host lift's confidences, rows [0, poses) (all 1 where the input had none). */
  private writeConfidence(confidence: Float32Array | undefined, poses: number): void {
    if (!confidence && this.ones.length < poses * J) this.ones = new Float32Array(poses * J).fill(1);
    const data = confidence ?? this.ones.subarray(0, poses * J);
    this.gpu.device.queue.writeBuffer(this.io.confidence, 0, data as Float32Array<ArrayBuffer>);
  }

  /** The calibration uniform for a sequence lift's window (queued before the lift's submit). */
  private useCalibration(sequence: SequenceInfo | undefined): void {
    if (!this.windowCalibrations || !sequence || sequence.mode === this.calibrationWindow) return;
    this.gpu.device.queue.writeBuffer(this.io.calibration, 0, this.windowCalibrations[sequence.mode]);
    this.calibrationWindow = sequence.mode;
  }

  private writeAggregateParams(buffer: GPUBuffer, components: number, uvInGmm: boolean, camera: UvCamera): void {
    this.gpu.device.queue.writeBuffer(buffer, 0, packParams(AGGREGATE, { fitRoot: true, components, uvInGmm, camera }));
  }

  /** The uniform is rewritten only when the init, schedule, mixture size, input kind or noise gains change. */
  private writeParams(components: number, s: RunSettings, gpuInput?: GpuInput): void {
    const key = JSON.stringify([
      components,
      s.init,
      s.coefficients,
      gpuInput,
      s.xyzNoiseGain && Array.from(s.xyzNoiseGain),
    ]);
    if (key === this.paramsKey) return;
    this.gpu.device.queue.writeBuffer(
      this.params,
      0,
      packFusedParams({
        slot4: this.tables.slot4,
        featStride4: this.tables.featStride4,
        denoiserLayers: this.tables.denoiserLayers,
        components,
        settings: s,
        lifterTable: this.tables.lifter,
        denoiserTable: this.tables.denoiser,
        gpuInput,
        sigmaAt: this.tables.sigmaAt,
      }),
    );
    this.paramsKey = key;
  }

  /**
   * Records the 3 dispatches of one chunk, 4 with the context encoder of `mode` (run slots
   * already written): the lifter over `lifted` poses, the denoiser over `items`. Returns the
   * dispatches and the most workgroups one of them ran.
   */
  private record(
    encoder: GPUCommandEncoder,
    lift: Pair,
    aggregate: BoundKernel<unknown>,
    lifted: number,
    items: number,
    timer?: PassTimer,
    sequence?: SequenceInfo,
    slots: Slots = SHARED_SLOTS,
  ): { dispatches: number; workgroups: number } {
    const laneFrom = this.shape.laneFrom;
    const dispatches: Array<[string, BoundKernel<unknown>, number]> = [
      ['lifter', lifted >= laneFrom ? lift.perInvocation : lift.cooperative, slots.lifter],
      ...(sequence
        ? [
            ['context encoder', this.context!.kernel(sequence) as BoundKernel<unknown>, slots.encoder] as [
              string,
              BoundKernel<unknown>,
              number,
            ],
          ]
        : []),
      ['denoise', items >= laneFrom ? this.denoise.perInvocation : this.denoise.cooperative, slots.denoise],
      ['aggregate', aggregate, slots.aggregate],
    ];
    // Timestamps are written at pass boundaries, so a profiled call has a pass per dispatch.
    const shared = timer ? undefined : encoder.beginComputePass({ label: 'fused lift pass' });
    let workgroups = 0;
    for (const [label, kernel, slot] of dispatches) {
      const pass = shared ?? encoder.beginComputePass(timer!.pass(`fused ${label}`));
      workgroups = Math.max(workgroups, recordKernel(pass, kernel, this.runBuffer, slot));
      if (!shared) pass.end();
    }
    shared?.end();
    return { dispatches: dispatches.length, workgroups };
  }

  private writeRuns(n: number, H: number, start: number, key: readonly [number, number]): void {
    const common = { poses: n, hypotheses: H, poseOffset: start, key };
    writeRun(this.gpu.device.queue, this.runBuffer, LIFTER_SLOT, { ...common, batch: n });
    writeRun(this.gpu.device.queue, this.runBuffer, DENOISER_SLOT, { ...common, batch: n * H });
  }

  async run(batch: PreparedBatch, s: RunSettings): Promise<Aggregated> {
    return withGpuErrors(this.gpu, 'fused lift', async () => {
      const H = s.hypotheses,
        K = batch.components;
      const { device } = this.gpu;
      // The temporal model conditions every pose on its track; the frame model has no encoder.
      if (!!batch.sequence !== !!this.context) {
        throw new InputError(
          this.context
            ? 'the temporal model lifts sequences (liftSequence), not single frames'
            : 'a sequence lift needs the temporal model',
        );
      }
      const fuse = this.fuse && batch.sequence ? this.fuse.encoders[batch.sequence.mode].config.fuse : undefined;
      const stream = fuse && batch.sequence!.gpuRing ? batch.sequence!.gpuDenoised : undefined;
      if (fuse && batch.sequence!.gpuRing && !stream) throw new Error('a v2 stream push needs its ring of means');
      // v2: each chunk also denoises the output average's reach (at most fuse.window - 1 poses; a stream's are in its ring).
      const chunk = Math.floor(this.maxItems / H) - (fuse && !stream ? fuse.window - 1 : 0);
      if (chunk < 1)
        throw new InputError(
          `${H} hypotheses and an output average of ${fuse!.window} frames exceed the plan's ${this.maxItems} items (load with a larger maxBatch)`,
        );
      const out = emptyResult(batch.poses, H, s.wantSamples, !!s.camera, this.calibrated, this.tables.sigmaAt > 0);
      this.writeParams(K, s);
      this.useCalibration(batch.sequence);
      // Without a camera (the engine always gives one) the roots are fitted, at (1, 0, 0), and left unread.
      this.writeAggregateParams(this.io.aggregateParams, K, false, s.camera ?? { focal: 1, center: [0, 0] });
      let aggregate = this.hostAggregate;
      if (stream) {
        aggregate = this.streamAggregation(stream.buffer);
        this.writeStreamFuse(batch.sequence!, stream.ringAt);
      }
      this.counter.beginCall();
      this.gpuTimes = this.timer ? [] : undefined;
      for (let start = 0; start < batch.poses; start += chunk) {
        throwIfAborted(s.signal);
        const n = Math.min(chunk, batch.poses - start);
        if (fuse && !stream) {
          await this.runFusedChunk(batch, s, start, n, out);
          continue;
        }
        device.queue.writeBuffer(this.io.uv, 0, batch.uv as Float32Array<ArrayBuffer>, start * J * 2, n * J * 2);
        this.writeConfidence(batch.confidence?.subarray(start * J, (start + n) * J), n);
        device.queue.writeBuffer(
          this.io.gmm,
          0,
          batch.gmm as Float32Array<ArrayBuffer>,
          start * J * K * 5,
          n * J * K * 5,
        );
        this.writeRuns(n, H, chunkPoseOffset(s, start), s.key);
        this.context?.upload(batch.sequence, start, n);
        const encoder = device.createCommandEncoder({ label: 'fused lift' });
        const recorded = this.record(encoder, this.hostLift, aggregate, n, n * H, this.timer, batch.sequence);
        const bytes = recordReadback(
          encoder,
          {
            ...this.io,
            root: s.camera ? this.io.root : undefined,
            radius: this.calibrated ? this.io.radius : undefined,
            sigma: this.sigmaOutput(),
          },
          this.staging,
          n,
          H,
          s.wantSamples,
        );
        this.timer?.resolve(encoder);
        device.queue.submit([encoder.finish()]);
        this.counter.add(recorded.dispatches, 1);
        const kind = stream ? 'push' : batch.sequence ? `sequence ${batch.sequence.mode}` : 'lift';
        const work = { key: `${kind} ${n}x${H} ${bytes}`, workgroups: recorded.workgroups };
        await finishReadback(this.wait, work, this.staging, bytes, out, start, n, H);
        if (this.timer) addTimes(this.gpuTimes!, await this.timer.read());
      }
      return out;
    });
  }

  /** Where the lifter dispatch leaves a 4-output lifter's sigma, for the readback. */
  private sigmaOutput(): { buffer: GPUBuffer; offset: number } | undefined {
    const at = this.tables.sigmaAt;
    return at > 0 ? { buffer: this.io.gmm, offset: at * 4 } : undefined;
  }

  /**
   * One chunk of a v2 sequence lift (docs/temporal-model.md §12.3), outputs [start, start + n): the
   * lifter over the frames the denoised poses' windows reach, the encoder and the denoiser over
   * the outputs and the output average's reach, the aggregation (with the output average) over
   * the outputs; still 4 dispatches, one submit, one readback.
   */
  private async runFusedChunk(
    batch: PreparedBatch,
    s: RunSettings,
    start: number,
    n: number,
    out: Aggregated,
  ): Promise<void> {
    const H = s.hypotheses,
      K = batch.components,
      info = batch.sequence!;
    const { device } = this.gpu;
    const encoderParams = this.fuse!.encoders[info.mode];
    const fuse = encoderParams.config.fuse!;
    const region = fuseRegion(info, fuse.pad, batch.poses, start, n);
    const { first, end } = this.context!.upload(info, region.first, region.count);
    const queue = device.queue;
    queue.writeBuffer(this.io.uv, 0, framesUv(info.frames, first, end));
    this.writeConfidence(framesConfidence(info.frames, first, end), end - first);
    queue.writeBuffer(
      this.io.gmm,
      0,
      batch.gmm as Float32Array<ArrayBuffer>,
      region.first * J * K * 5,
      region.count * J * K * 5,
    );
    queue.writeBuffer(this.context!.records!, 0, fuseRecords(batch.uv.subarray(start * J * 2), region.bounds));
    queue.writeBuffer(
      this.io.fuse,
      0,
      packFuse({ weights: encoderParams.fuse!, taps: fuse.window, before: fuse.pad[0], offset: start - region.first }),
    );
    const common = { hypotheses: H, key: s.key, poseOffset: s.poseOffset + region.first };
    const frames = end - first;
    writeRun(queue, this.runBuffer, LIFTER_SLOT, { ...common, batch: frames, poses: frames });
    writeRun(queue, this.runBuffer, ENCODER_SLOT, { ...common, batch: region.count, poses: region.count });
    writeRun(queue, this.runBuffer, DENOISER_SLOT, { ...common, batch: region.count * H, poses: region.count });
    writeRun(queue, this.runBuffer, AGGREGATE_SLOT, { ...common, batch: n * H, poses: n });
    const encoder = device.createCommandEncoder({ label: 'fused sequence lift (output average)' });
    const recorded = this.record(
      encoder,
      this.hostLift,
      this.hostAggregate,
      frames,
      region.count * H,
      this.timer,
      info,
      V2_SLOTS,
    );
    const bytes = recordReadback(
      encoder,
      { ...this.io, root: s.camera ? this.io.root : undefined, radius: this.calibrated ? this.io.radius : undefined },
      this.staging,
      n,
      H,
      s.wantSamples,
    );
    this.timer?.resolve(encoder);
    queue.submit([encoder.finish()]);
    this.counter.add(recorded.dispatches, 1);
    const key = `sequence ${info.mode} ${n}+${region.count - n}x${H} ${frames} ${bytes}`;
    await finishReadback(this.wait, { key, workgroups: recorded.workgroups }, this.staging, bytes, out, start, n, H);
    if (this.timer) addTimes(this.gpuTimes!, await this.timer.read());
  }

  /**
   * The GPU-resident lift: no upload and no readback by the engine. With the temporal model,
   * `sequence` is a stream's GPU-resident push: its ring, its windows, and the caller's keypoints
   * as the frames the encoder dispatch writes into the ring (4 dispatches).
   */
  async runBuffers(req: BufferLift, s: RunSettings, sequence?: SequenceInfo, fitted?: FittedInput): Promise<void> {
    const H = s.hypotheses;
    const stream = this.fuse ? sequence?.gpuDenoised : undefined;
    if (this.fuse && !stream) throw new Error('a v2 stream push needs its ring of means');
    if (!!this.context !== !!sequence)
      throw new InputError(
        this.context
          ? 'liftBuffers runs the frame model; the temporal model takes GPU buffers through a stream (stream.pushBuffers)'
          : 'a sequence needs the temporal model',
      );
    if (req.count * H > this.maxItems) {
      throw new InputError(
        `liftBuffers: ${req.count} poses x ${H} hypotheses exceed the plan's ${this.maxItems} items (load with a larger maxBatch, or split the buffers)`,
      );
    }
    return withGpuErrors(this.gpu, 'fused buffer lift', async () => {
      const { device } = this.gpu;
      // Fitted input fills the host lift's uv and mixture buffers: the lift then runs as a host lift's.
      const [width, height] = req.imageSize;
      if (fitted) this.writeParams(fitted.components, s, { kind: 'mixture', width, height });
      else this.writeParams(1, s, { kind: 'pixels', width, height });
      this.useCalibration(sequence);
      let lift = fitted ? this.hostLift : this.callerLift.get(req.keypoints);
      if (!lift) {
        lift = this.liftPair(req.keypoints);
        this.callerLift.set(req.keypoints, lift);
      }
      const aggregate = this.callerAggregation(req, stream?.buffer);
      if (stream) this.writeStreamFuse(sequence!, stream.ringAt);
      this.writeAggregateParams(
        this.io.bufferAggregateParams,
        fitted?.components ?? 1,
        !fitted,
        uvCamera(req.imageSize),
      );
      this.counter.beginCall();
      this.gpuTimes = undefined;
      this.writeRuns(req.count, H, s.poseOffset, s.key);
      const encoder = req.encoder ?? device.createCommandEncoder({ label: 'fused buffer lift' });
      if (sequence) this.context!.upload(sequence, 0, req.count);
      if (fitted) {
        const pass = encoder.beginComputePass({ label: 'fused: input fit pass' });
        fitted.record(pass, this.io.uv, this.io.gmm);
        pass.end();
      }
      const dispatches =
        this.record(encoder, lift, aggregate, req.count, req.count * H, undefined, sequence).dispatches +
        (fitted ? 1 : 0);
      const sigma = this.sigmaOutput();
      if (req.sigma) encoder.copyBufferToBuffer(sigma!.buffer, sigma!.offset, req.sigma, 0, req.count * J * 4);
      if (!req.encoder) device.queue.submit([encoder.finish()]);
      this.counter.add(dispatches, req.encoder ? 0 : 1);
    });
  }

  lastCall(): CallStats {
    return { dispatches: this.counter.lastDispatches, submits: this.counter.lastSubmits, gpuTimes: this.gpuTimes };
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
    this.context?.dispose();
    this.timer?.destroy();
  }
}

/** Sums chunk times into the call's, pass by pass. */
function addTimes(total: PassTime[], chunk: PassTime[]): void {
  chunk.forEach((t, i) => {
    if (total[i]) total[i].ms += t.ms;
    else total.push({ ...t });
  });
}

export interface FusedOptions {
  /** Items (pose-hypotheses) per submission; default 65536, capped by the storage binding limit. */
  maxItems?: number;
  shape?: Partial<FusedShape>;
  /** Time every dispatch of lift() on the GPU (needs 'timestamp-query'; see lastCall()). */
  profile?: boolean;
  /** 'f16': weights and activations stored in binary16 (packed in u32, any adapter), arithmetic in f32. */
  precision?: FusedPrecision;
}

/** Prepares the fused plan of a model at load: weights and tables uploaded, pipelines compiled, every kernel bound. */
export async function createFusedExecutor(
  gpu: GpuContext,
  model: ModelWeights,
  options: FusedOptions = {},
): Promise<FusedExecutor> {
  for (const [name, net] of [
    ['lifter', model.lifter],
    ['denoiser', model.denoiser],
  ] as const) {
    const why = fusedUnsupported(net);
    if (why) throw new InputError(`the fused executor cannot run this ${name}: ${why} (use executor "per-op")`);
  }
  const precision = options.precision ?? 'f32';
  const kernels: FusedKernels = FUSED_KERNELS[precision];
  return withGpuErrors(gpu, 'fused plan', async () => {
    const { device } = gpu;
    const d = Math.max(model.config.lifter.hidden, model.config.denoiser.hidden);
    const slot4 = slotVec4s(d);
    // The largest per-item buffer is the packed mixture: 17 joints x 8 components x 5 floats.
    const perItemBytes = J * MAX_COMPONENTS * 5 * 4;
    // A 4-output lifter's sigma [items, 17] follows the mixtures in their buffer. (Only frame files
    // have such lifters: a temporal file's is parsed as 3-output.)
    const sigmaBytes = model.config.lifter.coordsOut === 4 ? J * 4 : 0;
    const maxItems = Math.max(
      64,
      Math.min(
        options.maxItems ?? 65536,
        Math.floor(gpu.caps.maxStorageBufferBindingSize / (perItemBytes + sigmaBytes)),
      ),
    );
    const shape: FusedShape = { ...chooseFusedShape(gpu, slot4 * 16), ...options.shape };
    if (shape.subgroups && (shape.groupSize !== SUBGROUP_LANE_GROUP || shape.laneGroupSize !== SUBGROUP_LANE_GROUP)) {
      throw new Error(
        `fused shape: the subgroup kernels need workgroups of ${SUBGROUP_LANE_GROUP} (got ${shape.groupSize} and ${shape.laneGroupSize})`,
      );
    }
    const arena = new WeightArena(device, 'fused: weights');
    const lifterProgram = programOf(model.lifter),
      denoiserProgram = programOf(model.denoiser);
    // The step features are computed from the program's tensors; the tables read the padded ones.
    const lifterTensors = fusedTensors(lifterProgram),
      denoiserTensors = fusedTensors(denoiserProgram);
    for (const [program, tensors] of [
      [lifterProgram, lifterTensors],
      [denoiserProgram, denoiserTensors],
    ] as const) {
      addProgram(arena, program);
      for (const a of tensors.values()) arena.add(a);
    }
    arena.upload();
    const features = await StepFeatures.create(
      gpu,
      denoiserProgram.step!,
      model.config.diffusion.numSteps,
      arena,
      'fused',
    );
    // The f16 path binds a half copy; the f32 arena was only needed for the step features.
    let weights = arena.buffer!;
    if (precision === 'f16') {
      weights = arena.halfCopy('fused: weights (f16)');
      arena.destroy();
    }
    const owned: GPUBuffer[] = [weights, features.buffer];
    const make = (label: string, bytes: number, usage: number) => {
      const b = device.createBuffer({
        label: `fused: ${label}`,
        size: Math.max(16, Math.ceil(bytes / 16) * 16),
        usage,
      });
      owned.push(b);
      return b;
    };
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    // v2 (docs/temporal-model.md §12.3): a chunk lifts the frames its denoised poses' windows reach,
    // and the encoder writes the start poses after them, at a row the denoiser can be bound at.
    const v2 = isTemporal(model) && isV2(model);
    const frameRows = maxItems + (v2 ? sequenceMargin(model) : 0);
    const startRow = v2 ? Math.ceil(frameRows / 64) * 64 : 0;
    const sigmaAt = sigmaBytes > 0 ? (maxItems * perItemBytes) / 4 : 0;
    const params = make('params', FUSED_PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const scratch = make(
      'scratch',
      Math.max(shape.groupSlots, shape.laneSlots) * slot4 * (precision === 'f16' ? 8 : 16),
      GPUBufferUsage.STORAGE,
    );
    const io = {
      uv: make('uv', frameRows * J * 2 * 4, storage),
      confidence: make('confidence', frameRows * J * 4, storage),
      // The mixtures, then a 4-output lifter's sigma (at sigmaAt): the lifter, denoise and aggregation dispatches all bind it.
      gmm: make('gmm', maxItems * (perItemBytes + sigmaBytes), storage),
      lifterXyz: make('lifter xyz', (v2 ? startRow + maxItems : maxItems) * J * 3 * 4, storage),
      state: make('state', maxItems * J * 5 * 4, storage),
      mean: make('mean', maxItems * J * 3 * 4, storage),
      spread: make('spread', maxItems * J * 4, storage),
      samples: make('samples', maxItems * J * 3 * 4, storage),
      root: make('root', maxItems * 3 * 4, storage),
      radius: make('radius90', maxItems * J * 4, storage),
      calibration: make('calibration', CALIBRATION_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      aggregateParams: make(
        'aggregate params',
        paramsByteSize(AGGREGATE),
        GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      ),
      bufferAggregateParams: make(
        'buffer lift aggregate params',
        paramsByteSize(AGGREGATE),
        GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      ),
      fuse: make('output average', FUSE_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      noFuse: make('no output average', FUSE_BYTES, GPUBufferUsage.UNIFORM),
    };
    device.queue.writeBuffer(io.calibration, 0, packCalibration(model.calibration, sigmaAt));
    const group: FusedDispatch = { slots: shape.groupSlots, workgroupSize: shape.groupSize, cooperative: true };
    const lane: FusedDispatch = { slots: shape.laneSlots, workgroupSize: shape.laneGroupSize, cooperative: false };
    const pipeline = (desc: FusedKernels['lift'], d: FusedDispatch) =>
      getKernelPipeline(gpu, desc, { workgroupSize: d.workgroupSize });
    const bindings: FusedBindings = {
      group,
      lane,
      lift: await pipeline(shape.subgroups ? kernels.liftSubgroup : kernels.lift, group),
      liftLane: await pipeline(shape.subgroups ? kernels.liftLaneSubgroup : kernels.liftLane, lane),
      denoise: await pipeline(shape.subgroups ? kernels.denoiseSubgroup : kernels.denoise, group),
      denoiseLane: await pipeline(shape.subgroups ? kernels.denoiseLaneSubgroup : kernels.denoiseLane, lane),
      aggregate: (await getKernelPipeline(gpu, AGGREGATE)) as KernelPipeline<unknown>,
      common: { params, weights, weight_words: weights, features: features.buffer, scratch },
    };
    const runBuffer = createRunBuffer(device, v2 ? 4 : 2, 'fused run');
    const staging = stagingBuffer(device, maxItems, 'fused: readback');
    owned.push(runBuffer.buffer, staging);
    const tables = {
      lifter: networkTable(lifterProgram, lifterTensors, arena, d),
      denoiser: networkTable(denoiserProgram, denoiserTensors, arena, d),
      slot4,
      featStride4: features.stride / 16,
      denoiserLayers: model.config.denoiser.layers,
      sigmaAt,
    };
    const context = isTemporal(model)
      ? await ContextStage.create(
          gpu,
          model,
          maxItems,
          io.lifterXyz,
          // Blocks in flight: a block is up to 16 poses (src/temporal/encoder-plan.ts) with about
          // 125 KB of scratch, and 64 of them keep a GPU busy on the encoder's small share.
          Math.min(64, shape.groupSlots),
          'fused: context',
          startRow * J * 3,
        )
      : undefined;
    const timer =
      options.profile && gpu.caps.timestampQuery ? new PassTimer(device, context ? 4 : 3, 'fused') : undefined;
    return new FusedExecutor({
      gpu,
      maxItems,
      shape,
      params,
      tables,
      io,
      bindings,
      runBuffer,
      staging,
      owned,
      timer,
      precision,
      context,
      fuse: v2 ? { encoders: (model as TemporalModel).encoders, startBytes: startRow * J * 3 * 4 } : undefined,
      calibrated: model.calibration !== undefined,
      windowCalibrations: isTemporal(model)
        ? { offline: packCalibration(model.calibrations.offline), causal: packCalibration(model.calibrations.causal) }
        : undefined,
    });
  });
}

/** Frames a v2 chunk lifts beyond its outputs, at most: the window's reach and the output average's (both modes). */
function sequenceMargin(model: TemporalModel): number {
  const { offline, causal } = model.encoders;
  return Math.max(...[offline, causal].map((e) => e.config.window - 1 + (e.config.fuse?.window ?? 1) - 1));
}
