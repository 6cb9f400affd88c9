import { expect } from 'chai';
import { readAmcFile } from '../../src/mocap/amc.js';
import { readAsfFile } from '../../src/mocap/asf.js';
import { readBvhFile } from '../../src/mocap/bvh.js';
import { asfAmcToH36m, bvhNaming, bvhToH36m } from '../../src/mocap/h36m-mapping.js';
import { fixture, point } from './fixtures.js';

const ASF_UNIT_M = 0.0254 / 0.45;

/** Rotation by +90 degrees about +y: (x, y, z) -> (z, y, -x). */
const turnY90 = ([x, y, z]: number[]): number[] => [z, y, -x];
const add = (a: number[], b: number[]): number[] => a.map((v, i) => v + b[i]);
const scale = (a: number[], s: number): number[] => a.map((v) => v * s);

function expectPose(poses: Float32Array, frame: number, want: number[][], tolerance: number): void {
  want.forEach((w, j) => {
    const got = point(poses, frame * 17 + j);
    got.forEach((v, a) => expect(v, `joint ${j} axis ${a}`).to.be.closeTo(w[a], tolerance));
  });
}

describe('mapping mocap skeletons to the 17 Human3.6M joints', () => {
  describe('ASF (test/fixtures/mocap/mini-cmu.asf: axis-aligned CMU bones, root at y = 17 units)', () => {
    // Worked out from the fixture's bones, in ASF units relative to the root:
    // hip joints (+-1.5, -2, 0); knees 7.5 lower; ankles 7.5 lower; back bones 2 each up;
    // neck bones 1.5 each; clavicles 3, humerus 5, radius 4 sideways.
    const rel = [
      [0, -2, 0], // pelvis: midpoint of the hip joints, not the root
      [-1.5, -2, 0],
      [-1.5, -9.5, 0],
      [-1.5, -17, 0],
      [1.5, -2, 0],
      [1.5, -9.5, 0],
      [1.5, -17, 0],
      [0, 3, 0], // spine: middle of upperback (2..4)
      [0, 6, 0], // thorax: midpoint of the shoulders (thorax end + level clavicles)
      [0, 9, 0], // neck/nose: head bone start (6 + 1.5 + 1.5)
      [0, 10.5, 0], // head: head bone end
      [3, 6, 0],
      [8, 6, 0],
      [12, 6, 0],
      [-3, 6, 0],
      [-8, 6, 0],
      [-12, 6, 0],
    ];
    const skeleton = readAsfFile(fixture('mini-cmu.asf'));
    const clip = asfAmcToH36m(skeleton, readAmcFile(fixture('mini-cmu.amc'), skeleton));

    it('puts every joint where the bones say, in metres (rest pose)', () => {
      expectPose(
        clip.poses,
        0,
        rel.map((r) => scale(add(r, [0, 17, 0]), ASF_UNIT_M)),
        1e-6,
      );
    });

    it('turns the whole body with the root (root ry 90)', () => {
      expectPose(
        clip.poses,
        1,
        rel.map((r) => scale(add(turnY90(r), [0, 17, 0]), ASF_UNIT_M)),
        1e-6,
      );
    });

    it('reads the CMU length unit: thigh of 7.5 units = 0.423 m', () => {
      const p = clip.poses;
      expect(Math.hypot(p[4 * 3] - p[5 * 3], p[4 * 3 + 1] - p[5 * 3 + 1], p[4 * 3 + 2] - p[5 * 3 + 2])).to.be.closeTo(
        (7.5 * 0.0254) / 0.45,
        1e-6,
      );
    });
  });

  describe('daz-named BVH (test/fixtures/mocap/mini-daz.bvh: centimetres, root at y = 90)', () => {
    // In cm relative to the root, from the fixture's offsets (buttock + thigh = (+-9, 2, 0), ...).
    const rel = [
      [0, 2, 0], // pelvis: midpoint of lThigh and rThigh
      [-9, 2, 0],
      [-9, -36, 0],
      [-9, -81, 0],
      [9, 2, 0],
      [9, -36, 0],
      [9, -81, 0],
      [0, 26, 0], // spine: midpoint of abdomen (20) and chest (32)
      [0, 51, 0], // thorax: midpoint of the shoulders (chest 32 + collar 19)
      [0, 61, 0], // neck/nose: head joint (chest 32 + neck 22 + head 7)
      [0, 69, 0], // head: on the head's up axis at the eyes' height (8)
      [12, 51, 0],
      [40, 51, 0],
      [64, 51, 0],
      [-12, 51, 0],
      [-40, 51, 0],
      [-64, 51, 0],
    ];
    const bvh = readBvhFile(fixture('mini-daz.bvh'));
    const clip = bvhToH36m(bvh);

    it('recognises the daz names and reads centimetres from the thigh length', () => {
      expect(bvhNaming(bvh.skeleton)).to.equal('daz');
      expect(clip.unit).to.equal('cm');
      expect(clip.frameCount).to.equal(9);
    });

    it('puts every joint where the offsets say, in metres (reference frame, no rotation)', () => {
      expectPose(
        clip.poses,
        0,
        rel.map((r) => scale(add(r, [0, 88, 0]), 0.01)),
        1e-6,
      );
    });

    it('turns the body with the root (Yrotation 90), left hip ending at -z', () => {
      expectPose(
        clip.poses,
        1,
        rel.map((r) => scale(add(turnY90(r), [0, 90, 0]), 0.01)),
        1e-6,
      );
      expect(clip.poses[(17 + 4) * 3 + 2]).to.be.lessThan(0);
    });
  });

  it('refuses a BVH whose joint names it does not know', () => {
    expect(() => bvhToH36m(readBvhFile(fixture('chain.bvh')))).to.throw(/neither the daz names/);
  });
});
