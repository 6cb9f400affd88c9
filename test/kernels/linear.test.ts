import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { LINEAR_NARROW, LINEAR_VEC4, linearKernel, type LinearParams } from '../../src/kernels/linear.js';
import { linearRef, type Activation } from '../../src/model/linear.js';
import type { RunValues } from '../../src/kernels/run.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { batchRun, runKernel } from './harness.js';

const J = 17;

interface Case {
  batch: number;
  cin: number;
  cout: number;
  act?: Activation;
  addVec?: boolean;
  residual?: boolean;
  /** A fixed row count instead of 17 per batch item. */
  fixedRows?: number;
}

function rowsOf(c: Case): number {
  return c.fixedRows ?? c.batch * J;
}

function inputs(c: Case, seed: number) {
  const rows = rowsOf(c);
  return {
    x: randomFloats(rows * c.cin, seed),
    weight: randomFloats(c.cin * c.cout, seed + 1, -0.5, 0.5),
    bias: randomFloats(c.cout, seed + 2),
    add_vec: randomFloats(c.cout, seed + 3),
    residual: randomFloats(rows * c.cout, seed + 4),
  };
}

function paramsOf(c: Case): LinearParams {
  return {
    cin: c.cin,
    cout: c.cout,
    rows: c.fixedRows ?? 'batch',
    act: c.act ?? 'none',
    addVec: c.addVec ?? false,
    residual: c.residual ?? false,
  };
}

async function check(
  gpu: GpuContext,
  c: Case,
  options: { calls?: RunValues[]; maxWorkgroupsPerDimension?: number; workgroupSize?: number } = {},
) {
  const data = inputs(c, c.cin * 1000 + c.cout + c.batch);
  const p = paramsOf(c);
  const rows = rowsOf(c);
  const used: Record<string, Float32Array> = { x: data.x, weight: data.weight, bias: data.bias };
  if (p.addVec) used.add_vec = data.add_vec;
  if (p.residual) used.residual = data.residual;
  const out = await runKernel(gpu, {
    desc: linearKernel(c.cout),
    params: p,
    inputs: used,
    outputs: { y: rows * c.cout },
    calls: options.calls ?? [batchRun(c.batch)],
    ...options,
  });
  const want = linearRef(data.x, {
    rows,
    cin: c.cin,
    cout: c.cout,
    wt: data.weight,
    bias: data.bias,
    act: p.act,
    addVec: p.addVec ? data.add_vec : undefined,
    residual: p.residual ? data.residual : undefined,
  });
  expectClose(out.y, want, 1e-4, 1e-3, `linear ${JSON.stringify(c)}`);
}

describe('linear kernels vs linearRef', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  it('picks the vec4 kernel when cout is a multiple of 4, else the narrow one', () => {
    expect(linearKernel(96)).to.equal(LINEAR_VEC4);
    expect(linearKernel(4)).to.equal(LINEAR_VEC4);
    expect(linearKernel(5)).to.equal(LINEAR_NARROW);
    expect(linearKernel(3)).to.equal(LINEAR_NARROW);
    expect(() => LINEAR_VEC4.paramValues(paramsOf({ batch: 1, cin: 4, cout: 6 }))).to.throw(/multiple of 4/);
  });

  for (const batch of [1, 7, 300]) {
    it(`matches on odd sizes at batch ${batch}`, async () => {
      const shapes: Array<[number, number]> =
        batch === 300
          ? [
              [13, 96],
              [96, 5],
              [5, 8],
            ]
          : [
              [5, 96],
              [13, 4],
              [96, 384],
              [288, 96],
              [13, 3],
              [96, 5],
              [5, 7],
              [1, 1],
              [288, 5],
            ];
      for (const [cin, cout] of shapes) await check(gpu, { batch, cin, cout, act: 'relu', residual: cin % 2 === 1 });
    });
  }

  for (const cout of [8, 5]) {
    it(`applies every epilogue (activation x addVec x residual) with cout ${cout}`, async () => {
      for (const act of ['none', 'relu', 'swish'] as const) {
        for (const addVec of [false, true]) {
          for (const residual of [false, true]) await check(gpu, { batch: 7, cin: 13, cout, act, addVec, residual });
        }
      }
    });
  }

  it('runs batch-independent rows (the step-embedding MLP: 1 row) whatever the run batch', async () => {
    await check(gpu, { batch: 7, cin: 96, cout: 384, act: 'swish', fixedRows: 1 });
    await check(gpu, { batch: 0, cin: 384, cout: 96, fixedRows: 1 });
    await check(gpu, { batch: 300, cin: 13, cout: 3, act: 'swish', fixedRows: 3 });
  });

  it('spreads big dispatches over a 2D grid', async () => {
    await check(gpu, { batch: 300, cin: 13, cout: 96, act: 'swish' }, { maxWorkgroupsPerDimension: 100 });
    await check(
      gpu,
      { batch: 300, cin: 7, cout: 5, addVec: true },
      { maxWorkgroupsPerDimension: 5, workgroupSize: 256 },
    );
  });

  it('serves calls of different batch sizes from one bind group (the run slot sets the batch)', async () => {
    const c: Case = { batch: 7, cin: 13, cout: 8, act: 'relu', residual: true };
    const data = inputs(c, 42);
    const sentinel = 777;
    const p = paramsOf(c);
    const small = { ...batchRun(3) };
    // A call for 3 items on buffers planned for 7 leaves the other rows alone...
    const out3 = await runKernel(gpu, {
      desc: LINEAR_VEC4,
      params: p,
      inputs: { x: data.x, weight: data.weight, bias: data.bias, residual: data.residual },
      outputs: { y: new Float32Array(7 * J * 8).fill(sentinel) },
      calls: [small],
    });
    const want = linearRef(data.x, {
      rows: 7 * J,
      cin: 13,
      cout: 8,
      wt: data.weight,
      bias: data.bias,
      act: 'relu',
      residual: data.residual,
    });
    expectClose(out3.y.subarray(0, 3 * J * 8), want.subarray(0, 3 * J * 8));
    expect(out3.y.subarray(3 * J * 8).every((v) => v === sentinel)).to.equal(true);
    // ...and a later call for 7 with the same bind group computes them all.
    await check(gpu, c, { calls: [small, batchRun(7)] });
  });
});
