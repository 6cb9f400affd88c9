import { normaliseFrames } from './context-encoder.ref.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { ENCODER_INPUTS } from './encoder-config.js';
import type { EncoderParams } from './temporal-weights.js';

/**
 * The context encoder as the GPU evaluates it (shaders/context-encoder.wgsl): one output frame
 * per window, computing at each level only the positions the output depends on — with
 * dilations 3 and 9, 9 of the 25 input-conv positions and 3 of the block-1 positions — so a
 * window costs about 0.5 M multiply-adds instead of 1.9 M. The plan is a table of u32 (sizes,
 * tensor offsets into one weights array, scratch offsets, position lists) that the kernel and
 * its CPU reference (encodeWindowsRef) both interpret.
 */

/** Header fields of the table, in u32 (ENC_* in the WGSL). */
export const ENC = {
  channels: 0,
  window: 1,
  blocks: 2,
  filmOut: 3,
  normalise: 4,
  before: 5,
  inputW: 6,
  inputB: 7,
  poseW: 8,
  poseB: 9,
  filmW: 10,
  filmB: 11,
  win: 12,
  delta: 13,
  level0: 14,
  count0: 15,
  list0: 16,
  scratch: 17,
  /** 1: a v2 encoder (docs/temporal-model.md §12): 102 inputs, the window's lifter xyz the last 51, and the start average. */
  lifted: 18,
  /** Scratch offset of the window's lifter xyz [window, 17, 3] (v2). */
  liftWin: 19,
  /** Weights offset of the start average [window, 17] (v2). */
  average: 20,
  /** First block record. */
  blocks0: 24,
  /** u32 per block record. */
  blockU32: 12,
} as const;

/** Fields of a block record, after its start (BLK_* in the WGSL). */
export const BLK = {
  dilation: 0,
  shift: 1,
  convW: 2,
  convB: 3,
  pointW: 4,
  pointB: 5,
  hIn: 6,
  hOut: 7,
  y: 8,
  count: 9,
  list: 10,
} as const;

export interface EncoderPlan {
  table: Uint32Array;
  /** Every tensor of the encoder, concatenated (offsets in the table). */
  weights: Float32Array;
  /** f32 of scratch per window in flight. */
  scratchFloats: number;
  /** Phases of one window: a stream's own-frame write (GPU-resident pushes only), load, input conv, two per block, heads, write-out. */
  phases: number;
  filmOut: number;
}

const plans = new WeakMap<EncoderParams, EncoderPlan>();

/** The plan of an encoder, made once and shared. */
export function encoderPlan(p: EncoderParams): EncoderPlan {
  let plan = plans.get(p);
  if (!plan) {
    plan = makeEncoderPlan(p);
    plans.set(p, plan);
  }
  return plan;
}

function makeEncoderPlan(p: EncoderParams): EncoderPlan {
  const C = p.config.channels,
    W = p.config.window,
    B = p.blocks.length;
  const tensors: Float32Array[] = [];
  let wAt = 0;
  const put = (a: Float32Array) => {
    tensors.push(a);
    const at = wAt;
    wAt += a.length;
    return at;
  };
  // Positions each level needs, from the single output backwards: h_{b+1}[q] reads h_b at q, q + D, q + 2D (and q + shift).
  const needed: number[][] = new Array(B + 1);
  needed[B] = [0];
  for (let b = B - 1; b >= 0; b--) {
    const D = p.blocks[b].dilation;
    needed[b] = [...new Set(needed[b + 1].flatMap((q) => [q, q + D, q + 2 * D]))].sort((x, y) => x - y);
  }
  const levelSize = [W - 2];
  for (const blk of p.blocks) levelSize.push(levelSize[levelSize.length - 1] - 2 * blk.dilation);
  // Scratch: the window, the correction, each level dense, one y buffer per block (dense at its output level).
  let sAt = 0;
  const take = (n: number) => {
    const at = sAt;
    sAt += n;
    return at;
  };
  const lifted = p.config.fuse !== undefined;
  const win = take(W * ENCODER_INPUTS),
    delta = take(ENCODER_INPUTS),
    liftWin = lifted ? take(W * ENCODER_INPUTS) : 0;
  const level = levelSize.map((n) => take(n * C));
  const ys = p.blocks.map((_, b) => take(levelSize[b + 1] * C));
  const header = new Array<number>(ENC.blocks0).fill(0);
  const lists: number[] = [];
  const listAt = (xs: number[]) => {
    const at = ENC.blocks0 + B * ENC.blockU32 + lists.length;
    lists.push(...xs);
    return at;
  };
  Object.assign(header, {
    [ENC.channels]: C,
    [ENC.window]: W,
    [ENC.blocks]: B,
    [ENC.filmOut]: p.film.cout,
    [ENC.normalise]: p.config.normalise ? 1 : 0,
    [ENC.before]: p.config.pad[0],
    [ENC.inputW]: put(p.input.weight),
    [ENC.inputB]: put(p.input.bias),
    [ENC.poseW]: put(p.pose.weight),
    [ENC.poseB]: put(p.pose.bias),
    [ENC.filmW]: put(p.film.weight),
    [ENC.filmB]: put(p.film.bias),
    [ENC.win]: win,
    [ENC.delta]: delta,
    [ENC.level0]: level[0],
    [ENC.count0]: needed[0].length,
    [ENC.list0]: listAt(needed[0]),
    [ENC.scratch]: 0,
    [ENC.lifted]: lifted ? 1 : 0,
    [ENC.liftWin]: liftWin,
    [ENC.average]: lifted ? put(p.average!) : 0,
  });
  const blocks = p.blocks.map((blk, b) => [
    blk.dilation,
    p.config.causal ? 2 * blk.dilation : blk.dilation,
    put(blk.conv.weight),
    put(blk.conv.bias),
    put(blk.point.weight),
    put(blk.point.bias),
    level[b],
    level[b + 1],
    ys[b],
    needed[b + 1].length,
    listAt(needed[b + 1]),
    0,
  ]);
  header[ENC.scratch] = sAt;
  const table = Uint32Array.from([...header, ...blocks.flat(), ...lists]);
  const weights = new Float32Array(wAt);
  let at = 0;
  for (const t of tensors) {
    weights.set(t, at);
    at += t.length;
  }
  return { table, weights, scratchFloats: sAt, phases: 5 + 2 * B, filmOut: p.film.cout };
}

/**
 * The CPU reference of the kernel: for each of `count` windows (lo, hi, t, base per window: the
 * frames clamp(t + o, lo, hi) of `frames` [.., 17, 3], each at base + index % ring; ring 0: at
 * the index itself), the root-centred start correction [count, 17, 3] and the FiLM
 * [count, filmOut], phase by phase as shaders/context-encoder.wgsl runs them. A v2 encoder also
 * reads `lifted` (the root-centred lifter xyz [.., 17, 3], indexed as `frames`) and gives the
 * start pose itself: the start average of the window's lifter xyz plus the correction.
 */
export function encodeWindowsRef(
  plan: EncoderPlan,
  frames: Float32Array,
  windows: Uint32Array,
  count: number,
  ring = 0,
  lifted?: Float32Array,
): { delta: Float32Array; film: Float32Array; start?: Float32Array } {
  const T = plan.table,
    w = plan.weights;
  const C = T[ENC.channels],
    W = T[ENC.window],
    B = T[ENC.blocks],
    filmOut = T[ENC.filmOut],
    I = ENCODER_INPUTS;
  const v2 = T[ENC.lifted] === 1;
  if (v2 && !lifted) throw new Error('a v2 encoder reads the lifter xyz of its window frames');
  const delta = new Float32Array(count * I),
    film = new Float32Array(count * filmOut),
    start = v2 ? new Float32Array(count * I) : undefined;
  const s = new Float32Array(plan.scratchFloats);
  const lw = T[ENC.liftWin];
  for (let n = 0; n < count; n++) {
    const [lo, hi, t, base] = windows.subarray(4 * n, 4 * n + 4);
    for (let f = 0; f < W; f++) {
      const index = Math.min(Math.max(t + f - T[ENC.before], lo), hi);
      const src = ring ? base + (index % ring) : index;
      s.set(frames.subarray(src * I, (src + 1) * I), T[ENC.win] + f * I);
      if (v2) s.set(lifted!.subarray(src * I, (src + 1) * I), lw + f * I);
    }
    if (T[ENC.normalise]) normaliseFrames(s.subarray(T[ENC.win], T[ENC.win] + W * I), W);
    for (let k = 0; k < T[ENC.count0]; k++) {
      const pos = T[T[ENC.list0] + k];
      for (let o = 0; o < C; o++) {
        let acc = w[T[ENC.inputB] + o];
        const w0 = T[ENC.inputW] + o * (v2 ? 2 * I : I) * 3;
        for (let i = 0; i < I; i++)
          for (let tap = 0; tap < 3; tap++) acc += w[w0 + i * 3 + tap] * s[T[ENC.win] + (pos + tap) * I + i];
        // v2: channels 51.. are the window frames' lifter xyz.
        if (v2)
          for (let i = 0; i < I; i++)
            for (let tap = 0; tap < 3; tap++) acc += w[w0 + (I + i) * 3 + tap] * s[lw + (pos + tap) * I + i];
        s[T[ENC.level0] + pos * C + o] = Math.max(acc, 0);
      }
    }
    for (let b = 0; b < B; b++) {
      const r = ENC.blocks0 + b * ENC.blockU32,
        at = (f: number) => T[r + f];
      const D = at(BLK.dilation);
      for (let k = 0; k < at(BLK.count); k++) {
        const q = T[at(BLK.list) + k];
        for (let o = 0; o < C; o++) {
          let acc = w[at(BLK.convB) + o];
          for (let i = 0; i < C; i++)
            for (let tap = 0; tap < 3; tap++)
              acc += w[at(BLK.convW) + (o * C + i) * 3 + tap] * s[at(BLK.hIn) + (q + tap * D) * C + i];
          s[at(BLK.y) + q * C + o] = Math.max(acc, 0);
        }
      }
      for (let k = 0; k < at(BLK.count); k++) {
        const q = T[at(BLK.list) + k];
        for (let o = 0; o < C; o++) {
          let acc = w[at(BLK.pointB) + o];
          for (let i = 0; i < C; i++) acc += w[at(BLK.pointW) + o * C + i] * s[at(BLK.y) + q * C + i];
          s[at(BLK.hOut) + q * C + o] = s[at(BLK.hIn) + (q + at(BLK.shift)) * C + o] + Math.max(acc, 0);
        }
      }
    }
    const feature = T[ENC.blocks0 + (B - 1) * ENC.blockU32 + BLK.hOut];
    for (let k = 0; k < I + filmOut; k++) {
      const head =
        k < I ? { W: T[ENC.poseW], b: T[ENC.poseB], row: k } : { W: T[ENC.filmW], b: T[ENC.filmB], row: k - I };
      let acc = w[head.b + head.row];
      for (let i = 0; i < C; i++) acc += w[head.W + head.row * C + i] * s[feature + i];
      if (k < I) s[T[ENC.delta] + k] = acc;
      else film[n * filmOut + k - I] = acc;
    }
    for (let k = 0; k < I; k++) delta[n * I + k] = s[T[ENC.delta] + k] - s[T[ENC.delta] + (k % 3)];
    if (!start) continue;
    // start[j] = sum over the window of average[f][j] * lifter xyz[f][j], plus the correction.
    for (let k = 0; k < I; k++) {
      const j = Math.floor(k / 3);
      let acc = 0;
      for (let f = 0; f < W; f++) acc += w[T[ENC.average] + f * NUM_JOINTS + j] * s[lw + f * I + k];
      start[n * I + k] = acc + delta[n * I + k];
    }
  }
  return { delta, film, start };
}
