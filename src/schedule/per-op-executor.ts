import { throwIfAborted } from '../errors.js';
import type { CallStats, Executor } from '../executor.js';
import type { GpuContext } from '../gpu/context.js';
import { submittedWorkWait, type SubmittedWorkWait } from '../gpu/submitted-work-wait.js';
import { withGpuErrors } from '../gpu/errors-scope.js';
import {
  AGGREGATE,
  CALIBRATION_BYTES,
  FUSE_BYTES,
  DDIM_STEP,
  GMM_INIT,
  ROOT_CENTER,
  bindAggregate,
  bindDdimStep,
  bindGmmInit,
  bindRootCenter,
  createParamsBuffer,
  createRunBuffer,
  getKernelPipeline,
  recordKernel,
  writeRun,
  type BoundKernel,
  type RunBuffer,
} from '../kernels/index.js';
import type { Aggregated } from '../model/aggregate.js';
import { chunkPoseOffset, MAX_HYPOTHESES, type RunSettings } from '../lift-options.js';
import { programOf } from '../model/network-program.js';
import type { ModelWeights } from '../model/weights.js';
import type { PreparedBatch } from '../pose/input.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { createActivationBuffers, maxBatchForDevice, type ActivationBuffers } from './activation-buffers.js';
import { DispatchCounter } from './dispatch-counter.js';
import { NetworkPlan } from './network-plan.js';
import { emptyResult, finishReadback, recordReadback, stagingBuffer } from './readback.js';
import { StepFeatures } from './step-features.js';
import { addProgram, WeightArena } from './weight-arena.js';
import { lifterInput } from '../model/lifter-input.js';

const LIFTER_SLOT = 0;
const DENOISER_SLOT = 1;
const J = NUM_JOINTS;

/** The parts of a plan that depend on the call's settings (init mode, schedule, mixture size). */
interface SamplingKernels {
  init: BoundKernel<unknown>;
  steps: Array<{ t: number; update: BoundKernel<unknown> }>;
  params: GPUBuffer[];
}

/**
 * The reference GPU executor: one dispatch per layer per step (about 13 per graph-attention
 * layer), everything bound once at plan time, one command encoder, one compute pass and one
 * submit per chunk, one readback. Batches larger than the plan are split into chunks of the
 * same plan; samples never depend on the chunking (RNG counters use the caller's pose index).
 */
/** Everything a per-op plan is made of, prepared at load by createPerOpExecutor. */
interface PerOpPlanParts {
  gpu: GpuContext;
  /** Pose-hypotheses per submission. */
  maxBatch: number;
  arena: WeightArena;
  bufs: ActivationBuffers;
  /** The lifter's input channels (model/lifter-input.ts). */
  lifterInputs: number;
  lifter: NetworkPlan;
  denoiser: NetworkPlan;
  features: StepFeatures;
  rootCenter: BoundKernel<unknown>;
  aggregate: BoundKernel<unknown>;
  runBuffer: RunBuffer;
  staging: GPUBuffer;
  /** Destroyed with the plan. */
  owned: GPUBuffer[];
}

export class PerOpExecutor implements Executor {
  readonly name = 'per-op';
  readonly counter = new DispatchCounter();
  readonly maxBatch: number;
  private readonly sampling = new Map<string, SamplingKernels>();
  private readonly gpu: GpuContext;
  private readonly arena: WeightArena;
  private readonly bufs: ActivationBuffers;
  private readonly lifter: NetworkPlan;
  private readonly denoiser: NetworkPlan;
  private readonly features: StepFeatures;
  private readonly rootCenter: BoundKernel<unknown>;
  private readonly aggregate: BoundKernel<unknown>;
  private readonly runBuffer: RunBuffer;
  private readonly staging: GPUBuffer;
  private readonly owned: GPUBuffer[];
  private readonly lifterInputs: number;
  private readonly wait: SubmittedWorkWait;

  constructor(parts: PerOpPlanParts) {
    ({
      gpu: this.gpu,
      maxBatch: this.maxBatch,
      arena: this.arena,
      bufs: this.bufs,
      lifterInputs: this.lifterInputs,
      lifter: this.lifter,
      denoiser: this.denoiser,
      features: this.features,
      rootCenter: this.rootCenter,
      aggregate: this.aggregate,
      runBuffer: this.runBuffer,
      staging: this.staging,
      owned: this.owned,
    } = parts);
    this.wait = submittedWorkWait(this.gpu);
  }

  private async samplingKernels(components: number, s: RunSettings): Promise<SamplingKernels> {
    const gain = s.xyzNoiseGain ?? new Float32Array(NUM_JOINTS).fill(1);
    const key = JSON.stringify([components, s.init, s.coefficients, Array.from(gain)]);
    let k = this.sampling.get(key);
    if (k) return k;
    const { device } = this.gpu;
    const params: GPUBuffer[] = [];
    const first = s.coefficients[0];
    const initP = {
      components,
      mode: s.init,
      sqrtA: first.sqrtA,
      sqrtOneMinusA: first.sqrtOneMinusA,
      sigmaAt: this.bufs.sigmaAt,
    };
    const initParams = createParamsBuffer(device, GMM_INIT, initP, 'per-op: gmm init params');
    params.push(initParams);
    const gainBuffer = device.createBuffer({
      label: 'per-op: gmm init xyz noise gain',
      size: gain.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(gainBuffer, 0, gain as Float32Array<ArrayBuffer>);
    params.push(gainBuffer);
    const init = bindGmmInit(
      await getKernelPipeline(this.gpu, GMM_INIT),
      initP,
      {
        params: initParams,
        gmm: this.bufs.gmm,
        lifterXyz: this.bufs.lifterXyz,
        x: this.bufs.state,
        xyzGain: gainBuffer,
      },
      'per-op: gmm init',
    ) as BoundKernel<unknown>;
    const ddim = await getKernelPipeline(this.gpu, DDIM_STEP);
    const steps = s.coefficients.map((coef, stepIndex) => {
      const p = { coef, stepIndex };
      const pb = createParamsBuffer(device, DDIM_STEP, p, `per-op: ddim step ${stepIndex} (t=${coef.t}) params`);
      params.push(pb);
      return {
        t: coef.t,
        update: bindDdimStep(
          ddim,
          p,
          { params: pb, eps: this.bufs.eps, x: this.bufs.state },
          `per-op: ddim step ${stepIndex}`,
        ) as BoundKernel<unknown>,
      };
    });
    // A small cache: settings rarely change between calls; evicted params are no longer in flight
    // because every run waits for its readback.
    if (this.sampling.size >= 16) {
      const [oldKey, old] = this.sampling.entries().next().value as [string, SamplingKernels];
      old.params.forEach((b) => b.destroy());
      this.sampling.delete(oldKey);
    }
    k = { init, steps, params };
    this.sampling.set(key, k);
    return k;
  }

  async run(batch: PreparedBatch, s: RunSettings): Promise<Aggregated> {
    return withGpuErrors(this.gpu, 'per-op lift', async () => {
      const H = s.hypotheses;
      const out = emptyResult(batch.poses, H, s.wantSamples, false, false, this.bufs.sigmaAt > 0);
      const kernels = await this.samplingKernels(batch.components, s);
      const chunk = Math.floor(this.maxBatch / H);
      this.counter.beginCall();
      for (let start = 0; start < batch.poses; start += chunk) {
        throwIfAborted(s.signal);
        await this.runChunk(batch, s, kernels, start, Math.min(chunk, batch.poses - start), out);
      }
      return out;
    });
  }

  private async runChunk(
    batch: PreparedBatch,
    s: RunSettings,
    k: SamplingKernels,
    start: number,
    n: number,
    out: Aggregated,
  ): Promise<void> {
    const { device } = this.gpu;
    const H = s.hypotheses,
      K = batch.components;
    const input = lifterInput(
      this.lifterInputs,
      batch.uv.subarray(start * J * 2),
      batch.confidence?.subarray(start * J),
      n,
    );
    device.queue.writeBuffer(this.bufs.lifterInput, 0, input as Float32Array<ArrayBuffer>);
    device.queue.writeBuffer(
      this.bufs.gmm,
      0,
      batch.gmm as Float32Array<ArrayBuffer>,
      start * J * K * 5,
      n * J * K * 5,
    );
    const common = { poses: n, hypotheses: H, poseOffset: chunkPoseOffset(s, start), key: s.key };
    writeRun(device.queue, this.runBuffer, LIFTER_SLOT, { ...common, batch: n });
    writeRun(device.queue, this.runBuffer, DENOISER_SLOT, { ...common, batch: n * H });
    const encoder = device.createCommandEncoder({ label: 'per-op lift' });
    const pass = encoder.beginComputePass({ label: 'per-op lift pass' });
    let dispatches = this.lifter.record(pass, this.runBuffer, LIFTER_SLOT);
    recordKernel(pass, this.rootCenter, this.runBuffer, LIFTER_SLOT);
    recordKernel(pass, k.init, this.runBuffer, DENOISER_SLOT);
    for (const step of k.steps) {
      dispatches += this.denoiser.record(pass, this.runBuffer, DENOISER_SLOT, step.t);
      recordKernel(pass, step.update, this.runBuffer, DENOISER_SLOT);
    }
    recordKernel(pass, this.aggregate, this.runBuffer, DENOISER_SLOT);
    dispatches += 3 + k.steps.length;
    pass.end();
    const sigma = this.bufs.sigmaAt > 0 ? { buffer: this.bufs.lifterXyz, offset: this.bufs.sigmaAt * 4 } : undefined;
    const bytes = recordReadback(encoder, { ...this.bufs, sigma }, this.staging, n, H, s.wantSamples);
    device.queue.submit([encoder.finish()]);
    this.counter.add(dispatches, 1);
    // Every per-op network dispatch spans many workgroups (an invocation per output element).
    const work = { key: `lift ${n}x${H} ${bytes}`, workgroups: Infinity };
    await finishReadback(this.wait, work, this.staging, bytes, out, start, n, H);
  }

  lastCall(): CallStats {
    return { dispatches: this.counter.lastDispatches, submits: this.counter.lastSubmits };
  }

  dispose(): void {
    for (const k of this.sampling.values()) k.params.forEach((b) => b.destroy());
    this.sampling.clear();
    this.lifter.destroy();
    this.denoiser.destroy();
    this.arena.destroy();
    this.features.buffer.destroy();
    for (const b of this.owned) b.destroy();
  }
}

/** Builds the per-op plan once: weights uploaded, scratch sized for maxBatch, every kernel bound. */
export async function createPerOpExecutor(
  gpu: GpuContext,
  model: ModelWeights,
  maxBatch: number,
): Promise<PerOpExecutor> {
  return withGpuErrors(gpu, 'per-op plan', async () => {
    const { device } = gpu;
    // At least one pose with the most hypotheses; at most what the storage binding limit allows.
    const batch = Math.max(MAX_HYPOTHESES, Math.min(maxBatch, maxBatchForDevice(device, model.config)));
    const arena = new WeightArena(device, 'per-op: weights');
    const lifterProgram = programOf(model.lifter),
      denoiserProgram = programOf(model.denoiser);
    addProgram(arena, lifterProgram);
    addProgram(arena, denoiserProgram);
    arena.upload();
    const bufs = createActivationBuffers(device, model.config, batch, 'per-op');
    const features = await StepFeatures.create(
      gpu,
      denoiserProgram.step!,
      model.config.diffusion.numSteps,
      arena,
      'per-op',
    );
    const lifter = await NetworkPlan.create(gpu, lifterProgram, arena, bufs, bufs.lifterInput, bufs.lifted, 'lifter');
    const denoiser = await NetworkPlan.create(
      gpu,
      denoiserProgram,
      arena,
      bufs,
      bufs.state,
      bufs.eps,
      'denoiser',
      (t, l) => features.row(t, l),
    );
    const rcP = { channels: model.lifter.config.coordsOut, offset: 0, sigmaAt: bufs.sigmaAt };
    const rcParams = createParamsBuffer(device, ROOT_CENTER, rcP, 'per-op: root centre params');
    const rootCenter = bindRootCenter(
      await getKernelPipeline(gpu, ROOT_CENTER),
      rcP,
      { params: rcParams, x: bufs.lifted, xyz: bufs.lifterXyz },
      'per-op: root centre',
    ) as BoundKernel<unknown>;
    // The root is fitted on the CPU after a per-op lift.
    const noRoot = { fitRoot: false };
    const aggParams = createParamsBuffer(device, AGGREGATE, noRoot, 'per-op: aggregate params');
    // Bound but never read or written: the per-op aggregation has no root fit, no radius90 (both
    // computed on the CPU after the lift, model/calibration.ts) and no output average.
    const unused = (what: string, size: number, usage: number) =>
      device.createBuffer({ label: `per-op: aggregate ${what}`, size, usage });
    const noRootBuffer = unused('root (unused)', 16, GPUBufferUsage.STORAGE);
    const noRadiusBuffer = unused('radius90 (unused)', 16, GPUBufferUsage.STORAGE);
    const noCalibration = unused('calibration (none)', CALIBRATION_BYTES, GPUBufferUsage.UNIFORM);
    const noUv = unused('uv (unused)', 16, GPUBufferUsage.STORAGE);
    const noFuse = unused('output average (none)', FUSE_BYTES, GPUBufferUsage.UNIFORM);
    const aggregate = bindAggregate(
      await getKernelPipeline(gpu, AGGREGATE),
      noRoot,
      {
        x: bufs.state,
        mean: bufs.mean,
        spread: bufs.spread,
        samples: bufs.samples,
        params: aggParams,
        root: noRootBuffer,
        radius: noRadiusBuffer,
        calibration: noCalibration,
        fuse: noFuse,
        uv: noUv,
      },
      'per-op: aggregate',
    ) as BoundKernel<unknown>;
    const run = createRunBuffer(device, 2, 'per-op run');
    const staging = stagingBuffer(device, batch, 'per-op: readback');
    return new PerOpExecutor({
      gpu,
      maxBatch: batch,
      arena,
      bufs,
      lifterInputs: model.config.lifter.coordsIn,
      lifter,
      denoiser,
      features,
      rootCenter,
      aggregate,
      runBuffer: run,
      staging,
      owned: [
        ...bufs.all,
        rcParams,
        aggParams,
        noRootBuffer,
        noRadiusBuffer,
        noCalibration,
        noFuse,
        noUv,
        run.buffer,
        staging,
      ],
    });
  });
}
