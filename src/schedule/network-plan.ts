import {
  ATTENTION, LAYER_NORM, graphMixKernel, bindAttention, bindGraphMix, bindLayerNorm, bindLinear, createParamsBuffer,
  getKernelPipeline, linearKernel, recordKernel, type BoundKernel, type LinearParams as LinearKernelParams, type RunBuffer,
} from '../kernels/index.js';
import type { Activation } from '../kernels/linear.ref.js';
import type { GpuContext } from '../gpu/context.js';
import type { LinearParams, NetworkParams } from '../model/network-params.js';
import type { ActivationBuffers } from './activation-buffers.js';
import type { WeightArena } from './weight-arena.js';

/** One recorded step of a network: a bound kernel, or a choice made per call (the step's t). */
type Op = BoundKernel<unknown> | ((t: number) => BoundKernel<unknown>);

/**
 * A network (lifter or denoiser) as a fixed sequence of per-op dispatches over the shared scratch
 * buffers, bound once at plan time: about 13 dispatches per layer (model-spec §2-3 in the same
 * order as reference-network.ts). Only the denoiser's step-embedding term depends on t: its
 * projections for every t of the schedule are precomputed at plan time (`tembProj`).
 */
export class NetworkPlan {
  private constructor(private readonly ops: Op[], readonly output: GPUBuffer, readonly params: GPUBuffer[]) {}

  static async create(gpu: GpuContext, net: NetworkParams, arena: WeightArena, cheb3: Float32Array, bufs: ActivationBuffers,
    input: GPUBuffer, output: GPUBuffer, label: string, tembProj?: (t: number, layer: number) => GPUBufferBinding): Promise<NetworkPlan> {
    const device = gpu.device;
    const params: GPUBuffer[] = [];
    const ops: Op[] = [];
    const d = net.config.hidden;
    const cheb = arena.get(cheb3);
    const lnKernel = await getKernelPipeline(gpu, LAYER_NORM);
    const attKernel = await getKernelPipeline(gpu, ATTENTION);
    const paramsOf = <P>(desc: Parameters<typeof createParamsBuffer<P>>[1], p: P, name: string): GPUBuffer => {
      const b = createParamsBuffer(device, desc, p, `${label} ${name}: params`);
      params.push(b);
      return b;
    };
    const mix = async (x: GPUBuffer, channels: number, mats: GPUBufferBinding, count: number, name: string): Promise<BoundKernel<unknown>> => {
      const p = { channels, mats: count };
      const desc = graphMixKernel(channels);
      return bindGraphMix(await getKernelPipeline(gpu, desc), p, { params: paramsOf(desc, p, name), x, mats, y: bufs.mix }, `${label} ${name}`) as BoundKernel<unknown>;
    };
    const linear = async (x: GPUBuffer, w: LinearParams, y: GPUBuffer, name: string, act: Activation,
      extra: { residual?: GPUBuffer; addVec?: GPUBufferBinding } = {}): Promise<BoundKernel<unknown>> => {
      const desc = linearKernel(w.cout);
      const kernel = await getKernelPipeline(gpu, desc);
      const p: LinearKernelParams = { cin: w.cin, cout: w.cout, rows: 'batch', act, addVec: !!extra.addVec, residual: !!extra.residual };
      return bindLinear(kernel, p, {
        params: paramsOf(desc, p, name), x, weight: arena.get(w.wt), bias: arena.get(w.bias), y, ...extra,
      }, `${label} ${name}`) as BoundKernel<unknown>;
    };
    const norm = (x: GPUBuffer, gain: Float32Array, shift: Float32Array, name: string): BoundKernel<unknown> => {
      const p = { channels: d };
      return bindLayerNorm(lnKernel, p, { params: paramsOf(LAYER_NORM, p, name), x, gain: arena.get(gain), shift: arena.get(shift), y: bufs.n }, `${label} ${name}`) as BoundKernel<unknown>;
    };

    const { n, f1 } = bufs;
    // The residual stream alternates between hA and hB: each layer ends in the other buffer.
    let cur = bufs.hA, other = bufs.hB;
    ops.push(await mix(input, net.config.coordsIn, cheb, 3, 'input mix'));
    ops.push(await linear(bufs.mix, net.input, cur, 'input cheb', 'none'));
    for (let l = 0; l < net.config.layers; l++) {
      const a = net.atten[l];
      const lhat = arena.get(a.lhat);
      ops.push(norm(cur, a.norm0.gain, a.norm0.shift, `L${l} norm0`));
      ops.push(await linear(n, a.qkv, bufs.mix, `L${l} qkv`, 'none'));
      const ap = { d, heads: net.config.heads };
      ops.push(bindAttention(attKernel, ap, { params: paramsOf(ATTENTION, ap, `L${l} attention`), qkv: bufs.mix, out: n }, `${label} L${l} attention`) as BoundKernel<unknown>);
      ops.push(await linear(n, a.out, other, `L${l} attention out`, 'none', { residual: cur }));
      ops.push(norm(other, a.norm1.gain, a.norm1.shift, `L${l} norm1`));
      ops.push(await mix(n, d, lhat, 1, `L${l} ffn mix1`));
      ops.push(await linear(bufs.mix, a.fc1, f1, `L${l} fc1`, 'relu'));
      ops.push(await mix(f1, 2 * d, lhat, 1, `L${l} ffn mix2`));
      ops.push(await linear(bufs.mix, a.fc2, cur, `L${l} fc2`, 'none', { residual: other }));
      const g = net.gconv[l];
      ops.push(await mix(cur, d, cheb, 3, `L${l} gconv1 mix`));
      if (g.tembProj && tembProj) {
        // One bind group per t (same buffers, another row of step-embedding projections), made on first use.
        const desc = linearKernel(g.g1.cout);
        const kernel = await getKernelPipeline(gpu, desc);
        const p: LinearKernelParams = { cin: g.g1.cin, cout: g.g1.cout, rows: 'batch', act: 'relu', addVec: true, residual: false };
        const resources = { params: paramsOf(desc, p, `L${l} gconv1`), x: bufs.mix, weight: arena.get(g.g1.wt), bias: arena.get(g.g1.bias), y: n };
        const byT = new Map<number, BoundKernel<unknown>>();
        const layer = l;
        ops.push((t: number) => {
          let b = byT.get(t);
          if (!b) {
            b = bindLinear(kernel, p, { ...resources, addVec: tembProj(t, layer) }, `${label} L${layer} gconv1 t=${t}`) as BoundKernel<unknown>;
            byT.set(t, b);
          }
          return b;
        });
      } else {
        ops.push(await linear(bufs.mix, g.g1, n, `L${l} gconv1`, 'relu'));
      }
      ops.push(await mix(n, d, cheb, 3, `L${l} gconv2 mix`));
      ops.push(await linear(bufs.mix, g.g2, other, `L${l} gconv2`, 'relu', { residual: cur }));
      [cur, other] = [other, cur];
    }
    ops.push(await mix(cur, d, cheb, 3, 'output mix'));
    ops.push(await linear(bufs.mix, net.output, output, 'output cheb', 'none'));
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
