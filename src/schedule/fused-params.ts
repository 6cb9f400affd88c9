import { InputError } from '../errors.js';
import {
  ACTIVATION_CODE,
  FUSED_LAYOUT,
  FUSED_OP,
  FUSED_ROWS,
  INIT_MODE,
  INPUT_KIND,
  NONE_U32,
} from '../kernels/wgsl-constants.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import type { RunSettings } from '../lift-options.js';
import type { NetworkParams } from '../model/network-params.js';
import { programOf, type NetworkProgram, type ProgramOp, type Slot } from '../model/network-program.js';
import type { WeightArena } from './weight-arena.js';

// The layout shared with shaders/fused/params.wgsl and network.wgsl (their constants are generated from it).
export const TABLE_U32_PER_NET = FUSED_LAYOUT.tableU32PerNet;
export const MAX_FUSED_STEPS = FUSED_LAYOUT.maxSteps;
const NET_HEADER_U32 = FUSED_LAYOUT.netHeaderU32;
const OP_U32 = FUSED_LAYOUT.opU32;
const TABLE_OFFSET = FUSED_LAYOUT.tableOffset;
const STEPS_OFFSET = TABLE_OFFSET + 2 * TABLE_U32_PER_NET * 4;
const GAIN_OFFSET = STEPS_OFFSET + 2 * MAX_FUSED_STEPS * 16;
export const FUSED_PARAMS_BYTES = GAIN_OFFSET + 16 * Math.ceil(NUM_JOINTS / 4);
export { FUSED_ROWS };
const NONE = NONE_U32;
const OP = FUSED_OP;
const ACT = ACTIVATION_CODE;

/** Channel counts rounded up to vec4s. */
export const vec4s = (channels: number) => Math.ceil(channels / 4);

/**
 * The scratch slot of one item, in vec4s from the slot base (ROWS rows per buffer): residual
 * ping-pong H0/H1 [d4], N [d4], M [3 d4] (mixed copies, Q|K|V), F [2 d4], XIN [2], XOUT [2].
 */
export function slotLayout(d: number) {
  const d4 = vec4s(d),
    R = FUSED_ROWS;
  const h0 = 0,
    h1 = R * d4,
    n = 2 * R * d4,
    m = 3 * R * d4,
    f = 6 * R * d4,
    xin = 8 * R * d4,
    xout = xin + 2 * R;
  return { h0, h1, n, m, f, xin, xout, total: xout + 2 * R };
}

/** vec4s of scratch one slot needs for a network of width d. */
export function slotVec4s(d: number): number {
  return slotLayout(d).total;
}

/** Ops a network table holds. */
export const MAX_FUSED_OPS = Math.floor((TABLE_U32_PER_NET - NET_HEADER_U32) / OP_U32);

/** Why a network cannot run fused, or undefined when it can. */
export function fusedUnsupported(net: NetworkParams): string | undefined {
  const { hidden, heads, coordsIn, coordsOut } = net.config;
  if (hidden % 4 !== 0) return `hidden size ${hidden} is not a multiple of 4`;
  if ((hidden / heads) % 4 !== 0) return `head size ${hidden / heads} is not a multiple of 4`;
  const ops = programOf(net).ops.length;
  if (ops > MAX_FUSED_OPS) return `${ops} ops exceed the fused table's ${MAX_FUSED_OPS}`;
  if (coordsIn > 8 || coordsOut > 8) return 'more than 8 coordinates per joint';
  return undefined;
}

/**
 * Zero-pads a [k * cin, cout] weight (k stacked blocks, e.g. the 3 Chebyshev terms) to
 * [k * 4 cin4, 4 cout4] so that the fused kernels only ever see multiples of 4 channels.
 */
export function padWeight(wt: Float32Array, blocks: number, cin: number, cout: number): Float32Array {
  const cinP = 4 * vec4s(cin),
    coutP = 4 * vec4s(cout);
  const out = new Float32Array(blocks * cinP * coutP);
  for (let k = 0; k < blocks; k++)
    for (let c = 0; c < cin; c++)
      for (let o = 0; o < cout; o++) {
        out[(k * cinP + c) * coutP + o] = wt[(k * cin + c) * cout + o];
      }
  return out;
}

export function padVector(v: Float32Array): Float32Array {
  const out = new Float32Array(4 * vec4s(v.length));
  out.set(v);
  return out;
}

/**
 * The tensors the fused kernels read in place of a program's: the weight (and bias) of a linear
 * whose block width or output is not a multiple of 4 (the 2-, 3- and 5-coordinate input and
 * output layers) zero-padded to vec4s; every other tensor as it is. Add the values to the arena.
 */
export function fusedTensors(program: NetworkProgram): Map<Float32Array, Float32Array> {
  const m = new Map<Float32Array, Float32Array>(program.tensors.map((t) => [t, t]));
  for (const op of program.ops) {
    if (op.kind !== 'linear') continue;
    const cin = op.w.cin / op.blocks,
      cout = op.w.cout;
    if (cin % 4 !== 0 || cout % 4 !== 0) m.set(op.w.wt, padWeight(op.w.wt, op.blocks, cin, cout));
    if (cout % 4 !== 0) m.set(op.w.bias, padVector(op.w.bias));
  }
  return m;
}

/**
 * A network program encoded as the op table fused/network.wgsl interprets (12 u32 per op), with
 * slots as offsets in the item's scratch slot and tensors (`tensors`: fusedTensors()) as offsets
 * into the arena. `d` is the slot width (the wider network's), so both networks share one slot layout.
 */
export function networkTable(
  program: NetworkProgram,
  tensors: Map<Float32Array, Float32Array>,
  arena: WeightArena,
  d: number,
): Uint32Array {
  const t = new Uint32Array(TABLE_U32_PER_NET);
  const at = (a: Float32Array) => arena.get(tensors.get(a) ?? a).offset!;
  const v4 = (a: Float32Array) => at(a) / 16;
  const f1 = (a: Float32Array) => at(a) / 4;
  const s = slotLayout(d);
  const slot: Record<Slot, number> = { in: s.xin, out: s.xout, h0: s.h0, h1: s.h1, n: s.n, m: s.m, f: s.f };
  if (program.ops.length > MAX_FUSED_OPS)
    throw new InputError(`${program.ops.length} ops exceed the fused table's ${MAX_FUSED_OPS}`);
  const encode = (op: ProgramOp): number[] => {
    switch (op.kind) {
      case 'linear':
        return [
          OP.linear,
          slot[op.x],
          op.blocks * vec4s(op.w.cin / op.blocks),
          v4(op.w.wt),
          v4(op.w.bias),
          vec4s(op.w.cout),
          slot[op.y],
          ACT[op.act],
          op.step ?? NONE,
          op.residual ? slot[op.residual] : NONE,
        ];
      case 'mix':
        return [OP.mix, slot[op.x], vec4s(op.channels), f1(op.mats), op.count, slot[op.y]];
      case 'norm':
        return [OP.norm, slot[op.x], vec4s(op.channels), v4(op.gain), v4(op.shift), slot[op.y]];
      case 'attention':
        return [OP.attention, slot[op.x], vec4s(op.channels), op.heads, slot[op.y]];
      // FiLM rows [layers, 2, d]: this layer's gamma at vec4 layer * 2 d4, beta d4 after it.
      case 'film':
        return [
          OP.film,
          slot[op.x],
          vec4s(op.channels),
          op.layer * 2 * vec4s(op.channels),
          program.film!.layers * 2 * vec4s(op.channels),
          slot[op.y],
        ];
    }
  };
  t.set([program.ops.length, s.xin, s.xout, 0]);
  program.ops.forEach((op, i) => t.set(encode(op), NET_HEADER_U32 + i * OP_U32));
  return t;
}

/** What a buffer lift's earlier dispatches leave for the lifter (packFusedParams). */
export interface GpuInput {
  kind: 'pixels' | 'mixture';
  width: number;
  height: number;
}

/** The whole uniform: slot layout and tables (plan time), init, schedule and xyz noise gains (per settings). */
export function packFusedParams(o: {
  slot4: number;
  featStride4: number;
  denoiserLayers: number;
  components: number;
  settings: RunSettings;
  /**
   * Input a buffer lift produces on the GPU, with its image size: a caller's pixels (normalised by
   * the lifter dispatch), or a heatmap fit's uv and mixtures (the lifter's confidences from the
   * mixtures' widths, as prepareInput gives a mixture without confidences). Absent: the host's uv.
   */
  gpuInput?: GpuInput;
  /** Where a 4-output lifter's sigma sits in lifter_xyz (f32 index); 0: the lifter has none. */
  sigmaAt: number;
  lifterTable: Uint32Array;
  denoiserTable: Uint32Array;
}): ArrayBuffer {
  const s = o.settings;
  if (s.coefficients.length > MAX_FUSED_STEPS)
    throw new InputError(`the fused path runs at most ${MAX_FUSED_STEPS} timesteps, got ${s.coefficients.length}`);
  const bytes = new ArrayBuffer(FUSED_PARAMS_BYTES);
  const u = new Uint32Array(bytes),
    f = new Float32Array(bytes);
  u.set([
    o.slot4,
    o.featStride4,
    s.coefficients.length,
    o.components,
    INIT_MODE[s.init],
    o.denoiserLayers,
    o.gpuInput ? INPUT_KIND[o.gpuInput.kind] : INPUT_KIND.uv,
    NUM_JOINTS,
  ]);
  f.set([s.coefficients[0].sqrtA, s.coefficients[0].sqrtOneMinusA, o.gpuInput?.width ?? 0, o.gpuInput?.height ?? 0], 8);
  u[12] = o.sigmaAt;
  u.set(o.lifterTable, TABLE_OFFSET / 4);
  u.set(o.denoiserTable, TABLE_OFFSET / 4 + TABLE_U32_PER_NET);
  s.coefficients.forEach((c, i) =>
    f.set([c.t, c.sqrtA, c.sqrtOneMinusA, c.sqrtANext, c.c1, c.c2, 0, 0], STEPS_OFFSET / 4 + 8 * i),
  );
  if (s.xyzNoiseGain) f.set(s.xyzNoiseGain, GAIN_OFFSET / 4);
  else f.fill(1, GAIN_OFFSET / 4, GAIN_OFFSET / 4 + NUM_JOINTS);
  return bytes;
}
