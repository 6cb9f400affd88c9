import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAmc, readAmcFile } from '../../src/mocap/amc.js';
import { parseAsf, readAsfFile } from '../../src/mocap/asf.js';
import { asfWorldPositions } from '../../src/mocap/asf-kinematics.js';
import { fixture, point } from './fixtures.js';

/**
 * test/fixtures/mocap/chain.asf: root -> a (direction +x, length 2, axis 0 0 90: local x =
 * world y) -> b (direction +z, length 1); root -> c (direction +x, length 1, axis 90 0 90 XYZ).
 * Expected bone ends, worked out by hand in ASF units. A rotation about local axis k of a bone
 * with axis matrix C is a rotation about world axis C k; with C = Rz90, local x is world y.
 */
const EXPECTED: Array<{ frame: number; what: string; root: number[]; a: number[]; b: number[]; c: number[] }> = [
  { frame: 0, what: 'rest pose', root: [0, 0, 0], a: [2, 0, 0], b: [2, 0, 1], c: [1, 0, 0] },
  { frame: 1, what: 'root translated by (1, 2, 3)', root: [1, 2, 3], a: [3, 2, 3], b: [3, 2, 4], c: [2, 2, 3] },
  {
    frame: 2,
    what: 'root ry 90 turns everything about world y',
    root: [0, 0, 0],
    a: [0, 0, -2],
    b: [1, 0, -2],
    c: [0, 0, -1],
  },
  // rx 90 (about local x = world y) acts first, then rz 90 (about world z). The other order would put a's end at (0, 2, 0).
  {
    frame: 3,
    what: 'a rx 90 then rz 90 about its axis-line frame',
    root: [0, 0, 0],
    a: [0, 0, -2],
    b: [0, 1, -2],
    c: [1, 0, 0],
  },
  { frame: 4, what: 'b rx 90 turns only b', root: [0, 0, 0], a: [2, 0, 0], b: [2, -1, 0], c: [1, 0, 0] },
  // axis 90 0 90 XYZ: C = Rz90 * Rx90 (X first), so local x = world y and rx 90 is a turn about world y.
  {
    frame: 5,
    what: 'c rx 90 about the axis given by "90 0 90 XYZ"',
    root: [0, 0, 0],
    a: [2, 0, 0],
    b: [2, 0, 1],
    c: [0, 0, -1],
  },
];

describe('ASF/AMC reader and forward kinematics', () => {
  const skeleton = readAsfFile(fixture('chain.asf'));
  const motion = readAmcFile(fixture('chain.amc'), skeleton);

  it('reads units, root order, bones, dof and hierarchy', () => {
    expect(skeleton.lengthUnit).to.equal(0.45);
    expect(skeleton.angleInDegrees).to.equal(true);
    expect(skeleton.root.order).to.deep.equal(['tx', 'ty', 'tz', 'rx', 'ry', 'rz']);
    expect(Object.fromEntries(skeleton.bones.map((b) => [b.name, b.parent]))).to.deep.equal({
      a: 'root',
      b: 'a',
      c: 'root',
    });
    const order = skeleton.bones.map((b) => b.name);
    expect(order.indexOf('a'), 'parents come before children').to.be.lessThan(order.indexOf('b'));
    const a = skeleton.bones.find((b) => b.name === 'a')!;
    expect(a.direction).to.deep.equal([1, 0, 0]);
    expect(a.length).to.equal(2);
    expect(a.axisAngles).to.deep.equal([0, 0, 90]);
    expect(a.axisOrder).to.deep.equal(['x', 'y', 'z']);
    expect(a.dof).to.deep.equal(['rx', 'ry', 'rz']);
  });

  it('reads every AMC frame', () => {
    expect(motion.frameCount).to.equal(6);
    expect(motion.channelsPerFrame).to.equal(6 + 3 + 1 + 1);
  });

  const { pointNames, positions } = asfWorldPositions(skeleton, motion);
  for (const e of EXPECTED) {
    it(`frame ${e.frame + 1}: ${e.what}`, () => {
      for (const name of ['root', 'a', 'b', 'c'] as const) {
        const p = point(positions, e.frame * pointNames.length + pointNames.indexOf(name));
        p.forEach((v, axis) => expect(v, `${name} axis ${axis}`).to.be.closeTo(e[name][axis], 1e-9));
      }
    });
  }

  const amcText = readFileSync(fixture('chain.amc'), 'latin1');
  it('rejects a frame that lacks a bone, naming it', () => {
    expect(() => parseAmc(amcText.replace(/^b 90$/m, ''), skeleton)).to.throw(/frame 4 lacks b/);
  });

  it('rejects a bone line with the wrong number of values', () => {
    expect(() => parseAmc(amcText.replace('a 90 0 90', 'a 90 0'), skeleton)).to.throw(/"a" has 2 values/);
  });

  it('reads :RADIANS motion', () => {
    const radians = parseAmc(amcText.replace(':DEGREES', ':RADIANS').replace('c 90', `c ${Math.PI / 2}`), skeleton);
    const { positions: p } = asfWorldPositions(skeleton, radians);
    expect(
      point(p, 5 * pointNames.length + pointNames.indexOf('c')).map((v) => Math.round(v * 1e9) / 1e9),
    ).to.deep.equal([0, 0, -1]);
  });

  it('rejects an ASF whose hierarchy names a bone without bonedata', () => {
    const asf = readFileSync(fixture('chain.asf'), 'latin1').replace('a b', 'a b ghost');
    expect(() => parseAsf(asf)).to.throw(/ghost/);
  });
});
