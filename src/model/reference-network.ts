import { attentionRef } from '../kernels/attention.ref.js';
import { graphMixRef } from '../kernels/graph-mix.ref.js';
import { layerNormRef } from '../kernels/layer-norm.ref.js';
import { linearRef, type Activation } from '../kernels/linear.ref.js';
import { stepEmbeddingRef } from '../kernels/step-embedding.ref.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { chebyshevBasis } from './graph.js';
import type { ChebParams, LinearParams, NetworkParams } from './network-params.js';

/**
 * The networks of model-spec §2-3 on the CPU, composed from the kernels' CPU references in the
 * same order as the GPU executors, so a test can compare any stage.
 */
const CHEB = chebyshevBasis();
const J = NUM_JOINTS;

function linear(x: Float32Array, rows: number, p: LinearParams, act: Activation = 'none', extra: { addVec?: Float32Array; residual?: Float32Array } = {}): Float32Array {
  return linearRef(x, { rows, cin: p.cin, cout: p.cout, wt: p.wt, bias: p.bias, act, ...extra });
}

function chebConv(x: Float32Array, batch: number, p: ChebParams, act: Activation = 'none', extra: { addVec?: Float32Array; residual?: Float32Array } = {}): Float32Array {
  return linear(graphMixRef(x, batch, p.cin / 3, CHEB, 3), batch * J, p, act, extra);
}

/** swish(temb(t)) for the denoiser: the only form in which the layers consume it. */
export function stepFeatures(net: NetworkParams, t: number): Float32Array {
  const temb = net.temb!;
  const e = stepEmbeddingRef(t, net.config.hidden);
  const h = linear(e, 1, temb.dense0, 'swish');
  return linear(h, 1, temb.dense1, 'swish');
}

/** Runs a network on x [batch, 17, coordsIn]; `t` only for the denoiser. Returns [batch, 17, coordsOut]. */
export function runNetworkRef(net: NetworkParams, x: Float32Array, batch: number, t?: number): Float32Array {
  const { hidden: d, heads } = net.config;
  const rows = batch * J;
  const features = net.temb ? stepFeatures(net, t ?? 0) : undefined;
  let h = chebConv(x, batch, net.input);
  for (let l = 0; l < net.config.layers; l++) {
    const a = net.atten[l];
    const n0 = layerNormRef(h, rows, d, a.norm0.gain, a.norm0.shift);
    const att = attentionRef(linear(n0, rows, a.qkv), batch, d, heads);
    h = linear(att, rows, a.out, 'none', { residual: h });
    const n1 = layerNormRef(h, rows, d, a.norm1.gain, a.norm1.shift);
    const f1 = linear(graphMixRef(n1, batch, d, a.lhat, 1), rows, a.fc1, 'relu');
    h = linear(graphMixRef(f1, batch, 2 * d, a.lhat, 1), rows, a.fc2, 'none', { residual: h });
    const g = net.gconv[l];
    const addVec = g.tembProj && features ? linear(features, 1, g.tembProj) : undefined;
    const g1 = chebConv(h, batch, g.g1, 'relu', { addVec });
    h = chebConv(g1, batch, g.g2, 'relu', { residual: h });
  }
  return chebConv(h, batch, net.output);
}
