import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findJoint, parseBvh, readBvhFile } from '../../src/mocap/bvh.js';
import { bvhWorldPositions } from '../../src/mocap/bvh-kinematics.js';
import { fixture, point } from './fixtures.js';

/**
 * test/fixtures/mocap/chain.bvh: hips (root) -> upper (offset 0 2 0) -> lower (offset 0 0 3)
 * -> end site (offset 1 0 0). Root channels Z X Y, upper X Y Z, lower Z Y X. Expected positions
 * are worked out by hand with Rx90: (x,y,z)->(x,-z,y), Ry90: (x,y,z)->(z,y,-x),
 * Rz90: (x,y,z)->(-y,x,z), and the BVH rule that the last listed channel acts first.
 */
const EXPECTED: Array<{
  frame: number;
  what: string;
  hips: number[];
  upper: number[];
  lower: number[];
  end: number[];
}> = [
  { frame: 0, what: 'rest pose', hips: [0, 0, 0], upper: [0, 2, 0], lower: [0, 2, 3], end: [1, 2, 3] },
  { frame: 1, what: 'root moved, Z 90', hips: [10, 20, 30], upper: [8, 20, 30], lower: [8, 20, 33], end: [8, 21, 33] },
  { frame: 2, what: 'root X 90', hips: [0, 0, 0], upper: [0, 0, 2], lower: [0, -3, 2], end: [1, -3, 2] },
  { frame: 3, what: 'root Y 90', hips: [0, 0, 0], upper: [0, 2, 0], lower: [3, 2, 0], end: [3, 2, -1] },
  // Channels "Zrotation Xrotation Yrotation" = Rz * Rx: X acts first. (Rx * Rz would put upper at (-2, 0, 0).)
  {
    frame: 4,
    what: 'root Z 90 then X 90 as listed',
    hips: [0, 0, 0],
    upper: [0, 0, 2],
    lower: [3, 0, 2],
    end: [3, 1, 2],
  },
  // upper lists X Y Z: R = Rx * Rz, Z acts first on its children's offsets.
  {
    frame: 5,
    what: 'child X 90, Z 90 (order X Y Z)',
    hips: [0, 0, 0],
    upper: [0, 2, 0],
    lower: [0, -1, 0],
    end: [0, -1, 1],
  },
  {
    frame: 6,
    what: 'last joint Y 90 moves only the end site',
    hips: [0, 0, 0],
    upper: [0, 2, 0],
    lower: [0, 2, 3],
    end: [0, 2, 2],
  },
  {
    frame: 7,
    what: 'root Y 90 composed with child X 90',
    hips: [0, 0, 0],
    upper: [0, 2, 0],
    lower: [0, -1, 0],
    end: [0, -1, -1],
  },
];

describe('BVH reader and forward kinematics', () => {
  const bvh = readBvhFile(fixture('chain.bvh'));
  const names = ['hips', 'upper', 'lower', 'lower/End Site'] as const;

  it('reads the hierarchy, channels in their declared order, and the motion header', () => {
    expect(bvh.skeleton.joints.map((j) => j.name)).to.deep.equal([...names]);
    expect(bvh.skeleton.joints.map((j) => j.parent)).to.deep.equal([-1, 0, 1, 2]);
    expect(bvh.skeleton.joints[0].channels).to.deep.equal([
      'Xposition',
      'Yposition',
      'Zposition',
      'Zrotation',
      'Xrotation',
      'Yrotation',
    ]);
    expect(bvh.skeleton.joints[2].channels).to.deep.equal(['Zrotation', 'Yrotation', 'Xrotation']);
    expect(bvh.skeleton.joints[3].isEndSite).to.equal(true);
    expect(bvh.skeleton.channelsPerFrame).to.equal(12);
    expect(bvh.frameCount).to.equal(8);
    expect(bvh.frameTime).to.be.closeTo(1 / 30, 1e-6);
  });

  const positions = bvhWorldPositions(bvh);
  for (const e of EXPECTED) {
    it(`frame ${e.frame}: ${e.what}`, () => {
      const J = bvh.skeleton.joints.length;
      const got = names.map((n) => point(positions, e.frame * J + findJoint(bvh.skeleton, n)));
      const want = [e.hips, e.upper, e.lower, e.end];
      got.forEach((p, i) => p.forEach((v, a) => expect(v, `${names[i]} axis ${a}`).to.be.closeTo(want[i][a], 1e-9)));
    });
  }

  it('reads a gzip-compressed file the same as the plain one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bvh-'));
    try {
      const gz = join(dir, 'chain.bvh.gz');
      writeFileSync(gz, gzipSync(readFileSync(fixture('chain.bvh'))));
      expect(Array.from(readBvhFile(gz).values)).to.deep.equal(Array.from(bvh.values));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reads CRLF line endings and tabs', () => {
    const text = readFileSync(fixture('chain.bvh'), 'latin1').replace(/\n/g, '\r\n').replace(/ {2}/g, '\t');
    expect(Array.from(parseBvh(text).values)).to.deep.equal(Array.from(bvh.values));
  });

  it('rejects a motion section shorter than its header says, naming the counts', () => {
    const text = readFileSync(fixture('chain.bvh'), 'latin1').replace('Frames: 8', 'Frames: 9');
    expect(() => parseBvh(text)).to.throw(/9 frames x 12 channels/);
  });

  it('rejects an unknown channel name', () => {
    const text = readFileSync(fixture('chain.bvh'), 'latin1').replace(
      'CHANNELS 3 Xrotation Yrotation Zrotation',
      'CHANNELS 3 Xrotation Yrotation Wrotation',
    );
    expect(() => parseBvh(text)).to.throw(/Wrotation/);
  });

  it('names the file in read errors', () => {
    expect(() => readBvhFile(fixture('chain.asf'))).to.throw(/chain\.asf/);
  });
});
