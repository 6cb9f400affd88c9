import { expect } from 'chai';
import { eulerMatrix, multiplyInto, transpose } from '../../src/mocap/rotation.js';

const times = (m: Float64Array, v: number[]): number[] =>
  [0, 1, 2].map((r) => Math.round((m[r * 3] * v[0] + m[r * 3 + 1] * v[1] + m[r * 3 + 2] * v[2]) * 1e12) / 1e12 + 0);
const q = Math.PI / 2;

describe('rotation matrices', () => {
  it('turns right-handedly about each axis', () => {
    // Right-handed quarter turns: x -> y about z, y -> z about x, z -> x about y.
    expect(times(eulerMatrix(['z'], [q]), [1, 0, 0])).to.deep.equal([0, 1, 0]);
    expect(times(eulerMatrix(['x'], [q]), [0, 1, 0])).to.deep.equal([0, 0, 1]);
    expect(times(eulerMatrix(['y'], [q]), [0, 0, 1])).to.deep.equal([1, 0, 0]);
  });

  it('multiplies left to right, so the last listed rotation acts first', () => {
    // Rz * Rx applied to y: Rx takes y to z, Rz leaves z alone.
    expect(times(eulerMatrix(['z', 'x'], [q, q]), [0, 1, 0])).to.deep.equal([0, 0, 1]);
    // Rx * Rz applied to y: Rz takes y to -x, Rx leaves x alone.
    expect(times(eulerMatrix(['x', 'z'], [q, q]), [0, 1, 0])).to.deep.equal([-1, 0, 0]);
  });

  it('multiplies matrices and inverts rotations by transposing', () => {
    const r = eulerMatrix(['z', 'y', 'x'], [0.3, -1.1, 2.0]);
    const i = multiplyInto(new Float64Array(9), r, transpose(r));
    expect(Array.from(i, (v) => Math.round(v * 1e12) / 1e12 + 0)).to.deep.equal([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});
