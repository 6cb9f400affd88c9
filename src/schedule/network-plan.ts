import {
  ATTENTION,
  LAYER_NORM,
  graphMixKernel,
  bindAttention,
  bindGraphMix,
  bindLayerNorm,
  bindLinear,
  createParamsBuffer,
  getKernelPipeline,
  linearKernel,
  recordKernel,
  type BoundKernel,
  type LinearParams as LinearKernelParams,
  type RunBuffer,
} from '../kernels/index.js';
import { InputError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import type { NetworkProgram, ProgramOp, Slot } from '../model/network-program.js';
import type { ActivationBuffers } from './activation-buffers.js';
import type { WeightArena } from './weight-arena.js';

/** One recorded step of a network: a bound kernel, or a choice made per call (the step's t). */
type Op = BoundKernel<unknown> | ((t: number) => BoundKernel<unknown>);

/**
 * A network (lifter or denoiser) as per-op dispatches over the shared scratch buffers: one kernel
 * per op of its program (model/network-program.ts), bound once at plan time (about 13 dispatches
 * per layer). Only a linear with a step-embedding term depends on t: its projections for every t
 * of the schedule are precomputed at plan time (`stepRow`), one bind group per t made on first use.
 */
export class NetworkPlan {
  private constructor(
    private readonly ops: Op[],
    readonly output: GPUBuffer,
    readonly params: GPUBuffer[],
  ) {}

  static async create(
    gpu: GpuContext,
    program: NetworkProgram,
    arena: WeightArena,
    bufs: ActivationBuffers,
    input: GPUBuffer,
    output: GPUBuffer,
    label: string,
    stepRow?: (t: number, row: number) => GPUBufferBinding,
  ): Promise<NetworkPlan> {
    const device = gpu.device;
    const params: GPUBuffer[] = [];
    const buffers: Record<Slot, GPUBuffer> = {
      in: input,
      out: output,
      h0: bufs.hA,
      h1: bufs.hB,
      n: bufs.n,
      m: bufs.mix,
      f: bufs.f1,
    };
    const paramsOf = <P>(desc: Parameters<typeof createParamsBuffer<P>>[1], p: P, name: string): GPUBuffer => {
      const b = createParamsBuffer(device, desc, p, `${label} ${name}: params`);
      params.push(b);
      return b;
    };
    const bind = async (op: ProgramOp): Promise<Op> => {
      const x = buffers[op.x],
        y = buffers[op.y],
        name = `${label} ${op.name}`;
      switch (op.kind) {
        case 'mix': {
          const p = { channels: op.channels, mats: op.count };
          const desc = graphMixKernel(op.channels);
          return bindGraphMix(
            await getKernelPipeline(gpu, desc),
            p,
            { params: paramsOf(desc, p, op.name), x, mats: arena.get(op.mats), y },
            name,
          ) as BoundKernel<unknown>;
        }
        case 'norm': {
          const p = { channels: op.channels };
          return bindLayerNorm(
            await getKernelPipeline(gpu, LAYER_NORM),
            p,
            { params: paramsOf(LAYER_NORM, p, op.name), x, gain: arena.get(op.gain), shift: arena.get(op.shift), y },
            name,
          ) as BoundKernel<unknown>;
        }
        case 'film':
          // Temporal lifts run on the fused plans and the CPU reference (DiffPose.liftSequence).
          throw new InputError(
            `the per-op executor has no FiLM kernel (op "${op.name}"): run temporal lifts with executor "fused", "fused-f16" or "cpu"`,
          );
        case 'attention': {
          const p = { d: op.channels, heads: op.heads };
          return bindAttention(
            await getKernelPipeline(gpu, ATTENTION),
            p,
            { params: paramsOf(ATTENTION, p, op.name), qkv: x, out: y },
            name,
          ) as BoundKernel<unknown>;
        }
        case 'linear': {
          const desc = linearKernel(op.w.cout);
          const kernel = await getKernelPipeline(gpu, desc);
          const step = op.step !== undefined && stepRow ? op.step : undefined;
          const residual = op.residual ? buffers[op.residual] : undefined;
          const p: LinearKernelParams = {
            cin: op.w.cin,
            cout: op.w.cout,
            rows: 'batch',
            act: op.act,
            addVec: step !== undefined,
            residual: !!residual,
          };
          const resources = {
            params: paramsOf(desc, p, op.name),
            x,
            weight: arena.get(op.w.wt),
            bias: arena.get(op.w.bias),
            y,
            ...(residual ? { residual } : {}),
          };
          if (step === undefined) return bindLinear(kernel, p, resources, name) as BoundKernel<unknown>;
          const byT = new Map<number, BoundKernel<unknown>>();
          return (t: number) => {
            let b = byT.get(t);
            if (!b) {
              b = bindLinear(
                kernel,
                p,
                { ...resources, addVec: stepRow!(t, step) },
                `${name} t=${t}`,
              ) as BoundKernel<unknown>;
              byT.set(t, b);
            }
            return b;
          };
        }
      }
    };
    const ops: Op[] = [];
    for (const op of program.ops) ops.push(await bind(op));
    return new NetworkPlan(ops, output, params);
  }

  /** Records every dispatch of one evaluation; `t` selects the denoiser's step embedding. */
  record(pass: GPUComputePassEncoder, run: RunBuffer, slot: number, t = 0): number {
    for (const op of this.ops) recordKernel(pass, typeof op === 'function' ? op(t) : op, run, slot);
    return this.ops.length;
  }

  destroy(): void {
    for (const p of this.params) p.destroy();
  }
}
