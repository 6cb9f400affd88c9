import { InputError } from '../errors.js';
import type { RunSettings } from '../lift-options.js';
import type { NetworkParams } from '../model/network-params.js';
import type { WeightArena } from './weight-arena.js';

// Mirrors shaders/fused/params.wgsl and the op table of shaders/fused/network.wgsl.
export const TABLE_U32_PER_NET = 2048;
export const MAX_FUSED_STEPS = 64;
const NET_HEADER_U32 = 4;
const OP_U32 = 12;
const OPS_PER_LAYER = 13;
/** Ops: input mix + linear, 13 per layer, output mix + linear. */
export const MAX_FUSED_LAYERS = Math.floor(((TABLE_U32_PER_NET - NET_HEADER_U32) / OP_U32 - 4) / OPS_PER_LAYER);
const TABLE_OFFSET = 48;
const STEPS_OFFSET = TABLE_OFFSET + 2 * TABLE_U32_PER_NET * 4;
export const FUSED_PARAMS_BYTES = STEPS_OFFSET + 2 * MAX_FUSED_STEPS * 16;
/** Rows per activation buffer in a slot: 17 joints padded to a multiple of 4. */
export const FUSED_ROWS = 20;
const NONE = 0xffffffff;
const OP = { linear: 1, mix: 2, norm: 3, attention: 4 } as const;
const ACT = { none: 0, relu: 1 } as const;

/** Channel counts rounded up to vec4s. */
export const vec4s = (channels: number) => Math.ceil(channels / 4);

/**
 * The scratch slot of one item, in vec4s from the slot base (ROWS rows per buffer): residual
 * ping-pong H0/H1 [d4], N [d4], M [3 d4] (mixed copies, Q|K|V), F [2 d4], XIN [2], XOUT [2].
 */
function slotLayout(d: number) {
  const d4 = vec4s(d), R = FUSED_ROWS;
  const h0 = 0, h1 = R * d4, n = 2 * R * d4, m = 3 * R * d4, f = 6 * R * d4, xin = 8 * R * d4, xout = xin + 2 * R;
  return { h0, h1, n, m, f, xin, xout, total: xout + 2 * R };
}

/** vec4s of scratch one slot needs for a network of width d. */
export function slotVec4s(d: number): number {
  return slotLayout(d).total;
}

/** Why a network cannot run fused, or undefined when it can. */
export function fusedUnsupported(net: NetworkParams): string | undefined {
  const { hidden, heads, layers, coordsIn, coordsOut } = net.config;
  if (hidden % 4 !== 0) return `hidden size ${hidden} is not a multiple of 4`;
  if ((hidden / heads) % 4 !== 0) return `head size ${hidden / heads} is not a multiple of 4`;
  if (layers > MAX_FUSED_LAYERS) return `${layers} layers exceed the fused table's ${MAX_FUSED_LAYERS}`;
  if (coordsIn > 8 || coordsOut > 8) return 'more than 8 coordinates per joint';
  return undefined;
}

/**
 * Zero-pads a [k * cin, cout] weight (k stacked blocks, e.g. the 3 Chebyshev terms) to
 * [k * 4 cin4, 4 cout4] so that the fused kernels only ever see multiples of 4 channels.
 */
export function padWeight(wt: Float32Array, blocks: number, cin: number, cout: number): Float32Array {
  const cinP = 4 * vec4s(cin), coutP = 4 * vec4s(cout);
  const out = new Float32Array(blocks * cinP * coutP);
  for (let k = 0; k < blocks; k++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    out[(k * cinP + c) * coutP + o] = wt[(k * cin + c) * cout + o];
  }
  return out;
}

export function padVector(v: Float32Array): Float32Array {
  const out = new Float32Array(4 * vec4s(v.length));
  out.set(v);
  return out;
}

/** The padded input and output layers of a network; add them to the arena before uploading. */
export interface PaddedIo { inW: Float32Array; inB: Float32Array; outW: Float32Array; outB: Float32Array }

export function paddedIo(net: NetworkParams): PaddedIo {
  const { coordsIn, coordsOut, hidden } = net.config;
  return {
    inW: padWeight(net.input.wt, 3, coordsIn, hidden), inB: net.input.bias,
    outW: padWeight(net.output.wt, 3, hidden, coordsOut), outB: padVector(net.output.bias),
  };
}

/**
 * A network as the op list fused/network.wgsl interprets, in the order of reference-network.ts.
 * `d` is the slot width (the wider network's), so both networks share one slot layout.
 */
export function networkTable(net: NetworkParams, io: PaddedIo, cheb: Float32Array, arena: WeightArena, d: number): Uint32Array {
  const t = new Uint32Array(TABLE_U32_PER_NET);
  const v4 = (a: Float32Array) => arena.get(a).offset! / 16;
  const f1 = (a: Float32Array) => arena.get(a).offset! / 4;
  const s = slotLayout(d);
  const d4 = net.config.hidden / 4, cin4 = vec4s(net.config.coordsIn), cout4 = vec4s(net.config.coordsOut);
  const ops: number[][] = [];
  const linear = (x: number, cin: number, w: Float32Array, b: Float32Array, cout: number, y: number, act: number, addLayer = NONE, res = NONE) =>
    ops.push([OP.linear, x, cin, v4(w), v4(b), cout, y, act, addLayer, res]);
  const mix = (x: number, c4: number, mats: Float32Array, p: number) => ops.push([OP.mix, x, c4, f1(mats), p, s.m]);
  mix(s.xin, cin4, cheb, 3);
  linear(s.m, 3 * cin4, io.inW, io.inB, d4, s.h0, ACT.none);
  let cur = s.h0, oth = s.h1;
  net.atten.forEach((a, l) => {
    const g = net.gconv[l];
    ops.push([OP.norm, cur, d4, v4(a.norm0.gain), v4(a.norm0.shift), s.n]);
    linear(s.n, d4, a.qkv.wt, a.qkv.bias, 3 * d4, s.m, ACT.none);
    ops.push([OP.attention, s.m, d4, net.config.heads, s.n]);
    linear(s.n, d4, a.out.wt, a.out.bias, d4, oth, ACT.none, NONE, cur);
    ops.push([OP.norm, oth, d4, v4(a.norm1.gain), v4(a.norm1.shift), s.n]);
    mix(s.n, d4, a.lhat, 1);
    linear(s.m, d4, a.fc1.wt, a.fc1.bias, 2 * d4, s.f, ACT.relu);
    mix(s.f, 2 * d4, a.lhat, 1);
    linear(s.m, 2 * d4, a.fc2.wt, a.fc2.bias, d4, cur, ACT.none, NONE, oth);
    mix(cur, d4, cheb, 3);
    linear(s.m, 3 * d4, g.g1.wt, g.g1.bias, d4, s.n, ACT.relu, g.tembProj ? l : NONE);
    mix(s.n, d4, cheb, 3);
    linear(s.m, 3 * d4, g.g2.wt, g.g2.bias, d4, oth, ACT.relu, NONE, cur);
    [cur, oth] = [oth, cur];
  });
  mix(cur, d4, cheb, 3);
  linear(s.m, 3 * d4, io.outW, io.outB, cout4, s.xout, ACT.none);
  t.set([ops.length, s.xin, s.xout, 0]);
  ops.forEach((op, i) => t.set(op, NET_HEADER_U32 + i * OP_U32));
  return t;
}

/** The whole uniform: slot layout and tables (plan time), init and schedule (per settings). */
export function packFusedParams(o: {
  slot4: number; featStride4: number; denoiserLayers: number; components: number; settings: RunSettings;
  /** Pixels straight from a caller's GPU buffer (normalised on the GPU), with its image size. */
  pixelsInput?: { width: number; height: number };
  lifterTable: Uint32Array; denoiserTable: Uint32Array;
}): ArrayBuffer {
  const s = o.settings;
  if (s.coefficients.length > MAX_FUSED_STEPS) throw new InputError(`the fused path runs at most ${MAX_FUSED_STEPS} timesteps, got ${s.coefficients.length}`);
  const bytes = new ArrayBuffer(FUSED_PARAMS_BYTES);
  const u = new Uint32Array(bytes), f = new Float32Array(bytes);
  u.set([o.slot4, o.featStride4, s.coefficients.length, o.components, s.init === 'paper' ? 1 : 0, o.denoiserLayers, o.pixelsInput ? 1 : 0, 17]);
  f.set([s.coefficients[0].sqrtA, s.coefficients[0].sqrtOneMinusA, o.pixelsInput?.width ?? 0, o.pixelsInput?.height ?? 0], 8);
  u.set(o.lifterTable, TABLE_OFFSET / 4);
  u.set(o.denoiserTable, TABLE_OFFSET / 4 + TABLE_U32_PER_NET);
  s.coefficients.forEach((c, i) => f.set([c.t, c.sqrtA, c.sqrtOneMinusA, c.sqrtANext, c.c1, c.c2, 0, 0], STEPS_OFFSET / 4 + 8 * i));
  return bytes;
}
