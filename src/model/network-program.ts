import { WeightsError } from '../errors.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import type { NetworkConfig } from './config.js';
import { chebyshevBasis } from './graph.js';
import type { ChebParams, LinearParams, NetworkParams } from './network-params.js';

/**
 * The one description of a network's layer sequence (GCNpose lifter, GCNdiff denoiser; model-spec
 * §2-3): a typed list of ops over symbolic activation slots with references to the weight
 * tensors, built once at load by networkProgram(). Every executor reads it: the CPU reference
 * interprets it (model/reference-network.ts), the per-op plan binds one kernel per op
 * (schedule/network-plan.ts), the fused table encodes it (schedule/fused-params.ts), the weight
 * arenas take its tensor list and the benchmark's multiply-add count sums its ops.
 *
 * Adding a layer touches networkProgram() only; adding an op kind touches this union, the CPU
 * interpreter, the per-op binder, the fused encoder (and its WGSL function) and a test.
 */

/**
 * Activation slots: `in` (the network input, [17, coordsIn]), `out` ([17, coordsOut]), the
 * residual stream's ping-pong `h0` / `h1` and the temporaries `n` ([17, d]), `m` (graph-mixed
 * copies and Q|K|V, up to [17, 3d]) and `f` (the FFN's [17, 2d]). Executors map them to buffers
 * (per-op) or to regions of an item's scratch slot (fused).
 */
export type Slot = 'in' | 'out' | 'h0' | 'h1' | 'n' | 'm' | 'f';

export type ProgramActivation = 'none' | 'relu';

/** y[j] = sum_k sum_i mats[k][j][i] x[i]: `count` 17x17 matrices, the copies side by side ([17, count * channels]). */
export interface MixOp {
  kind: 'mix';
  name: string;
  x: Slot;
  channels: number;
  mats: Float32Array;
  count: 1 | 3;
  y: Slot;
}
/**
 * y = act(x @ W + b) + stepTerm + residual, x [17, w.cin] as `blocks` stacked copies of
 * w.cin / blocks channels (3 after a Chebyshev mix). `step`: index of the denoiser's per-layer
 * step-embedding projection added after the activation.
 */
export interface LinearOp {
  kind: 'linear';
  name: string;
  x: Slot;
  blocks: 1 | 3;
  w: LinearParams;
  act: ProgramActivation;
  y: Slot;
  residual?: Slot;
  step?: number;
}
export interface NormOp {
  kind: 'norm';
  name: string;
  x: Slot;
  channels: number;
  gain: Float32Array;
  shift: Float32Array;
  y: Slot;
}
/** Multi-head self-attention over the joints: x = Q|K|V [17, 3 channels], y [17, channels]. */
export interface AttentionOp {
  kind: 'attention';
  name: string;
  x: Slot;
  channels: number;
  heads: number;
  y: Slot;
}
/**
 * FiLM of the temporal denoiser (docs/temporal-model.md §4): y = x (1 + gamma) + beta, gamma and
 * beta of residual block `layer` from the item's context (per pose, shared by its hypotheses and
 * steps), broadcast over the joints.
 */
export interface FilmOp {
  kind: 'film';
  name: string;
  x: Slot;
  channels: number;
  layer: number;
  y: Slot;
}
export type ProgramOp = MixOp | LinearOp | NormOp | AttentionOp | FilmOp;

/** The denoiser's step embedding: swish(dense1(swish(dense0(emb(t))))), then one projection per layer. */
export interface StepEmbedding {
  channels: number;
  dense0: LinearParams;
  dense1: LinearParams;
  projections: LinearParams[];
}

export interface NetworkProgram {
  config: NetworkConfig;
  ops: ProgramOp[];
  /** FiLM-conditioned (the temporal denoiser): per item [layers, 2, hidden] gamma, beta from the context. */
  film?: { layers: number; width: number };
  /** Every constant tensor the ops and the step embedding reference, each once. */
  tensors: Float32Array[];
  step?: StepEmbedding;
}

const J = NUM_JOINTS;
/** The Chebyshev basis T0, T1, T2 of the skeleton graph: one shared array (arenas deduplicate by identity). */
export const CHEB_BASIS = chebyshevBasis();

/**
 * Builds a network's program from its parameters and checks it (shapes, slot widths, tensor
 * sizes). `film`: the denoiser takes FiLM conditioning in every residual graph block.
 */
export function networkProgram(net: NetworkParams, film = false): NetworkProgram {
  const { hidden: d, heads, coordsIn } = net.config;
  const ops: ProgramOp[] = [];
  const mix = (name: string, x: Slot, channels: number, mats: Float32Array, count: 1 | 3) =>
    ops.push({ kind: 'mix', name, x, channels, mats, count, y: 'm' });
  const linear = (
    name: string,
    x: Slot,
    blocks: 1 | 3,
    w: LinearParams,
    act: ProgramActivation,
    y: Slot,
    extra: { residual?: Slot; step?: number } = {},
  ) => ops.push({ kind: 'linear', name, x, blocks, w, act, y, ...extra });
  const cheb = (
    name: string,
    x: Slot,
    channels: number,
    w: ChebParams,
    act: ProgramActivation,
    y: Slot,
    extra: { residual?: Slot; step?: number } = {},
  ) => {
    mix(`${name} mix`, x, channels, CHEB_BASIS, 3);
    linear(name, 'm', 3, w, act, y, extra);
  };

  cheb('input cheb', 'in', coordsIn, net.input, 'none', 'h0');
  // The residual stream alternates between h0 and h1: each layer ends in the other one.
  let cur: Slot = 'h0',
    other: Slot = 'h1';
  for (let l = 0; l < net.config.layers; l++) {
    const a = net.atten[l];
    ops.push({
      kind: 'norm',
      name: `L${l} norm0`,
      x: cur,
      channels: d,
      gain: a.norm0.gain,
      shift: a.norm0.shift,
      y: 'n',
    });
    linear(`L${l} qkv`, 'n', 1, a.qkv, 'none', 'm');
    ops.push({ kind: 'attention', name: `L${l} attention`, x: 'm', channels: d, heads, y: 'n' });
    linear(`L${l} attention out`, 'n', 1, a.out, 'none', other, { residual: cur });
    ops.push({
      kind: 'norm',
      name: `L${l} norm1`,
      x: other,
      channels: d,
      gain: a.norm1.gain,
      shift: a.norm1.shift,
      y: 'n',
    });
    mix(`L${l} ffn mix1`, 'n', d, a.lhat, 1);
    linear(`L${l} fc1`, 'm', 1, a.fc1, 'relu', 'f');
    mix(`L${l} ffn mix2`, 'f', 2 * d, a.lhat, 1);
    linear(`L${l} fc2`, 'm', 1, a.fc2, 'none', cur, { residual: other });
    const g = net.gconv[l];
    cheb(`L${l} gconv1`, cur, d, g.g1, 'relu', 'n', g.tembProj ? { step: l } : {});
    if (film) ops.push({ kind: 'film', name: `L${l} film`, x: 'n', channels: d, layer: l, y: 'f' });
    cheb(`L${l} gconv2`, film ? 'f' : 'n', d, g.g2, 'relu', other, { residual: cur });
    [cur, other] = [other, cur];
  }
  cheb('output cheb', cur, d, net.output, 'none', 'out');

  let step: StepEmbedding | undefined;
  if (net.temb) {
    const projections = net.gconv.map((g, l) => {
      if (!g.tembProj) throw new WeightsError(`layer ${l} has no step-embedding projection`);
      return g.tembProj;
    });
    step = { channels: d, dense0: net.temb.dense0, dense1: net.temb.dense1, projections };
  }
  if (film && !step) throw new WeightsError('a FiLM-conditioned network must be a denoiser (with a step embedding)');
  const program: NetworkProgram = {
    config: net.config,
    ops,
    tensors: programTensors(ops, step),
    step,
    film: film ? { layers: net.config.layers, width: d } : undefined,
  };
  checkProgram(program);
  return program;
}

function programTensors(ops: ProgramOp[], step: StepEmbedding | undefined): Float32Array[] {
  const seen = new Set<Float32Array>();
  const add = (...arrays: Float32Array[]) => {
    for (const a of arrays) seen.add(a);
  };
  for (const op of ops) {
    if (op.kind === 'mix') add(op.mats);
    else if (op.kind === 'linear') add(op.w.wt, op.w.bias);
    else if (op.kind === 'norm') add(op.gain, op.shift);
  }
  if (step) for (const w of [step.dense0, step.dense1, ...step.projections]) add(w.wt, w.bias);
  return [...seen];
}

/** Channels an op reads from its input slot. */
export function opInputChannels(op: ProgramOp): number {
  switch (op.kind) {
    case 'mix':
      return op.channels;
    case 'linear':
      return op.w.cin;
    case 'norm':
      return op.channels;
    case 'attention':
      return 3 * op.channels;
    case 'film':
      return op.channels;
  }
}

/** Channels an op writes to its output slot. */
export function opOutputChannels(op: ProgramOp): number {
  switch (op.kind) {
    case 'mix':
      return op.count * op.channels;
    case 'linear':
      return op.w.cout;
    case 'norm':
      return op.channels;
    case 'attention':
      return op.channels;
    case 'film':
      return op.channels;
  }
}

/**
 * Checks a program: every op reads a slot written before it with the width it expects, the
 * network input is never written, the output is written last, and every tensor has the size
 * its op implies. Throws WeightsError (the weights and the config disagree) on the first fault.
 */
export function checkProgram(p: NetworkProgram): void {
  const width = new Map<Slot, number>([['in', p.config.coordsIn]]);
  const fail = (op: ProgramOp, why: string): never => {
    throw new WeightsError(`network op "${op.name}": ${why}`);
  };
  const size = (op: ProgramOp, what: string, a: Float32Array, n: number) => {
    if (a.length !== n) fail(op, `${what} has ${a.length} values, expected ${n}`);
  };
  const read = (op: ProgramOp, s: Slot, channels: number) => {
    const w = width.get(s);
    if (w === undefined) fail(op, `reads slot ${s} before anything writes it`);
    if (w !== channels) fail(op, `reads ${channels} channels from slot ${s}, which holds ${w}`);
  };
  p.ops.forEach((op, i) => {
    read(op, op.x, opInputChannels(op));
    if (op.y === 'in') fail(op, 'writes the network input');
    if ((op.y === 'out') !== (i === p.ops.length - 1))
      fail(op, op.y === 'out' ? 'writes the output before the last op' : 'the last op must write the output');
    if (op.kind === 'mix') size(op, 'mixing matrices', op.mats, op.count * J * J);
    if (op.kind === 'linear') {
      size(op, 'weight', op.w.wt, op.w.cin * op.w.cout);
      size(op, 'bias', op.w.bias, op.w.cout);
      if (op.w.cin % op.blocks !== 0) fail(op, `${op.w.cin} input channels are not ${op.blocks} blocks`);
      if (op.residual) read(op, op.residual, op.w.cout);
      if (op.step !== undefined && (!p.step || !p.step.projections[op.step]))
        fail(op, `step-embedding projection ${op.step} does not exist`);
      if (op.step !== undefined && p.step!.projections[op.step].cout !== op.w.cout)
        fail(op, 'step-embedding projection width differs from the output');
    }
    if (op.kind === 'norm') {
      size(op, 'gain', op.gain, op.channels);
      size(op, 'shift', op.shift, op.channels);
    }
    if (op.kind === 'attention' && op.channels % op.heads !== 0)
      fail(op, `${op.channels} channels are not ${op.heads} heads`);
    if (op.kind === 'film' && (!p.film || op.layer >= p.film.layers || op.channels !== p.film.width))
      fail(op, 'FiLM of a layer or width the program is not conditioned on');
    width.set(op.y, opOutputChannels(op));
  });
  if (width.get('out') !== p.config.coordsOut)
    throw new WeightsError(
      `network program writes ${width.get('out')} output channels, expected ${p.config.coordsOut}`,
    );
}

/**
 * Multiply-adds of one evaluation for one item, as the model defines the arithmetic: dense
 * graph products (every Chebyshev term, the identity too), every linear, the attention's
 * scores and weighted sums, and the step embedding's MLP and projections per item (as PyTorch
 * computes it). Layer norms, softmax and activations are not counted.
 */
export function programMacs(p: NetworkProgram): number {
  let macs = 0;
  for (const op of p.ops) {
    if (op.kind === 'mix') macs += op.count * J * J * op.channels;
    else if (op.kind === 'linear')
      macs += J * op.w.cin * op.w.cout + (op.step !== undefined ? p.step!.projections[op.step].cin * op.w.cout : 0);
    else if (op.kind === 'attention') macs += 2 * J * J * op.channels;
    else if (op.kind === 'film') macs += J * op.channels;
  }
  if (p.step) macs += p.step.dense0.cin * p.step.dense0.cout + p.step.dense1.cin * p.step.dense1.cout;
  return macs;
}

const programs = new WeakMap<NetworkParams, NetworkProgram>();

/**
 * The program of a network's parameters, built (and checked) on first use and then shared.
 * A FiLM-conditioned denoiser is registered by its weights reader (registerProgram) at load.
 */
export function programOf(net: NetworkParams): NetworkProgram {
  let p = programs.get(net);
  if (!p) {
    p = networkProgram(net);
    programs.set(net, p);
  }
  return p;
}

/** Builds and records the program of `net` with FiLM: what programOf(net) returns from then on. */
export function registerFilmProgram(net: NetworkParams): NetworkProgram {
  const p = networkProgram(net, true);
  programs.set(net, p);
  return p;
}
