import { expect } from 'chai';
import { asfMetresPerUnit, detectLengthUnit } from '../../src/mocap/units.js';

describe('length units from the thigh', () => {
  const cases: Array<[number, string]> = [
    [36.8, 'cm'], // cgspeed daz BVH
    [7.03, 'CMU ASF unit (inch / 0.45)'], // cmu-bvh/subject-16
    [0.41, 'm'],
    [420, 'mm'],
    [16.5, 'inch'],
  ];
  for (const [thigh, unit] of cases) {
    it(`reads a thigh of ${thigh} file units as ${unit}`, () => {
      expect(detectLengthUnit(thigh).name).to.equal(unit);
    });
  }

  it('refuses a thigh that is not human in any unit', () => {
    expect(() => detectLengthUnit(2.5)).to.throw(/outside/);
    expect(() => detectLengthUnit(0)).to.throw(/not positive/);
  });

  it('converts Acclaim units: 1 unit = 1/0.45 inch', () => {
    expect((asfMetresPerUnit(0.45) * 0.45) / 0.0254).to.be.closeTo(1, 1e-12);
    expect(asfMetresPerUnit(1)).to.equal(0.0254);
  });
});
