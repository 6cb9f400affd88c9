import { WeightsError } from '../errors.js';
import type { NetworkConfig } from './config.js';
import { lamAdjacency } from './graph.js';
import type { Tensor } from './safetensors.js';

/** A linear layer with its weight transposed to [cin, cout] (torch stores [out, in]). */
export interface LinearParams {
  cin: number;
  cout: number;
  wt: Float32Array;
  bias: Float32Array;
}
/** A ChebConv as a linear layer over the three graph-mixed copies: weight [3*cin, cout]. */
export type ChebParams = LinearParams;
export interface NormParams {
  gain: Float32Array;
  shift: Float32Array;
}

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

export interface ResidualGcParams {
  g1: ChebParams;
  g2: ChebParams;
  tembProj?: LinearParams;
}

export interface NetworkParams {
  config: NetworkConfig;
  input: ChebParams;
  atten: AttentionLayerParams[];
  gconv: ResidualGcParams[];
  output: ChebParams;
  /** Denoiser only: dense0 (d -> 4d), dense1 (4d -> 4d) of the step embedding. */
  temb?: { dense0: LinearParams; dense1: LinearParams };
}

/**
 * How the tensors of a network are read: by checkpoint name, with the shape the config implies.
 * One implementation records the names and shapes (expectedTensors), the other reads and checks
 * a file's tensors (networkParams); both go through describeNetwork, the one declaration of which
 * tensors each layer owns.
 */
interface TensorReader {
  /** A tensor of exactly `shape`. */
  tensor(name: string, shape: number[]): Float32Array;
}

function transpose(t: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t[r * cols + c];
  return out;
}

/**
 * The tensors of a network (checkpoint names, in the checkpoint's order) assembled into its
 * parameters: linear weights transposed to [cin, cout], Q, K and V fused, the LAM adjacency
 * normalised.
 */
function describeNetwork(cfg: NetworkConfig, withTemb: boolean, r: TensorReader): NetworkParams {
  const d = cfg.hidden;
  const linear = (name: string, cin: number, cout: number): LinearParams => {
    const wt = r.tensor(`${name}.weight`, [cout, cin]);
    return { cin, cout, wt: wt.length ? transpose(wt, cout, cin) : wt, bias: r.tensor(`${name}.bias`, [cout]) };
  };
  // [3, 1, in, out] is already [3*in, out] row-major: the layout graph-mix + linear expects.
  const cheb = (name: string, cin: number, cout: number): ChebParams => ({
    cin: 3 * cin,
    cout,
    wt: r.tensor(`${name}.weight`, [3, 1, cin, cout]),
    bias: r.tensor(`${name}.bias`, [1, 1, cout]),
  });
  const norm = (name: string): NormParams => ({
    gain: r.tensor(`${name}.a_2`, [d]),
    shift: r.tensor(`${name}.b_2`, [d]),
  });
  const input = cheb('gconv_input', cfg.coordsIn, d);
  const output = cheb('gconv_output', d, cfg.coordsOut);
  const atten: AttentionLayerParams[] = [];
  const gconv: ResidualGcParams[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const a = `atten_layers.${l}`;
    const [q, k, v, out] = [0, 1, 2, 3].map((i) => linear(`${a}.self_attn.linears.${i}`, d, d));
    const aHat = r.tensor(`${a}.feed_forward.A_hat`, [17, 17]);
    const fc1 = linear(`${a}.feed_forward.gconv1.fc`, d, 2 * d);
    const fc2 = linear(`${a}.feed_forward.gconv2.fc`, 2 * d, d);
    const norm0 = norm(`${a}.sublayer.0.norm`);
    const norm1 = norm(`${a}.sublayer.1.norm`);
    atten.push({
      norm0,
      qkv: fuseQkv(q, k, v, d),
      out,
      norm1,
      lhat: aHat.length ? lamAdjacency(aHat) : aHat,
      fc1,
      fc2,
    });
    const g = `gconv_layers.${l}`;
    gconv.push({
      g1: cheb(`${g}.gconv1.gconv`, d, d),
      g2: cheb(`${g}.gconv2.gconv`, d, d),
      tembProj: withTemb ? linear(`${g}.temb_proj`, 4 * d, d) : undefined,
    });
  }
  const temb = withTemb
    ? { dense0: linear('temb.dense.0', d, 4 * d), dense1: linear('temb.dense.1', 4 * d, 4 * d) }
    : undefined;
  return { config: cfg, input, atten, gconv, output, temb };
}

/** Q, K and V projections as one [d, 3d] linear. */
function fuseQkv(q: LinearParams, k: LinearParams, v: LinearParams, d: number): LinearParams {
  if (!q.wt.length) return { cin: d, cout: 3 * d, wt: q.wt, bias: q.bias };
  const wt = new Float32Array(d * 3 * d);
  for (let c = 0; c < d; c++) {
    wt.set(q.wt.subarray(c * d, (c + 1) * d), c * 3 * d);
    wt.set(k.wt.subarray(c * d, (c + 1) * d), c * 3 * d + d);
    wt.set(v.wt.subarray(c * d, (c + 1) * d), c * 3 * d + 2 * d);
  }
  const bias = new Float32Array(3 * d);
  bias.set(q.bias, 0);
  bias.set(k.bias, d);
  bias.set(v.bias, 2 * d);
  return { cin: d, cout: 3 * d, wt, bias };
}

const NO_VALUES = new Float32Array(0);

/** Every tensor a network needs, with the exact shape its config implies (checkpoint names, checkpoint order). */
export function expectedTensors(cfg: NetworkConfig, withTemb: boolean): Map<string, number[]> {
  const m = new Map<string, number[]>();
  describeNetwork(cfg, withTemb, {
    tensor: (name, shape) => {
      m.set(name, shape);
      return NO_VALUES;
    },
  });
  return m;
}

/** Tensors a file may carry that the network does not use (the released lifter's temb block). */
function ignorable(name: string, withTemb: boolean): boolean {
  return !withTemb && /^temb\.dense\.[01]\.(weight|bias)$/.test(name);
}

/**
 * Builds the parameters of one network from the tensors under `prefix`, checking that every
 * expected tensor is present with its exact shape and that nothing unexpected is there.
 */
export function networkParams(
  tensors: Map<string, Tensor>,
  prefix: string,
  cfg: NetworkConfig,
  withTemb: boolean,
): NetworkParams {
  const expected = expectedTensors(cfg, withTemb);
  for (const name of tensors.keys()) {
    if (!name.startsWith(prefix)) continue;
    const local = name.slice(prefix.length);
    if (!expected.has(local) && !ignorable(local, withTemb)) {
      throw new WeightsError(
        `unexpected tensor "${name}" for a ${prefix.replace(/\.$/, '')} with ${cfg.layers} layers, hidden ${cfg.hidden} (config and file disagree?)`,
      );
    }
  }
  return describeNetwork(cfg, withTemb, { tensor: (local, shape) => checkedTensor(tensors, prefix + local, shape) });
}

/** A tensor of a weights file that must be there with exactly the shape the config implies. */
export function checkedTensor(tensors: Map<string, Tensor>, name: string, shape: readonly number[]): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new WeightsError(`missing tensor "${name}" (expected shape [${shape}])`);
  if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
    throw new WeightsError(`tensor "${name}" has shape [${t.shape}] but the config implies [${shape}]`);
  }
  return t.data;
}
