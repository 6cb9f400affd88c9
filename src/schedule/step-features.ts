import type { GpuContext } from '../gpu/context.js';
import {
  STEP_EMBEDDING,
  bindLinear,
  bindStepEmbedding,
  createParamsBuffer,
  createRunBuffer,
  getKernelPipeline,
  linearKernel,
  recordKernel,
  writeRun,
  type BoundKernel,
  type LinearParams as LinearKernelParams,
} from '../kernels/index.js';
import type { LinearParams } from '../model/network-params.js';
import type { StepEmbedding } from '../model/network-program.js';
import type { WeightArena } from './weight-arena.js';

/**
 * temb_proj_l(swish(temb(t))) (the program's StepEmbedding) for every t of the schedule and every layer l, computed once at plan
 * time on the GPU (step embedding -> dense0 + swish -> dense1 + swish -> per-layer projection) and
 * kept in one buffer, one 256-byte-aligned row per (t, l), so each lift binds a row instead of
 * recomputing the embedding MLP.
 */
export class StepFeatures {
  private constructor(
    readonly buffer: GPUBuffer,
    readonly stride: number,
    private readonly layers: number,
    private readonly d: number,
  ) {}

  row(t: number, layer: number): GPUBufferBinding {
    return { buffer: this.buffer, offset: (t * this.layers + layer) * this.stride, size: this.d * 4 };
  }

  static async create(
    gpu: GpuContext,
    step: StepEmbedding,
    numSteps: number,
    arena: WeightArena,
    label: string,
  ): Promise<StepFeatures> {
    const { device } = gpu;
    const d = step.channels,
      L = step.projections.length;
    const align = device.limits.minStorageBufferOffsetAlignment;
    const stride = Math.ceil((d * 4) / align) * align;
    const buffer = device.createBuffer({
      label: `${label}: step features`,
      size: numSteps * L * stride,
      usage: GPUBufferUsage.STORAGE,
    });
    const temporary: GPUBuffer[] = [];
    const scratch = (name: string, floats: number) => {
      const b = device.createBuffer({ label: `${label}: ${name}`, size: floats * 4, usage: GPUBufferUsage.STORAGE });
      temporary.push(b);
      return b;
    };
    const e = scratch('step embedding', d),
      h0 = scratch('temb hidden', 4 * d),
      h1 = scratch('temb', 4 * d);
    const embedKernel = await getKernelPipeline(gpu, STEP_EMBEDDING);
    const linearOne = async (w: LinearParams, act: 'none' | 'swish') => {
      const desc = linearKernel(w.cout);
      const p: LinearKernelParams = { cin: w.cin, cout: w.cout, rows: 1, act, addVec: false, residual: false };
      const params = createParamsBuffer(device, desc, p, `${label}: temb linear params`);
      temporary.push(params);
      return {
        kernel: await getKernelPipeline(gpu, desc),
        p,
        params,
        weight: arena.get(w.wt),
        bias: arena.get(w.bias),
      };
    };
    const dense0 = await linearOne(step.dense0, 'swish');
    // Only swish(temb) is ever consumed (by every layer's temb_proj), so dense1 applies it too.
    const dense1 = await linearOne(step.dense1, 'swish');
    const projections = await Promise.all(step.projections.map((w) => linearOne(w, 'none')));
    const run = createRunBuffer(device, 1, `${label}: step features run`);
    temporary.push(run.buffer);
    writeRun(device.queue, run, 0, { batch: 1, poses: 1, hypotheses: 1, poseOffset: 0, key: [0, 0] });
    const encoder = device.createCommandEncoder({ label: `${label}: step features` });
    const pass = encoder.beginComputePass({ label: `${label}: step features pass` });
    const rec = (b: BoundKernel<unknown>) => recordKernel(pass, b, run, 0);
    for (let t = 0; t < numSteps; t++) {
      const ep = { t, d };
      const epParams = createParamsBuffer(device, STEP_EMBEDDING, ep, `${label}: step embedding t=${t} params`);
      temporary.push(epParams);
      rec(bindStepEmbedding(embedKernel, ep, { params: epParams, embedding: e }) as BoundKernel<unknown>);
      rec(
        bindLinear(dense0.kernel, dense0.p, {
          params: dense0.params,
          x: e,
          weight: dense0.weight,
          bias: dense0.bias,
          y: h0,
        }) as BoundKernel<unknown>,
      );
      rec(
        bindLinear(dense1.kernel, dense1.p, {
          params: dense1.params,
          x: h0,
          weight: dense1.weight,
          bias: dense1.bias,
          y: h1,
        }) as BoundKernel<unknown>,
      );
      const features = new StepFeatures(buffer, stride, L, d);
      projections.forEach((pr, l) =>
        rec(
          bindLinear(pr.kernel, pr.p, {
            params: pr.params,
            x: h1,
            weight: pr.weight,
            bias: pr.bias,
            y: features.row(t, l),
          }) as BoundKernel<unknown>,
        ),
      );
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    for (const b of temporary) b.destroy();
    return new StepFeatures(buffer, stride, L, d);
  }
}
