import { ACTIVATION_CODE } from './wgsl-constants.js';
import { InputError } from '../errors.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import { checkU32 } from './checks.js';
import {
  bindKernel,
  type BindingSpec,
  type BoundKernel,
  type BufferResource,
  type KernelDescriptor,
  type KernelPipeline,
  type ParamField,
} from './kernel.js';
import { LIB } from './libs.js';
import type { Activation } from '../model/linear.js';

/** y = act(x @ W + b) + addVec + residual (src/model/linear.ts). */
export interface LinearParams {
  cin: number;
  cout: number;
  /**
   * 'batch': 17 rows per batch item (activations). A number: that many rows whatever the batch
   * (the step-embedding MLP runs on one row).
   */
  rows: 'batch' | number;
  act: Activation;
  /** Whether a [cout] vector is added to every row after the activation. */
  addVec: boolean;
  /** Whether a [rows, cout] residual is added last. */
  residual: boolean;
}

const BINDINGS: readonly BindingSpec[] = [
  { binding: 0, name: 'params', kind: 'uniform' },
  { binding: 1, name: 'x', kind: 'read-only-storage' },
  { binding: 2, name: 'weight', kind: 'read-only-storage' },
  { binding: 3, name: 'bias', kind: 'read-only-storage' },
  { binding: 4, name: 'add_vec', kind: 'read-only-storage', optional: true },
  { binding: 5, name: 'residual', kind: 'read-only-storage', optional: true },
  { binding: 6, name: 'y', kind: 'storage' },
];

const PARAMS: readonly ParamField[] = [
  { name: 'cin', type: 'u32' },
  { name: 'cout', type: 'u32' },
  { name: 'item_rows', type: 'u32' },
  { name: 'fixed_rows', type: 'u32' },
  { name: 'act', type: 'u32' },
  { name: 'has_add_vec', type: 'u32' },
  { name: 'has_residual', type: 'u32' },
];

function values(kernel: string, p: LinearParams): Record<string, number> {
  if (!(p.act in ACTIVATION_CODE)) throw new InputError(`${kernel}: unknown activation "${p.act}"`);
  return {
    cin: checkU32(kernel, 'cin', p.cin, 1),
    cout: checkU32(kernel, 'cout', p.cout, 1),
    item_rows: p.rows === 'batch' ? NUM_JOINTS : 0,
    fixed_rows: p.rows === 'batch' ? 0 : checkU32(kernel, 'rows', p.rows, 1),
    act: ACTIVATION_CODE[p.act],
    has_add_vec: p.addVec ? 1 : 0,
    has_residual: p.residual ? 1 : 0,
  };
}

function rowsOf(p: LinearParams, batch: number): number {
  return p.rows === 'batch' ? batch * NUM_JOINTS : p.rows;
}

/** cout a multiple of 4: 4 rows x 4 outputs per invocation, weights read as vec4. */
export const LINEAR_VEC4: KernelDescriptor<LinearParams> = {
  name: 'linear_vec4',
  shader: 'linear.wgsl',
  libs: [LIB.dispatch, LIB.run, LIB.activation],
  entryPoint: 'linear_vec4',
  bindings: BINDINGS,
  params: PARAMS,
  paramValues(p) {
    if (p.cout % 4 !== 0)
      throw new InputError(`linear_vec4: cout must be a multiple of 4, got ${p.cout} (use linearKernel(cout))`);
    return values('linear_vec4', p);
  },
  workgroupSize: 64,
  invocations: (p, run) => Math.ceil(rowsOf(p, run.batch) / 4) * (p.cout / 4),
};

/** Any cout (the 3- and 5-channel output layers): 4 rows x 1 output per invocation. */
export const LINEAR_NARROW: KernelDescriptor<LinearParams> = {
  name: 'linear_narrow',
  shader: 'linear-narrow.wgsl',
  libs: [LIB.dispatch, LIB.run, LIB.activation],
  entryPoint: 'linear_narrow',
  bindings: BINDINGS,
  params: PARAMS,
  paramValues: (p) => values('linear_narrow', p),
  workgroupSize: 64,
  invocations: (p, run) => Math.ceil(rowsOf(p, run.batch) / 4) * p.cout,
};

/** The linear kernel for an output width: the vec4 one when it can, else the narrow one. */
export function linearKernel(cout: number): KernelDescriptor<LinearParams> {
  return cout % 4 === 0 ? LINEAR_VEC4 : LINEAR_NARROW;
}

export interface LinearBuffers {
  params: BufferResource;
  /** [rows, cin] */
  x: BufferResource;
  /** [cin, cout] */
  weight: BufferResource;
  /** [cout] */
  bias: BufferResource;
  /** [cout], when params.addVec. */
  addVec?: BufferResource;
  /** [rows, cout], when params.residual; must not be `y`. */
  residual?: BufferResource;
  /** [rows, cout] */
  y: BufferResource;
}

export function bindLinear(
  kernel: KernelPipeline<LinearParams>,
  p: LinearParams,
  b: LinearBuffers,
  label?: string,
): BoundKernel<LinearParams> {
  if (p.addVec !== (b.addVec !== undefined))
    throw new InputError(
      `linear: params.addVec is ${p.addVec} but the addVec buffer is ${b.addVec ? 'given' : 'missing'}`,
    );
  if (p.residual !== (b.residual !== undefined))
    throw new InputError(
      `linear: params.residual is ${p.residual} but the residual buffer is ${b.residual ? 'given' : 'missing'}`,
    );
  return bindKernel(
    kernel,
    p,
    {
      params: b.params,
      x: b.x,
      weight: b.weight,
      bias: b.bias,
      add_vec: b.addVec,
      residual: b.residual,
      y: b.y,
    },
    label,
  );
}
