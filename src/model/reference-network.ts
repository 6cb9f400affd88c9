import { attentionRef } from './attention.js';
import { filmRef } from './film.js';
import { graphMixRef } from './graph-mix.js';
import { layerNormRef } from './layer-norm.js';
import { linearRef, type Activation } from './linear.js';
import { stepEmbeddingRef } from './step-embedding.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import type { LinearParams, NetworkParams } from './network-params.js';
import { programOf, type NetworkProgram, type ProgramOp, type Slot, type StepEmbedding } from './network-program.js';

/**
 * The networks of model-spec §2-3 on the CPU: an interpreter of the op program
 * (model/network-program.ts) over the kernels' CPU references, one CPU op per op kind, so the GPU
 * executors, which run the same program, can be compared at any op.
 */
const J = NUM_JOINTS;

function linear(
  x: Float32Array,
  rows: number,
  p: LinearParams,
  act: Activation = 'none',
  extra: { addVec?: Float32Array; residual?: Float32Array } = {},
): Float32Array {
  return linearRef(x, { rows, cin: p.cin, cout: p.cout, wt: p.wt, bias: p.bias, act, ...extra });
}

/** swish(dense1(swish(dense0(emb(t))))): the only form in which the layers consume the step embedding. */
export function stepEmbeddingFeatures(step: StepEmbedding, t: number): Float32Array {
  const e = stepEmbeddingRef(t, step.channels);
  const h = linear(e, 1, step.dense0, 'swish');
  return linear(h, 1, step.dense1, 'swish');
}

/** swish(temb(t)) for the denoiser. */
export function stepFeatures(net: NetworkParams, t: number): Float32Array {
  return stepEmbeddingFeatures(programOf(net).step!, t);
}

/** What an evaluation is conditioned on besides its input: the step features of this t, the items' FiLM. */
export interface OpContext {
  step?: StepEmbedding;
  features?: Float32Array;
  /** [batch, layers, 2, width] per item (the temporal denoiser). */
  film?: Float32Array;
  filmLayers?: number;
}

/** One op on the CPU: reads its slots, returns what it writes. */
export function runOpRef(op: ProgramOp, slots: Map<Slot, Float32Array>, batch: number, ctx: OpContext): Float32Array {
  const x = slots.get(op.x)!;
  const { step, features } = ctx;
  switch (op.kind) {
    case 'film': {
      if (!ctx.film || ctx.filmLayers === undefined) throw new Error(`op "${op.name}" needs the items' FiLM context`);
      return filmRef(x, batch, op.channels, ctx.film, op.layer, ctx.filmLayers);
    }
    case 'mix':
      return graphMixRef(x, batch, op.channels, op.mats, op.count);
    case 'norm':
      return layerNormRef(x, batch * J, op.channels, op.gain, op.shift);
    case 'attention':
      return attentionRef(x, batch, op.channels, op.heads);
    case 'linear': {
      const addVec =
        op.step !== undefined && step && features ? linear(features, 1, step.projections[op.step]) : undefined;
      const residual = op.residual ? slots.get(op.residual) : undefined;
      return linear(x, batch * J, op.w, op.act, { addVec, residual });
    }
  }
}

/**
 * Interprets a program on x [batch, 17, coordsIn]; `t` only for a network with a step embedding,
 * `film` [batch, layers, 2, width] only for a FiLM-conditioned one.
 */
export function runProgramRef(
  program: NetworkProgram,
  x: Float32Array,
  batch: number,
  t?: number,
  film?: Float32Array,
): Float32Array {
  if (program.film && film?.length !== batch * program.film.layers * 2 * program.film.width) {
    throw new Error(
      `a FiLM-conditioned network needs ${batch} x ${program.film.layers} x 2 x ${program.film.width} FiLM values, got ${film?.length}`,
    );
  }
  const ctx: OpContext = {
    step: program.step,
    features: program.step ? stepEmbeddingFeatures(program.step, t ?? 0) : undefined,
    film,
    filmLayers: program.film?.layers,
  };
  const slots = new Map<Slot, Float32Array>([['in', x]]);
  for (const op of program.ops) slots.set(op.y, runOpRef(op, slots, batch, ctx));
  return slots.get('out')!;
}

/** Runs a network on x [batch, 17, coordsIn]; `t` only for the denoiser. Returns [batch, 17, coordsOut]. */
export function runNetworkRef(
  net: NetworkParams,
  x: Float32Array,
  batch: number,
  t?: number,
  film?: Float32Array,
): Float32Array {
  return runProgramRef(programOf(net), x, batch, t, film);
}
