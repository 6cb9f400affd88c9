import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { fusedLibs, SUBGROUP_LANE_GROUP, type FusedPrecision, type OpsForm } from '../../src/kernels/fused.js';
import { kernelSource } from '../../src/kernels/kernel.js';
import { FUSED_LAYOUT, FUSED_ROWS } from '../../src/kernels/wgsl-constants.js';
import { halfToFloat, floatToHalf } from '../../src/model/half.js';
import type { LinearParams } from '../../src/model/network-params.js';
import type { NetworkProgram, ProgramOp, Slot, StepEmbedding } from '../../src/model/network-program.js';
import { generator } from '../../src/model/random-weights.js';
import { runOpRef } from '../../src/model/reference-network.js';
import { chooseFusedShape } from '../../src/schedule/fused-executor.js';
import {
  FUSED_PARAMS_BYTES,
  fusedTensors,
  networkTable,
  slotLayout,
  slotVec4s,
  vec4s,
} from '../../src/schedule/fused-params.js';
import { WeightArena } from '../../src/schedule/weight-arena.js';
import { requireGpu, testGpu } from '../helpers/gpu.js';

/**
 * Every fused op alone, in every form (plain cooperative, plain per invocation, subgroup per
 * group, subgroup per lane) x f32 / f16 storage, against its CPU op (model/reference-network.ts
 * runOpRef) on odd shapes, through one-op programs: the op's table entry is what networkTable()
 * encodes, run by fused/network.wgsl run_op in a small test entry point that loads an item's
 * whole scratch slot, runs the table and stores the slot back. Like llm.c checks every kernel
 * version before timing it; the whole-lift tests only see the sum of the ops.
 */

const J = 17;
/** The slot width the scratch layout is made for: every op below fits it. */
const D = 48;

const ENTRY = `
@group(0) @binding(2) var<storage, read> features: array<vec4<f32>>;
// [items][slot4] f32: each item's whole scratch slot, in and out.
@group(0) @binding(4) var<storage, read_write> io: array<vec4<f32>>;
// [items][FiLM row]: each item's FiLM (the item is its own pose).
@group(0) @binding(8) var<storage, read> film: array<vec4<f32>>;
override WG_SIZE: u32 = 8u;

fn film_load(i: u32) -> vec4<f32> {
  return film[i];
}

fn io_phase(lane: u32, item: u32, load: bool) {
  for (var i = lane; i < params.slot4; i += lanes) {
    if (load) { s4_set(i, io[item * params.slot4 + i]); } else { io[item * params.slot4 + i] = s4(i); }
  }
}

@compute @workgroup_size(WG_SIZE)
fn op_test_group(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  use_cooperative_slot(wg.x, WG_SIZE);
  film_pose = wg.x;
  let ops = net_ops(LIFTER_TABLE);
  for (var phase = 0u; phase < ops + 2u; phase++) {
    if (phase == 0u) { io_phase(lid, wg.x, true); }
    else if (phase <= ops) { run_op(lid, LIFTER_TABLE, 0u, phase - 1u); }
    else { io_phase(lid, wg.x, false); }
    storageBarrier();
  }
}

@compute @workgroup_size(WG_SIZE)
fn op_test_lane(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) num_wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let slots = num_wg.x * WG_SIZE;
  let slot = wg.x * WG_SIZE + lid;
  use_invocation_slot(slot, slots);
  film_pose = slot;
  let ops = net_ops(LIFTER_TABLE);
  io_phase(0u, slot, true);
  for (var i = 0u; i < ops; i++) { run_op(0u, LIFTER_TABLE, 0u, i); }
  io_phase(0u, slot, false);
}
`;

interface Form {
  name: string;
  ops: OpsForm;
  cooperative: boolean;
  workgroupSize: number;
  subgroups: boolean;
}
const FORMS: Form[] = [
  { name: 'plain cooperative', ops: 'plain', cooperative: true, workgroupSize: 32, subgroups: false },
  { name: 'plain per invocation', ops: 'plain', cooperative: false, workgroupSize: 8, subgroups: false },
  {
    name: 'subgroup per group',
    ops: 'subgroup-group',
    cooperative: true,
    workgroupSize: SUBGROUP_LANE_GROUP,
    subgroups: true,
  },
  {
    name: 'subgroup per lane',
    ops: 'subgroup-lane',
    cooperative: false,
    workgroupSize: SUBGROUP_LANE_GROUP,
    subgroups: true,
  },
];

const random = generator;

const values = (rand: () => number, n: number, scale = 1, offset = 0) =>
  Float32Array.from({ length: n }, () => offset + scale * (2 * rand() - 1));
const linearParams = (rand: () => number, cin: number, cout: number): LinearParams => ({
  cin,
  cout,
  wt: values(rand, cin * cout, 1 / Math.sqrt(cin)),
  bias: values(rand, cout, 0.1),
});

interface Case {
  name: string;
  op: ProgramOp;
  step?: StepEmbedding;
  film?: { layers: number; width: number };
}

/** Odd shapes: channel counts of 3, 5, 6 vec4s, blocks of padded coordinates, short and long attention heads. */
function cases(): Case[] {
  const rand = random(5);
  const mats = (count: number) => values(rand, count * J * J, 0.3);
  const cheb3 = mats(3),
    lhat = mats(1);
  const c: Case[] = [
    {
      name: 'linear 12 -> 20, relu',
      op: { kind: 'linear', name: 'l', x: 'n', blocks: 1, w: linearParams(rand, 12, 20), act: 'relu', y: 'f' },
    },
    {
      name: 'linear 24 -> 44 with residual',
      op: {
        kind: 'linear',
        name: 'l',
        x: 'f',
        blocks: 1,
        w: linearParams(rand, 24, 44),
        act: 'none',
        y: 'h1',
        residual: 'h0',
      },
    },
    {
      name: 'linear 3 x 20 -> 48 (Chebyshev blocks), relu, step term',
      op: { kind: 'linear', name: 'l', x: 'm', blocks: 3, w: linearParams(rand, 60, 48), act: 'relu', y: 'n', step: 0 },
    },
    {
      name: 'linear 3 x 2 (padded) -> 12',
      op: { kind: 'linear', name: 'l', x: 'm', blocks: 3, w: linearParams(rand, 6, 12), act: 'none', y: 'h0' },
    },
    {
      name: 'linear 3 x 48 -> 5 (padded output)',
      op: { kind: 'linear', name: 'l', x: 'm', blocks: 3, w: linearParams(rand, 144, 5), act: 'none', y: 'h0' },
    },
    {
      name: 'linear 48 -> 144 (Q|K|V)',
      op: { kind: 'linear', name: 'l', x: 'n', blocks: 1, w: linearParams(rand, 48, 144), act: 'none', y: 'm' },
    },
    // Even input vec4s and output vec4s in fours: the subgroup linear (the cases above fall back to coop_linear there).
    {
      name: 'linear 32 -> 16, relu, residual, step term',
      op: {
        kind: 'linear',
        name: 'l',
        x: 'n',
        blocks: 1,
        w: linearParams(rand, 32, 16),
        act: 'relu',
        y: 'h1',
        residual: 'h0',
        step: 0,
      },
    },
    {
      name: 'linear 3 x 8 -> 48, relu',
      op: { kind: 'linear', name: 'l', x: 'm', blocks: 3, w: linearParams(rand, 24, 48), act: 'relu', y: 'f' },
    },
    {
      name: 'mix 1 matrix, 12 channels',
      op: { kind: 'mix', name: 'm', x: 'n', channels: 12, mats: lhat, count: 1, y: 'm' },
    },
    {
      name: 'mix 1 matrix, 96 channels',
      op: { kind: 'mix', name: 'm', x: 'f', channels: 96, mats: lhat, count: 1, y: 'm' },
    },
    {
      name: 'mix 3 matrices, 20 channels',
      op: { kind: 'mix', name: 'm', x: 'h0', channels: 20, mats: cheb3, count: 3, y: 'm' },
    },
    {
      name: 'mix 3 matrices, 32 channels',
      op: { kind: 'mix', name: 'm', x: 'h1', channels: 32, mats: cheb3, count: 3, y: 'm' },
    },
    {
      name: 'mix 3 matrices, 2 (padded) channels',
      op: { kind: 'mix', name: 'm', x: 'h0', channels: 2, mats: cheb3, count: 3, y: 'm' },
    },
    {
      name: 'layer norm, 20 channels',
      op: {
        kind: 'norm',
        name: 'n',
        x: 'h0',
        channels: 20,
        gain: values(rand, 20, 0.2, 1),
        shift: values(rand, 20, 0.1),
        y: 'n',
      },
    },
    {
      name: 'attention 24 channels, 2 heads of 12',
      op: { kind: 'attention', name: 'a', x: 'm', channels: 24, heads: 2, y: 'n' },
    },
    {
      name: 'attention 40 channels, 2 heads of 20',
      op: { kind: 'attention', name: 'a', x: 'm', channels: 40, heads: 2, y: 'n' },
    },
    {
      name: 'attention 48 channels, 12 heads of 4',
      op: { kind: 'attention', name: 'a', x: 'm', channels: 48, heads: 12, y: 'n' },
    },
    {
      name: 'FiLM 20 channels, block 1 of 3',
      op: { kind: 'film', name: 'f', x: 'n', channels: 20, layer: 1, y: 'f' },
      film: { layers: 3, width: 20 },
    },
    {
      name: 'FiLM 12 channels, block 0 of 2',
      op: { kind: 'film', name: 'f', x: 'h0', channels: 12, layer: 0, y: 'n' },
      film: { layers: 2, width: 12 },
    },
  ];
  // A step embedding for the cases with a step term (only its projection's width matters here).
  for (const x of c) {
    if (x.op.kind !== 'linear' || x.op.step === undefined) continue;
    x.step = {
      channels: 16,
      dense0: linearParams(rand, 16, 16),
      dense1: linearParams(rand, 16, 16),
      projections: [linearParams(rand, 16, x.op.w.cout)],
    };
  }
  return c;
}

/** Channels per row the op sees in a slot region, as [blocks] x (real channels, padded width). */
function regionShape(op: ProgramOp, slot: 'x' | 'y'): { blocks: number; channels: number } {
  if (slot === 'y') {
    if (op.kind === 'mix') return { blocks: op.count, channels: op.channels };
    if (op.kind === 'linear') return { blocks: 1, channels: op.w.cout };
    return { blocks: 1, channels: op.channels };
  }
  if (op.kind === 'linear') return { blocks: op.blocks, channels: op.w.cin / op.blocks };
  if (op.kind === 'attention') return { blocks: 1, channels: 3 * op.channels };
  return { blocks: 1, channels: op.channels };
}

/** [17, blocks * channels] real values of a region of an item's slot (f32 vec4 layout [20][blocks * 4 vec4s(channels)]). */
function gather(slotData: Float32Array, offset4: number, shape: { blocks: number; channels: number }): Float32Array {
  const padded = 4 * vec4s(shape.channels),
    row = shape.blocks * padded;
  const out = new Float32Array(J * shape.blocks * shape.channels);
  for (let j = 0; j < J; j++)
    for (let b = 0; b < shape.blocks; b++)
      for (let c = 0; c < shape.channels; c++) {
        out[(j * shape.blocks + b) * shape.channels + c] = slotData[4 * offset4 + j * row + b * padded + c];
      }
  return out;
}

const half = (v: number) => halfToFloat(floatToHalf(v));
const halfArray = (a: Float32Array) => a.map(half);

/** The op with every tensor rounded to f16, as the f16 arena holds it. */
function halfOp(op: ProgramOp): ProgramOp {
  if (op.kind === 'linear') return { ...op, w: { ...op.w, wt: halfArray(op.w.wt), bias: halfArray(op.w.bias) } };
  if (op.kind === 'mix') return { ...op, mats: halfArray(op.mats) };
  if (op.kind === 'norm') return { ...op, gain: halfArray(op.gain), shift: halfArray(op.shift) };
  return op;
}

const pipelines = new Map<string, Promise<GPUComputePipeline>>();

/** One pipeline per form and precision (the op is data: its table in the uniform). */
function pipelineFor(gpu: GpuContext, form: Form, precision: FusedPrecision): Promise<GPUComputePipeline> {
  const key = `${form.name}|${precision}`;
  let p = pipelines.get(key);
  if (!p) {
    const code = kernelSource({ shader: 'fused/network.wgsl', libs: fusedLibs(precision, form.ops) }) + ENTRY;
    const module = gpu.device.createShaderModule({ code, label: `op test ${form.ops} ${precision}` });
    const entryPoint = form.cooperative ? 'op_test_group' : 'op_test_lane';
    p = gpu.device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint, constants: { WG_SIZE: form.workgroupSize } },
    });
    pipelines.set(key, p);
  }
  return p;
}

async function runFused(
  gpu: GpuContext,
  form: Form,
  precision: FusedPrecision,
  c: Case,
  items: number,
  input: Float32Array,
  features: Float32Array,
  filmRows = new Float32Array(4),
): Promise<Float32Array> {
  const { device } = gpu;
  const program: NetworkProgram = {
    config: { hidden: D, layers: 0, heads: 1, coordsIn: 2, coordsOut: 3 },
    ops: [c.op],
    step: c.step,
    film: c.film,
    tensors:
      c.op.kind === 'linear'
        ? [c.op.w.wt, c.op.w.bias]
        : c.op.kind === 'mix'
          ? [c.op.mats]
          : c.op.kind === 'norm'
            ? [c.op.gain, c.op.shift]
            : [],
  };
  const tensors = fusedTensors(program);
  const arena = new WeightArena(device, 'op test weights');
  for (const t of tensors.values()) arena.add(t);
  arena.add(new Float32Array(4)); // never empty
  arena.upload();
  const weights = precision === 'f16' ? arena.halfCopy('op test weights f16') : arena.buffer!;
  const table = networkTable(program, tensors, arena, D);
  const bytes = new ArrayBuffer(FUSED_PARAMS_BYTES);
  const u = new Uint32Array(bytes);
  u.set([slotVec4s(D), features.length / 4, 0, 0, 0, 0, 0, J]);
  u.set(table, FUSED_LAYOUT.tableOffset / 4);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const params = device.createBuffer({
    size: FUSED_PARAMS_BYTES,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const feat = device.createBuffer({ size: Math.max(16, features.byteLength), usage });
  const film = device.createBuffer({ size: Math.max(16, filmRows.byteLength), usage });
  const io = device.createBuffer({ size: input.byteLength, usage });
  const scratch = device.createBuffer({ size: items * slotVec4s(D) * 16, usage: GPUBufferUsage.STORAGE });
  const staging = device.createBuffer({
    size: input.byteLength,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    device.queue.writeBuffer(params, 0, bytes);
    device.queue.writeBuffer(feat, 0, features as Float32Array<ArrayBuffer>);
    device.queue.writeBuffer(film, 0, filmRows as Float32Array<ArrayBuffer>);
    device.queue.writeBuffer(io, 0, input as Float32Array<ArrayBuffer>);
    device.pushErrorScope('validation');
    const pipeline = await pipelineFor(gpu, form, precision);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: params } },
        { binding: 1, resource: { buffer: weights } },
        { binding: 2, resource: { buffer: feat } },
        { binding: 3, resource: { buffer: scratch } },
        { binding: 4, resource: { buffer: io } },
        { binding: 7, resource: { buffer: weights } },
        { binding: 8, resource: { buffer: film } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(form.cooperative ? items : items / form.workgroupSize);
    pass.end();
    encoder.copyBufferToBuffer(io, 0, staging, 0, input.byteLength);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`op test: ${error.message}`);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return out;
  } finally {
    for (const b of [params, feat, film, io, scratch, staging]) b.destroy();
    if (weights !== arena.buffer) weights.destroy();
    arena.destroy();
  }
}

describe('every fused op alone, in every form x precision, against its CPU op', function () {
  this.timeout(1_800_000);
  const slot = slotLayout(D);
  const offsets: Record<Slot, number> = {
    in: slot.xin,
    out: slot.xout,
    h0: slot.h0,
    h1: slot.h1,
    n: slot.n,
    m: slot.m,
    f: slot.f,
  };
  const slot4 = slotVec4s(D);
  let worst = 0;
  after(() => {
    if (worst > 0) console.log(`      largest error / tolerance: ${worst.toFixed(3)}`);
  });

  for (const form of FORMS) {
    for (const precision of ['f32', 'f16'] as const) {
      it(`${form.name}, ${precision}`, async function () {
        const gpu = await testGpu(this);
        if (form.subgroups && !chooseFusedShape(gpu, 16).subgroups) {
          // Only adapters without 8-lane subgroups (SwiftShader) leave these out; lavapipe, CI's
          // default adapter, has them, so there a missing feature is a failure.
          if (requireGpu() && /llvmpipe|lavapipe/i.test(JSON.stringify(gpu.adapter)))
            throw new Error(
              `the subgroup forms need 8-lane subgroups, which ${JSON.stringify(gpu.adapter)} should offer`,
            );
          this.skip();
        }
        // Several items, so slot offsets and interleaving matter; whole subgroups per invocation.
        const items = form.cooperative ? 3 : 16;
        for (const c of cases()) {
          const rand = random(c.name.length * 31 + items);
          const input = values(rand, items * slot4 * 4);
          // The step term: one features row of the projection's output (what StepFeatures holds for one t).
          const features = new Float32Array(4 * vec4s(D));
          if (c.step) features.set(values(rand, c.step.projections[0].cout, 0.5));
          // FiLM: a row [layers, 2, width] per item, gains around 0 and shifts (the fused path needs width % 4 == 0: no padding).
          const filmRow = c.film ? c.film.layers * 2 * c.film.width : 0;
          const filmRows = values(rand, Math.max(4, items * filmRow), 0.5);
          const out = await runFused(gpu, form, precision, c, items, input, features, filmRows);
          const op = precision === 'f16' ? halfOp(c.op) : c.op;
          // The CPU op sees the step term through its projection: make it give exactly `features`.
          const step: StepEmbedding | undefined = c.step && {
            ...c.step,
            projections: [
              {
                cin: 1,
                cout: c.step.projections[0].cout,
                wt: new Float32Array(c.step.projections[0].cout),
                bias: features.slice(0, c.step.projections[0].cout),
              },
            ],
          };
          for (let item = 0; item < items; item++) {
            const mine = input.subarray(item * slot4 * 4, (item + 1) * slot4 * 4);
            const seen = precision === 'f16' ? halfArray(mine) : mine;
            const slots = new Map<Slot, Float32Array>([[op.x, gather(seen, offsets[op.x], regionShape(op, 'x'))]]);
            if (op.kind === 'linear' && op.residual)
              slots.set(op.residual, gather(seen, offsets[op.residual], regionShape(op, 'y')));
            const film = c.film ? filmRows.subarray(item * filmRow, (item + 1) * filmRow) : undefined;
            const expected = runOpRef(op, slots, 1, {
              step,
              features: step ? new Float32Array(1) : undefined,
              film,
              filmLayers: c.film?.layers,
            });
            const got = gather(
              out.subarray(item * slot4 * 4, (item + 1) * slot4 * 4),
              offsets[op.y],
              regionShape(op, 'y'),
            );
            for (let i = 0; i < expected.length; i++) {
              const e = precision === 'f16' ? half(expected[i]) : expected[i];
              // f32: summation order and fma; f16: the output's rounding (2^-11 relative) on top.
              const tol = precision === 'f16' ? 2e-3 * Math.abs(e) + 2e-3 : 1e-5 * Math.abs(e) + 1e-5;
              const err = Math.abs(got[i] - e);
              worst = Math.max(worst, err / tol);
              if (!(err <= tol))
                expect.fail(
                  `${c.name}, item ${item}, value ${i} (joint ${Math.floor(i / (expected.length / J))}): got ${got[i]}, expected ${e}`,
                );
            }
          }
        }
      });
    }
  }

  it('leaves the rest of the slot alone (a linear writes its output region only)', async function () {
    const gpu = await testGpu(this);
    const c = cases()[0];
    const input = values(random(3), 3 * slot4 * 4);
    const out = await runFused(gpu, FORMS[0], 'f32', c, 3, input, new Float32Array(4 * vec4s(D)));
    const y = offsets[c.op.y],
      size = FUSED_ROWS * vec4s(20);
    for (let item = 0; item < 3; item++) {
      for (let v = 0; v < slot4; v++) {
        if (v >= y && v < y + size) continue;
        const at = (item * slot4 + v) * 4;
        expect(Array.from(out.subarray(at, at + 4)), `item ${item} vec4 ${v}`).to.deep.equal(
          Array.from(input.subarray(at, at + 4)),
        );
      }
    }
  });
});
