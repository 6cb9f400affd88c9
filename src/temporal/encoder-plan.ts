import { normaliseFrames } from './context-encoder.ref.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { ENCODER_INPUTS } from './encoder-config.js';
import type { ConvParams, EncoderParams } from './temporal-weights.js';

/**
 * The context encoder as the GPU evaluates it (shaders/context-encoder.wgsl), in blocks of rows:
 *
 * - **Sequence blocks**: up to ENCODER_BLOCK_ROWS consecutive output frames of one track. The
 *   convolutions run densely over the block's frames plus the window's reach, the whole-track form
 *   of docs/temporal-model.md §3 (every level a function of the position alone), so neighbouring
 *   outputs share their positions: 0.38 M multiply-adds per frame at 16 rows, against 0.69 M for
 *   one window at a time.
 * - **Stream blocks** (a stream's ring, causal): up to ENCODER_BLOCK_ROWS tracks' newest frames.
 *   Each level's three taps are gathered from the ring's cached activations into rows
 *   (tap k of track g at row k n + g), so the same dense convolution with dilation n computes
 *   the newest position of every track, and the tracks share each weight load.
 *
 * Every layer is one dense op y[r] = act(b + sum_tap sum_i x[r + tap D][i] W[tap][i]) over rows,
 * with the weights repacked output-minor ([tap][in][out], out padded to a multiple of 8) so that
 * an invocation computes a 4-row x 8-output tile: per input channel 4 activation and 8 weight
 * loads feed 32 multiply-adds. (CPU drivers pay per loaded component and lane; the previous form,
 * one output per invocation with weights [out][in][tap], paid two loads per multiply-add.)
 *
 * The plan is a table of u32 (sizes, tensor offsets into one weights array, the two scratch
 * layouts) that the kernel and its CPU reference (encodeWindowsRef, sequence blocks) interpret.
 */

/** Rows of a block: output frames of one track (sequence) or tracks (stream). */
export const ENCODER_BLOCK_ROWS = 16;
/** Rows past every row buffer's end: a 4-row tile may read up to 3 rows past the last real one. */
const PAD_ROWS = 3;
/** Output columns per tile. */
const TILE_OUT = 8;
/** The pose head's columns in the joined head: 51 rounded up to a tile; FiLM starts there. */
const POSE_COLUMNS = Math.ceil(ENCODER_INPUTS / TILE_OUT) * TILE_OUT;

/** Header fields of the table, in u32 (ENC_* in the WGSL). */
export const ENC = {
  /** Channels padded to a multiple of 8 (the padded ones hold zeros). */
  channels: 0,
  /** Floats per window row: (u, v, c) of 17 joints, and v2's lifter xyz (51 or 102). */
  rowFloats: 1,
  window: 2,
  blocks: 3,
  filmOut: 4,
  normalise: 5,
  before: 6,
  /** 1: a v2 encoder (docs/temporal-model.md §12): the window frames' lifter xyz are inputs, and the start average. */
  lifted: 7,
  /** Channels as the weights file has them: what a stream's ring caches per level. */
  ringChannels: 8,
  inputW: 9,
  inputB: 10,
  /** The pose and FiLM heads as one linear [channels][headOut]: pose columns 0..50, FiLM from headFilm. */
  headW: 11,
  headB: 12,
  headOut: 13,
  headFilm: 14,
  /** Weights offset of the start average [window, 17] (v2). */
  average: 15,
  /** Table offsets of the sequence and the stream scratch layouts (LAY records). */
  layoutSequence: 16,
  layoutStream: 17,
  /** f32 of scratch per block in flight. */
  scratch: 18,
  /** First block record. */
  blocks0: 20,
  /** u32 per block record. */
  blockU32: 6,
} as const;

/** Fields of a block record (BLK_* in the WGSL): weights offsets are f32 indices, all multiples of 4. */
export const BLK = {
  dilation: 0,
  /** Residual position of output row r in the block's input: r + shift (the centre or the newest). */
  shift: 1,
  convW: 2,
  convB: 3,
  pointW: 4,
  pointB: 5,
} as const;

/** A scratch layout (LAY_* in the WGSL): offsets of the window rows, the delta rows, level 0, then per block its input, conv output and output. */
export const LAY = {
  win: 0,
  delta: 1,
  level0: 2,
  blocks0: 3,
  blockU32: 3,
  /** Per block: the rows its dilated convolution reads (a stream's gathered taps, else the level), its conv output, its output level. */
  x: 0,
  y: 1,
  h: 2,
} as const;

export interface EncoderPlan {
  table: Uint32Array;
  /** Every tensor of the encoder, repacked and concatenated (offsets in the table). */
  weights: Float32Array;
  /** f32 of scratch per block in flight. */
  scratchFloats: number;
  /** Phases of one block: a stream's own-frame write, load, input conv, three per encoder block (gather, conv, point), heads, write-out. */
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

const pad = (n: number, to: number) => Math.ceil(n / to) * to;

/** [tap][in (padded to cinPad)][out (padded to coutPad)] from PyTorch's [out][in][tap], zeros in the padding. */
function outputMinor(c: ConvParams, cinPad: number, coutPad: number): Float32Array {
  const r = new Float32Array(c.taps * cinPad * coutPad);
  for (let o = 0; o < c.cout; o++)
    for (let i = 0; i < c.cin; i++)
      for (let k = 0; k < c.taps; k++) r[(k * cinPad + i) * coutPad + o] = c.weight[(o * c.cin + i) * c.taps + k];
  return r;
}

function padded(v: Float32Array, n: number, at = 0, into = new Float32Array(n)): Float32Array {
  into.set(v, at);
  return into;
}

function makeEncoderPlan(p: EncoderParams): EncoderPlan {
  const C = p.config.channels,
    Cp = pad(C, TILE_OUT),
    W = p.config.window,
    B = p.blocks.length,
    R = ENCODER_BLOCK_ROWS,
    lifted = p.config.fuse !== undefined,
    IN = lifted ? 2 * ENCODER_INPUTS : ENCODER_INPUTS,
    filmOut = p.film.cout,
    headOut = POSE_COLUMNS + pad(filmOut, TILE_OUT);
  const tensors: Float32Array[] = [];
  let wAt = 0;
  // Offsets kept at multiples of 4: the kernel reads weights as vec4s.
  const put = (a: Float32Array) => {
    const at = wAt;
    tensors.push(padded(a, pad(a.length, 4)));
    wAt += pad(a.length, 4);
    return at;
  };
  const headW = new Float32Array(Cp * headOut),
    headB = new Float32Array(headOut);
  const pose = outputMinor(p.pose, Cp, POSE_COLUMNS),
    film = outputMinor(p.film, Cp, headOut - POSE_COLUMNS);
  for (let i = 0; i < Cp; i++) {
    headW.set(pose.subarray(i * POSE_COLUMNS, (i + 1) * POSE_COLUMNS), i * headOut);
    headW.set(
      film.subarray(i * (headOut - POSE_COLUMNS), (i + 1) * (headOut - POSE_COLUMNS)),
      i * headOut + POSE_COLUMNS,
    );
  }
  headB.set(p.pose.bias);
  headB.set(p.film.bias, POSE_COLUMNS);

  // Scratch layouts. Rows of level 0 in a sequence block of R outputs: R + W - 3, each block 2D fewer.
  let sAt = 0,
    most = 0;
  const take = (rows: number, width: number) => {
    const at = sAt;
    sAt += (rows + PAD_ROWS) * width;
    return at;
  };
  const layout = (stream: boolean): number[] => {
    sAt = 0;
    const win = take(stream ? 3 * R : R + W - 1, IN),
      delta = take(R, ENCODER_INPUTS),
      level0 = take(stream ? R : R + W - 3, Cp);
    let rows = stream ? R : R + W - 3,
      input = level0;
    const blocks = p.blocks.flatMap((blk) => {
      const x = stream ? take(3 * R, Cp) : input;
      if (!stream) rows -= 2 * blk.dilation;
      const y = take(rows, Cp),
        h = take(rows, Cp);
      input = h;
      return [x, y, h];
    });
    most = Math.max(most, sAt);
    return [win, delta, level0, ...blocks];
  };
  const layouts = [layout(false), layout(true)];

  const header = new Array<number>(ENC.blocks0).fill(0);
  const layoutsAt = ENC.blocks0 + B * ENC.blockU32;
  Object.assign(header, {
    [ENC.channels]: Cp,
    [ENC.rowFloats]: IN,
    [ENC.window]: W,
    [ENC.blocks]: B,
    [ENC.filmOut]: filmOut,
    [ENC.normalise]: p.config.normalise ? 1 : 0,
    [ENC.before]: p.config.pad[0],
    [ENC.lifted]: lifted ? 1 : 0,
    [ENC.ringChannels]: C,
    [ENC.inputW]: put(outputMinor(p.input, IN, Cp)),
    [ENC.inputB]: put(padded(p.input.bias, Cp)),
    [ENC.headW]: put(headW),
    [ENC.headB]: put(headB),
    [ENC.headOut]: headOut,
    [ENC.headFilm]: POSE_COLUMNS,
    [ENC.average]: lifted ? put(p.average!) : 0,
    [ENC.layoutSequence]: layoutsAt,
    [ENC.layoutStream]: layoutsAt + layouts[0].length,
    [ENC.scratch]: most,
  });
  const blocks = p.blocks.map((blk) => [
    blk.dilation,
    p.config.causal ? 2 * blk.dilation : blk.dilation,
    put(outputMinor(blk.conv, Cp, Cp)),
    put(padded(blk.conv.bias, Cp)),
    put(outputMinor(blk.point, Cp, Cp)),
    put(padded(blk.point.bias, Cp)),
  ]);
  const table = Uint32Array.from([...header, ...blocks.flat(), ...layouts.flat()]);
  const weights = new Float32Array(wAt);
  let at = 0;
  for (const t of tensors) {
    weights.set(t, at);
    at += t.length;
  }
  return { table, weights, scratchFloats: most, phases: 5 + 3 * B, filmOut };
}

/**
 * The blocks of `count` poses' windows (lo, hi, t, base) as the kernel reads them after the
 * windows: a count, then per block (first pose, rows). Sequence blocks are runs of consecutive
 * frames of one track; stream blocks (`stream`: each pose a different track's newest frame) any
 * ENCODER_BLOCK_ROWS poses in order.
 */
export function encoderBlocks(windows: Uint32Array, count: number, stream: boolean): Uint32Array {
  const blocks: number[] = [];
  for (let p = 0; p < count;) {
    let n = 1;
    const same = (q: number) =>
      stream ||
      (windows[4 * q] === windows[4 * p] &&
        windows[4 * q + 1] === windows[4 * p + 1] &&
        windows[4 * q + 3] === windows[4 * p + 3] &&
        windows[4 * q + 2] === windows[4 * p + 2] + (q - p));
    while (n < ENCODER_BLOCK_ROWS && p + n < count && same(p + n)) n++;
    blocks.push(p, n, 0, 0);
    p += n;
  }
  return Uint32Array.from([blocks.length / 4, 0, 0, 0, ...blocks]);
}

/** The windows buffer of a dispatch over `count` poses: their windows, then encoderBlocks. */
export function encoderWindows(windows: Uint32Array, count: number, stream: boolean): Uint32Array<ArrayBuffer> {
  const blocks = encoderBlocks(windows, count, stream);
  const out = new Uint32Array(4 * count + blocks.length);
  out.set(windows.subarray(0, 4 * count));
  out.set(blocks, 4 * count);
  return out;
}

/** vec4s of the windows buffer for dispatches of up to `poses` poses (encoderWindows). */
export function encoderWindowsVec4s(poses: number): number {
  return 2 * poses + 1;
}

/**
 * One dense layer as the kernel's tiles compute it, over `rows` rows: y[r][o] = act(b[o] +
 * sum_tap sum_i x[r + tap D][i] W[tap][i][o]) (+ res[r + shift][o]), taps in order, then input
 * channels in order. x rows are `cin` wide, y and res rows `cout` wide.
 */
function dense(
  s: Float32Array,
  w: Float32Array,
  l: { x: number; cin: number; D: number; taps: number; W: number; b: number; cout: number; rows: number },
  store: (r: number, o: number, v: number) => void,
  relu: boolean,
): void {
  for (let r = 0; r < l.rows; r++)
    for (let o = 0; o < l.cout; o++) {
      let acc = w[l.b + o];
      for (let tap = 0; tap < l.taps; tap++) {
        const x0 = l.x + (r + tap * l.D) * l.cin,
          w0 = l.W + tap * l.cin * l.cout + o;
        for (let i = 0; i < l.cin; i++) acc = Math.fround(acc + Math.fround(s[x0 + i] * w[w0 + i * l.cout]));
      }
      store(r, o, relu ? Math.max(acc, 0) : acc);
    }
}

/**
 * The CPU reference of the kernel's sequence blocks: for each of `count` windows (lo, hi, t, base
 * per window: the frames clamp(t + o, lo, hi) of `frames` [.., 17, 3], each at base + index %
 * ring; ring 0: at the index itself), the root-centred start correction [count, 17, 3] and the
 * FiLM [count, filmOut]. A v2 encoder also reads `lifted` (the root-centred lifter xyz [.., 17,
 * 3], indexed as `frames`) and gives the start pose: the start average of the window's lifter xyz
 * plus the correction. (A stream's kernel computes the newest position of each level from its
 * ring's cache instead: the same numbers, checked against this in test/kernels/context-encoder.test.ts.)
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
  const Cp = T[ENC.channels],
    W = T[ENC.window],
    B = T[ENC.blocks],
    IN = T[ENC.rowFloats],
    filmOut = T[ENC.filmOut],
    I = ENCODER_INPUTS,
    L = T[ENC.layoutSequence];
  const v2 = T[ENC.lifted] === 1;
  if (v2 && !lifted) throw new Error('a v2 encoder reads the lifter xyz of its window frames');
  const delta = new Float32Array(count * I),
    film = new Float32Array(count * filmOut),
    start = v2 ? new Float32Array(count * I) : undefined;
  const s = new Float32Array(plan.scratchFloats);
  const blocks = encoderBlocks(windows, count, false);
  for (let k = 0; k < blocks[0]; k++) {
    const [pose0, n] = blocks.subarray(4 + 4 * k, 6 + 4 * k);
    const [lo, hi, t0, base] = windows.subarray(4 * pose0, 4 * pose0 + 4);
    const win = T[L + LAY.win];
    const frameRows = n + W - 1;
    for (let f = 0; f < frameRows; f++) {
      const index = Math.min(Math.max(t0 + f - T[ENC.before], lo), hi);
      const src = ring ? base + (index % ring) : index;
      s.set(frames.subarray(src * I, (src + 1) * I), win + f * IN);
      if (v2) s.set(lifted!.subarray(src * I, (src + 1) * I), win + f * IN + I);
      if (T[ENC.normalise]) normaliseFrames(s.subarray(win + f * IN, win + f * IN + I), 1);
    }
    let rows = n + W - 3;
    const level = (at: number) => (r: number, o: number, v: number) => (s[at + r * Cp + o] = v);
    dense(
      s,
      w,
      { x: win, cin: IN, D: 1, taps: 3, W: T[ENC.inputW], b: T[ENC.inputB], cout: Cp, rows },
      level(T[L + LAY.level0]),
      true,
    );
    for (let b = 0; b < B; b++) {
      const r0 = ENC.blocks0 + b * ENC.blockU32,
        l0 = L + LAY.blocks0 + b * LAY.blockU32;
      const x = T[l0 + LAY.x],
        y = T[l0 + LAY.y],
        h = T[l0 + LAY.h],
        shift = T[r0 + BLK.shift];
      rows -= 2 * T[r0 + BLK.dilation];
      const conv = { x, cin: Cp, D: T[r0 + BLK.dilation], taps: 3, W: T[r0 + BLK.convW], b: T[r0 + BLK.convB] };
      dense(s, w, { ...conv, cout: Cp, rows }, level(y), true);
      const point = { x: y, cin: Cp, D: 0, taps: 1, W: T[r0 + BLK.pointW], b: T[r0 + BLK.pointB], cout: Cp, rows };
      dense(s, w, point, (r, o, v) => (s[h + r * Cp + o] = s[x + (r + shift) * Cp + o] + v), true);
    }
    const feature = T[L + LAY.blocks0 + (B - 1) * LAY.blockU32 + LAY.h],
      deltaAt = T[L + LAY.delta],
      headOut = T[ENC.headOut],
      filmAt = T[ENC.headFilm];
    const heads = { x: feature, cin: Cp, D: 0, taps: 1, W: T[ENC.headW], b: T[ENC.headB], cout: headOut, rows: n };
    dense(
      s,
      w,
      heads,
      (r, o, v) => {
        if (o < I) s[deltaAt + r * I + o] = v;
        else if (o >= filmAt && o < filmAt + filmOut) film[(pose0 + r) * filmOut + o - filmAt] = v;
      },
      false,
    );
    for (let r = 0; r < n; r++) {
      const d = s.subarray(deltaAt + r * I, deltaAt + (r + 1) * I);
      for (let c = 0; c < I; c++) delta[(pose0 + r) * I + c] = d[c] - d[c % 3];
      if (!start) continue;
      // start[j] = sum over the window of average[f][j] * lifter xyz[f][j], plus the correction.
      for (let c = 0; c < I; c++) {
        let acc = 0;
        for (let f = 0; f < W; f++)
          acc += w[T[ENC.average] + f * NUM_JOINTS + Math.floor(c / 3)] * s[win + (r + f) * IN + I + c];
        start[(pose0 + r) * I + c] = acc + delta[(pose0 + r) * I + c];
      }
    }
  }
  return { delta, film, start };
}
