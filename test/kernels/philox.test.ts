import { expect } from 'chai';
import type { GpuContext } from '../../src/gpu/context.js';
import { PHILOX_TEST } from './philox-test-kernel.js';
import { normals4, philox4x32, seedKey, unitOpen0 } from '../../src/model/philox.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';
import { runKernel } from './harness.js';
import { bitsOf, firstDifference, randomU32 } from './rng-cases.js';

type Key = readonly [number, number];

/** Random123's known-answer vectors for Philox4x32-10 (kat_vectors). */
const KNOWN_ANSWERS: Array<{
  counter: [number, number, number, number];
  key: [number, number];
  out: [number, number, number, number];
}> = [
  { counter: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

async function gpuPhilox(gpu: GpuContext, counters: Uint32Array, key: Key) {
  const n = counters.length / 4;
  const out = await runKernel(gpu, {
    desc: PHILOX_TEST,
    params: {},
    inputs: { counters },
    outputs: { bits: 4 * n, units: 4 * n, normals: 4 * n },
    calls: [{ batch: n, poses: n, hypotheses: 1, poseOffset: 0, key: [key[0], key[1]] }],
  });
  return { bits: bitsOf(out.bits), units: out.units, normals: out.normals };
}

function counterSet(): Uint32Array {
  const edges = [0, 1, 2, 16, 17, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const list: number[] = [];
  for (const a of edges) for (const b of [0, 0xffffffff, 3]) list.push(a, b, a ^ b, 5);
  // The engine's counters: (pose, hypothesis, joint, stream).
  for (const pose of [0, 3, 4999])
    for (const h of [0, 7]) for (const j of [0, 16]) for (const s of [0, 1, 2, 3, 4, 9]) list.push(pose, h, j, s);
  return Uint32Array.from([...list, ...randomU32(4 * 2000, 77)]);
}

describe('Philox4x32-10: shaders/lib/philox.wgsl vs src/model/philox.ts', function () {
  let gpu: GpuContext;
  before(async function () {
    gpu = await testGpu(this);
  });

  it('the CPU reference reproduces the Random123 known-answer vectors', () => {
    for (const v of KNOWN_ANSWERS) expect(philox4x32(v.counter, v.key)).to.deep.equal(v.out);
  });

  it('the GPU reproduces the Random123 known-answer vectors', async () => {
    for (const v of KNOWN_ANSWERS) {
      const { bits } = await gpuPhilox(gpu, Uint32Array.from(v.counter), v.key);
      expect([...bits]).to.deep.equal(v.out);
    }
  });

  for (const key of [[0, 0], seedKey(12345), seedKey(2 ** 40 + 7), [0xffffffff, 0xffffffff]] as Key[]) {
    it(`matches bit for bit (blocks and unitOpen0), and normals4 to rounding, under key ${key}`, async () => {
      const counters = counterSet();
      const n = counters.length / 4;
      const got = await gpuPhilox(gpu, counters, key);
      const wantBits = new Uint32Array(4 * n);
      const wantUnits = new Float32Array(4 * n);
      const wantNormals = new Float32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const b = philox4x32([counters[4 * i], counters[4 * i + 1], counters[4 * i + 2], counters[4 * i + 3]], key);
        wantBits.set(b, 4 * i);
        wantUnits.set(b.map(unitOpen0), 4 * i);
        wantNormals.set(normals4(b), 4 * i);
      }
      const bad = firstDifference(got.bits, wantBits);
      expect(bad, bad < 0 ? '' : `block word ${bad}: got ${got.bits[bad]} want ${wantBits[bad]}`).to.equal(-1);
      const badUnit = firstDifference(bitsOf(got.units), bitsOf(wantUnits));
      expect(
        badUnit,
        badUnit < 0 ? '' : `unit ${badUnit}: got ${got.units[badUnit]} want ${wantUnits[badUnit]}`,
      ).to.equal(-1);
      // The GPU's own log and cos/sin (lib/math.wgsl) are within a few ulp on every driver; the
      // reference rounds 2 pi u2 to f32 first (up to 2.4e-7 rad), hence about 1.4e-6 at |z| = 5.8.
      expectClose(got.normals, wantNormals, 2e-6, 2e-6, 'normals4');
      expect(got.units.every((u) => u > 0 && u <= 1)).to.equal(true);
    });
  }
});
