import { expect } from 'chai';
import { IMAGE_SIZES } from '../../src/pose/camera.js';
import { Rng } from '../../src/pose/rng.js';
import { makeExamples, makeTestExamples, strideFrames } from '../../src/mocap/test-examples.js';
import { STANDING_POSE } from '../pose/standing-pose.js';

/** A split of two clips (7 and 5 frames) of the standing person walking along +z. */
function smallSplit(): { poses: Float32Array; clip: Int32Array } {
  const frames = 12;
  const poses = new Float32Array(frames * 51);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < 51; i++) poses[f * 51 + i] = STANDING_POSE[i] + (i % 3 === 2 ? 0.04 * f : 0);
  }
  return { poses, clip: new Int32Array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]) };
}

describe('fixed-seed test examples', () => {
  const split = smallSplit();

  it('takes every 3rd frame of each clip, counted from the clip start', () => {
    expect(strideFrames(split.clip, 3)).to.deep.equal([0, 3, 6, 7, 10]);
  });

  it('builds one example per chosen frame with seed 20231, the same every time', () => {
    const a = makeTestExamples(split),
      b = makeTestExamples(split);
    expect(a.count).to.equal(5);
    expect(Array.from(a.clip)).to.deep.equal([0, 0, 0, 1, 1]);
    expect(Array.from(a.frame)).to.deep.equal([0, 3, 6, 7, 10]);
    expect(Array.from(a.keypoints)).to.deep.equal(Array.from(b.keypoints));
    const reference = makeExamples(split.poses, [0, 3, 6, 7, 10], (f) => split.clip[f], new Rng(20231));
    expect(Array.from(a.keypoints)).to.deep.equal(Array.from(reference.keypoints));
    const other = makeExamples(split.poses, [0, 3, 6, 7, 10], (f) => split.clip[f], new Rng(20232));
    expect(Array.from(other.keypoints)).to.not.deep.equal(Array.from(a.keypoints));
  });

  it("gives camera-frame root-relative 3D targets with the body's own bone lengths", () => {
    const ex = makeTestExamples(split);
    const len = (p: ArrayLike<number>, o: number, i: number, j: number): number =>
      Math.hypot(p[o + i * 3] - p[o + j * 3], p[o + i * 3 + 1] - p[o + j * 3 + 1], p[o + i * 3 + 2] - p[o + j * 3 + 2]);
    for (let n = 0; n < ex.count; n++) {
      expect(Array.from(ex.poses3d.slice(n * 51, n * 51 + 3))).to.deep.equal([0, 0, 0]);
      expect(len(ex.poses3d, n * 51, 4, 6)).to.be.closeTo(len(STANDING_POSE, 0, 4, 6), 1e-5);
      // The target is the world pose turned into the camera frame: distances are kept.
      expect(len(ex.poses3d, n * 51, 0, 10)).to.be.closeTo(len(STANDING_POSE, 0, 0, 10), 1e-5);
    }
  });

  it('gives detector keypoints near the image, confidences in range, and listed image sizes', () => {
    const ex = makeTestExamples(split);
    for (let n = 0; n < ex.count; n++) {
      const [w, h] = [ex.imageSize[n * 2], ex.imageSize[n * 2 + 1]];
      expect(IMAGE_SIZES.some(([a, b]) => a === w && b === h)).to.equal(true);
      for (let j = 0; j < 17; j++) {
        expect(ex.keypoints[(n * 17 + j) * 2]).to.be.within(-0.2 * w, 1.2 * w);
        expect(ex.keypoints[(n * 17 + j) * 2 + 1]).to.be.within(-0.2 * h, 1.2 * h);
        expect(ex.confidence[n * 17 + j]).to.be.within(0.05, 1);
      }
    }
  });
});
