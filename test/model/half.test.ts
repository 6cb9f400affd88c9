import { expect } from 'chai';
import { floatToHalf, HALF_MAX, halfToFloat } from '../../src/model/half.js';

describe('binary16 conversion', () => {
  it('round-trips every finite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToFloat(h);
      if (!Number.isFinite(v)) continue;
      expect(floatToHalf(v), `0x${h.toString(16)}`).to.equal(h === 0x8000 ? 0x8000 : h);
    }
  });

  it('rounds to nearest, ties to even, and saturates to infinity past the largest half', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: even mantissa (1) wins; 1 + 3*2^-11 goes up.
    expect(floatToHalf(1 + 2 ** -11)).to.equal(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).to.equal(0x3c02);
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).to.equal(0x3c01);
    expect(halfToFloat(floatToHalf(HALF_MAX))).to.equal(HALF_MAX);
    expect(floatToHalf(65519)).to.equal(0x7bff);
    expect(floatToHalf(65520)).to.equal(0x7c00);
    expect(floatToHalf(-1e9)).to.equal(0xfc00);
    // The smallest subnormal is 2^-24 = 5.96e-8: 3e-8 is just over half of it, 2e-8 under.
    expect(floatToHalf(3e-8)).to.equal(1);
    expect(floatToHalf(2e-8)).to.equal(0);
    expect(floatToHalf(0.1)).to.equal(0x2e66);
  });
});
