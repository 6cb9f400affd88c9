import { WeightsError } from '../errors.js';
import type { NetworkConfig } from './config.js';
import { lamAdjacency } from './graph.js';
import type { Tensor } from './safetensors.js';

/** A linear layer with its weight transposed to [cin, cout] (torch stores [out, in]). */
export interface LinearParams { cin: number; cout: number; wt: Float32Array; bias: Float32Array }
/** A ChebConv as a linear layer over the three graph-mixed copies: weight [3*cin, cout]. */
export type ChebParams = LinearParams;
export interface NormParams { gain: Float32Array; shift: Float32Array }

export interface AttentionLayerParams {
  norm0: NormParams;
  /** Q, K and V projections fused into one [d, 3d] linear. */
  qkv: LinearParams;
  out: LinearParams;
  norm1: NormParams;
  /** The FFN's normalised learnable adjacency (17x17), computed once at load. */
  lhat: Float32Array;
  fc1: LinearParams;
  fc2: LinearParams;
}

export interface ResidualGcParams { g1: ChebParams; g2: ChebParams; tembProj?: LinearParams }

export interface NetworkParams {
  config: NetworkConfig;
  input: ChebParams;
  atten: AttentionLayerParams[];
  gconv: ResidualGcParams[];
  output: ChebParams;
  /** Denoiser only: dense0 (d -> 4d), dense1 (4d -> 4d) of the step embedding. */
  temb?: { dense0: LinearParams; dense1: LinearParams };
}

/** Every tensor a network needs, with the exact shape its config implies (checkpoint names). */
export function expectedTensors(cfg: NetworkConfig, withTemb: boolean): Map<string, number[]> {
  const d = cfg.hidden;
  const m = new Map<string, number[]>();
  const linear = (name: string, cin: number, cout: number) => { m.set(`${name}.weight`, [cout, cin]); m.set(`${name}.bias`, [cout]); };
  const cheb = (name: string, cin: number, cout: number) => { m.set(`${name}.weight`, [3, 1, cin, cout]); m.set(`${name}.bias`, [1, 1, cout]); };
  cheb('gconv_input', cfg.coordsIn, d);
  cheb('gconv_output', d, cfg.coordsOut);
  for (let l = 0; l < cfg.layers; l++) {
    const a = `atten_layers.${l}`;
    for (let i = 0; i < 4; i++) linear(`${a}.self_attn.linears.${i}`, d, d);
    m.set(`${a}.feed_forward.A_hat`, [17, 17]);
    linear(`${a}.feed_forward.gconv1.fc`, d, 2 * d);
    linear(`${a}.feed_forward.gconv2.fc`, 2 * d, d);
    for (let i = 0; i < 2; i++) { m.set(`${a}.sublayer.${i}.norm.a_2`, [d]); m.set(`${a}.sublayer.${i}.norm.b_2`, [d]); }
    const g = `gconv_layers.${l}`;
    cheb(`${g}.gconv1.gconv`, d, d);
    cheb(`${g}.gconv2.gconv`, d, d);
    if (withTemb) linear(`${g}.temb_proj`, 4 * d, d);
  }
  if (withTemb) { linear('temb.dense.0', d, 4 * d); linear('temb.dense.1', 4 * d, 4 * d); }
  return m;
}

/** Tensors a file may carry that the network does not use (the released lifter's temb block). */
function ignorable(name: string, withTemb: boolean): boolean {
  return !withTemb && /^temb\.dense\.[01]\.(weight|bias)$/.test(name);
}

function transpose(t: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t[r * cols + c];
  return out;
}

/**
 * Builds the parameters of one network from the tensors under `prefix`, checking that every
 * expected tensor is present with its exact shape and that nothing unexpected is there.
 */
export function networkParams(tensors: Map<string, Tensor>, prefix: string, cfg: NetworkConfig, withTemb: boolean): NetworkParams {
  const expected = expectedTensors(cfg, withTemb);
  for (const name of tensors.keys()) {
    if (!name.startsWith(prefix)) continue;
    const local = name.slice(prefix.length);
    if (!expected.has(local) && !ignorable(local, withTemb)) {
      throw new WeightsError(`unexpected tensor "${name}" for a ${prefix.replace(/\.$/, '')} with ${cfg.layers} layers, hidden ${cfg.hidden} (config and file disagree?)`);
    }
  }
  const get = (local: string): Float32Array => {
    const name = prefix + local;
    const t = tensors.get(name);
    const shape = expected.get(local)!;
    if (!t) throw new WeightsError(`missing tensor "${name}" (expected shape [${shape}])`);
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new WeightsError(`tensor "${name}" has shape [${t.shape}] but the config implies [${shape}]`);
    }
    return t.data;
  };
  const linear = (name: string, cin: number, cout: number): LinearParams =>
    ({ cin, cout, wt: transpose(get(`${name}.weight`), cout, cin), bias: get(`${name}.bias`) });
  // [3, 1, in, out] is already [3*in, out] row-major: the layout graph-mix + linear expects.
  const cheb = (name: string, cin: number, cout: number): ChebParams =>
    ({ cin: 3 * cin, cout, wt: get(`${name}.weight`), bias: get(`${name}.bias`) });
  const norm = (name: string): NormParams => ({ gain: get(`${name}.a_2`), shift: get(`${name}.b_2`) });
  const d = cfg.hidden;
  const atten: AttentionLayerParams[] = [];
  const gconv: ResidualGcParams[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const a = `atten_layers.${l}`;
    const q = linear(`${a}.self_attn.linears.0`, d, d);
    const k = linear(`${a}.self_attn.linears.1`, d, d);
    const v = linear(`${a}.self_attn.linears.2`, d, d);
    const qkvWt = new Float32Array(d * 3 * d);
    for (let c = 0; c < d; c++) {
      qkvWt.set(q.wt.subarray(c * d, (c + 1) * d), c * 3 * d);
      qkvWt.set(k.wt.subarray(c * d, (c + 1) * d), c * 3 * d + d);
      qkvWt.set(v.wt.subarray(c * d, (c + 1) * d), c * 3 * d + 2 * d);
    }
    const qkvBias = new Float32Array(3 * d);
    qkvBias.set(q.bias, 0); qkvBias.set(k.bias, d); qkvBias.set(v.bias, 2 * d);
    atten.push({
      norm0: norm(`${a}.sublayer.0.norm`),
      qkv: { cin: d, cout: 3 * d, wt: qkvWt, bias: qkvBias },
      out: linear(`${a}.self_attn.linears.3`, d, d),
      norm1: norm(`${a}.sublayer.1.norm`),
      lhat: lamAdjacency(get(`${a}.feed_forward.A_hat`)),
      fc1: linear(`${a}.feed_forward.gconv1.fc`, d, 2 * d),
      fc2: linear(`${a}.feed_forward.gconv2.fc`, 2 * d, d),
    });
    const g = `gconv_layers.${l}`;
    gconv.push({
      g1: cheb(`${g}.gconv1.gconv`, d, d),
      g2: cheb(`${g}.gconv2.gconv`, d, d),
      tembProj: withTemb ? linear(`${g}.temb_proj`, 4 * d, d) : undefined,
    });
  }
  return {
    config: cfg,
    input: cheb('gconv_input', cfg.coordsIn, d),
    atten, gconv,
    output: cheb('gconv_output', d, cfg.coordsOut),
    temb: withTemb ? { dense0: linear('temb.dense.0', d, 4 * d), dense1: linear('temb.dense.1', 4 * d, 4 * d) } : undefined,
  };
}
