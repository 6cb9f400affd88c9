import type { GpuContext } from '../gpu/context.js';
import { submittedWorkWait, type SubmittedWorkWait } from '../gpu/submitted-work-wait.js';
import { withGpuErrors } from '../gpu/errors-scope.js';
import { InputError } from '../errors.js';
import {
  bindHeatmapFit,
  createRunBuffer,
  getKernelPipeline,
  HEATMAP_FIT_KERNEL,
  packParams,
  paramsByteSize,
  recordKernel,
  writeRun,
  type BoundKernel,
  type HeatmapFitParams,
  type KernelPipeline,
  type RunBuffer,
} from '../kernels/index.js';
import { FIT_STRIDE, HEATMAP_FIT, type FitOutputMap } from '../model/heatmap-fit.js';
import type { HeatmapBatch } from '../pose/heatmaps.js';

/** Heatmap bytes one submission uploads at most: bigger batches are fitted in chunks of people. */
const CHUNK_BYTES = 64 * 2 ** 20;
const IMAGE_PIXELS: FitOutputMap = { scale: 1, offsetX: 0, offsetY: 0 };

/** A fit recorded into a caller's encoder: its heatmaps buffer in, mixtures (and the heaviest means) out. */
export interface RecordedFit {
  heatmaps: GPUBuffer;
  boxes: Float32Array;
  count: number;
  width: number;
  height: number;
  components: number;
  /** Std of the detector's training target, heatmap pixels (HeatmapFitParams.targetSigma). */
  targetSigma?: number;
  map: FitOutputMap;
  fit: GPUBuffer;
  uv: GPUBuffer;
}

/**
 * Runs the heatmap fit kernel (shaders/heatmap-fit.wgsl) on a model's device: for host heatmaps
 * (upload, one dispatch, read back the mixtures in image pixels) and, recorded into a plan's
 * encoder, on a caller's heatmap buffer. The pipeline is compiled once; the buffers are made on
 * first use, grown to the largest chunk seen and kept.
 */
export class HeatmapFitter {
  private readonly run: RunBuffer;
  private readonly params: GPUBuffer;
  private readonly bufferParams: GPUBuffer;
  private readonly boxes: GPUBuffer;
  /** A buffer lift's boxes apart from host fits': a caller may submit its encoder after a later host fit. */
  private readonly bufferBoxes: GPUBuffer;
  private io?: {
    heatmaps: GPUBuffer;
    fit: GPUBuffer;
    uv: GPUBuffer;
    staging: GPUBuffer;
    bound: BoundKernel<HeatmapFitParams>;
  };
  private readonly bound = new WeakMap<GPUBuffer, Map<GPUBuffer, BoundKernel<HeatmapFitParams>>>();
  private readonly owned: GPUBuffer[] = [];
  /** Most people one chunk holds: the boxes buffer is sized for it. */
  private readonly maxBoxes: number;
  private readonly wait: SubmittedWorkWait;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly kernel: KernelPipeline<HeatmapFitParams>,
  ) {
    const { device } = gpu;
    this.wait = submittedWorkWait(gpu);
    this.run = createRunBuffer(device, 1, 'heatmap fit: run');
    const uniform = (label: string) =>
      this.own(
        device.createBuffer({
          label,
          size: paramsByteSize(HEATMAP_FIT_KERNEL),
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
      );
    this.params = uniform('heatmap fit: params');
    this.bufferParams = uniform('heatmap fit: params (buffer lifts)');
    // A person's heatmaps are at least one float: a chunk never holds more people than the plan's items.
    this.maxBoxes = 65536;
    const boxes = (label: string) =>
      this.own(
        device.createBuffer({
          label,
          size: this.maxBoxes * 16,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        }),
      );
    this.boxes = boxes('heatmap fit: boxes');
    this.bufferBoxes = boxes('heatmap fit: boxes (buffer lifts)');
    this.owned.push(this.run.buffer);
  }

  static async create(gpu: GpuContext): Promise<HeatmapFitter> {
    return new HeatmapFitter(gpu, await getKernelPipeline(gpu, HEATMAP_FIT_KERNEL));
  }

  private own(b: GPUBuffer): GPUBuffer {
    this.owned.push(b);
    return b;
  }

  /** People per chunk for this map size. */
  private chunkPoses(b: Pick<HeatmapBatch, 'joints' | 'width' | 'height'>): number {
    const limit = Math.min(CHUNK_BYTES, this.gpu.caps.maxStorageBufferBindingSize);
    return Math.max(1, Math.min(this.maxBoxes, Math.floor(limit / (b.joints * b.width * b.height * 4))));
  }

  /** The host buffers, grown to hold `floats` of heatmaps and `mixtures` joints' fits. */
  private hostIo(floats: number, joints: number, components: number) {
    const need = { heatmaps: floats * 4, fit: joints * HEATMAP_FIT.maxComponents * FIT_STRIDE * 4 };
    if (this.io && this.io.heatmaps.size >= need.heatmaps && this.io.fit.size >= need.fit) return this.io;
    for (const b of this.io ? [this.io.heatmaps, this.io.fit, this.io.uv, this.io.staging] : []) {
      b.destroy();
      this.owned.splice(this.owned.indexOf(b), 1);
    }
    const { device } = this.gpu;
    const size = (bytes: number) => Math.max(16, 2 ** Math.ceil(Math.log2(bytes)));
    const heatmaps = this.own(
      device.createBuffer({
        label: 'heatmap fit: heatmaps',
        size: size(need.heatmaps),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      }),
    );
    const fit = this.own(
      device.createBuffer({
        label: 'heatmap fit: mixtures',
        size: size(need.fit),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      }),
    );
    const uv = this.own(
      device.createBuffer({ label: 'heatmap fit: unused heaviest means', size: 16, usage: GPUBufferUsage.STORAGE }),
    );
    const staging = this.own(
      device.createBuffer({
        label: 'heatmap fit: readback',
        size: fit.size,
        usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
      }),
    );
    const bound = this.bind(heatmaps, fit, uv, this.params, this.boxes, components);
    this.io = { heatmaps, fit, uv, staging, bound };
    return this.io;
  }

  private bind(
    heatmaps: GPUBuffer,
    fit: GPUBuffer,
    uv: GPUBuffer,
    params: GPUBuffer,
    boxes: GPUBuffer,
    components: number,
  ) {
    // The bind group validates these values; the uniform's content is written per call.
    const p: HeatmapFitParams = { width: 1, height: 1, joints: 1, components, map: IMAGE_PIXELS, writeUv: false };
    return bindHeatmapFit(this.kernel, p, { params, heatmaps, boxes, fit, uv }, 'heatmap fit: bind group');
  }

  /** Fits host heatmaps: [N, joints, K, 5] mixtures in image pixels (the reference's output). */
  async fit(b: HeatmapBatch): Promise<Float32Array> {
    return withGpuErrors(this.gpu, 'heatmap fit', async () => {
      const { device } = this.gpu;
      const perPose = b.joints * b.width * b.height,
        perFit = b.joints * b.components * FIT_STRIDE;
      const chunk = this.chunkPoses(b);
      const out = new Float32Array(b.poses * perFit);
      const params: HeatmapFitParams = { ...b, map: IMAGE_PIXELS, writeUv: false };
      device.queue.writeBuffer(this.params, 0, packParams(HEATMAP_FIT_KERNEL, params));
      for (let start = 0; start < b.poses; start += chunk) {
        const n = Math.min(chunk, b.poses - start);
        const io = this.hostIo(n * perPose, n * b.joints, b.components);
        device.queue.writeBuffer(io.heatmaps, 0, b.heatmaps as Float32Array<ArrayBuffer>, start * perPose, n * perPose);
        device.queue.writeBuffer(this.boxes, 0, b.boxes as Float32Array<ArrayBuffer>, start * 4, n * 4);
        writeRun(device.queue, this.run, 0, {
          batch: n * b.joints,
          poses: n,
          hypotheses: 1,
          poseOffset: 0,
          key: [0, 0],
        });
        const encoder = device.createCommandEncoder({ label: 'heatmap fit' });
        const pass = encoder.beginComputePass({ label: 'heatmap fit pass' });
        const workgroups = recordKernel(pass, io.bound, this.run, 0);
        pass.end();
        encoder.copyBufferToBuffer(io.fit, 0, io.staging, 0, n * perFit * 4);
        device.queue.submit([encoder.finish()]);
        await this.wait.mapRead(io.staging, n * perFit * 4, { key: `fit ${n}x${perPose} ${b.components}`, workgroups });
        try {
          out.set(new Float32Array(io.staging.getMappedRange(0, n * perFit * 4)), start * perFit);
        } finally {
          io.staging.unmap();
        }
      }
      return out;
    });
  }

  /**
   * Records the fit of a caller's heatmap buffer into `pass` (one dispatch), writing the
   * mixtures and the heaviest means through `map` into a plan's buffers. The boxes are
   * uploaded; everything else stays on the GPU.
   */
  record(pass: GPUComputePassEncoder, f: RecordedFit): void {
    if (f.count > this.maxBoxes) throw new InputError(`at most ${this.maxBoxes} people per heatmap lift`);
    const { device } = this.gpu;
    let byFit = this.bound.get(f.heatmaps);
    if (!byFit) this.bound.set(f.heatmaps, (byFit = new Map()));
    let bound = byFit.get(f.fit);
    if (!bound)
      byFit.set(f.fit, (bound = this.bind(f.heatmaps, f.fit, f.uv, this.bufferParams, this.bufferBoxes, f.components)));
    device.queue.writeBuffer(this.bufferParams, 0, packParams(HEATMAP_FIT_KERNEL, { ...f, joints: 17, writeUv: true }));
    device.queue.writeBuffer(this.bufferBoxes, 0, f.boxes as Float32Array<ArrayBuffer>, 0, f.count * 4);
    writeRun(device.queue, this.run, 0, {
      batch: f.count * 17,
      poses: f.count,
      hypotheses: 1,
      poseOffset: 0,
      key: [0, 0],
    });
    recordKernel(pass, bound, this.run, 0);
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
  }
}
