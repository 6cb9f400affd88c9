import { expect } from 'chai';
import { legsHidden, makeTestTracks, rootCropped, trackRanges } from '../../src/mocap/test-tracks.js';
import { Rng } from '../../src/pose/rng.js';
import { STANDING_POSE } from '../pose/standing-pose.js';

/** A split of two clips (70 and 20 frames) of the standing person walking along x. */
function split() {
  const frames = 90;
  const poses = new Float32Array(frames * 51);
  for (let f = 0; f < frames; f++)
    for (let j = 0; j < 17; j++) {
      poses[f * 51 + 3 * j] = STANDING_POSE[3 * j] + 0.02 * f;
      poses[f * 51 + 3 * j + 1] = STANDING_POSE[3 * j + 1];
      poses[f * 51 + 3 * j + 2] = STANDING_POSE[3 * j + 2];
    }
  const clip = Int32Array.from({ length: frames }, (_, f) => (f < 70 ? 0 : 1));
  return {
    poses,
    clip,
    clips: [
      { name: 'a', source: 'cmu-bvh', subject: 's', frames: 70 },
      { name: 'b', source: 'hdm05-asfamc', subject: 't', frames: 20 },
    ],
  };
}

describe('temporal test tracks', () => {
  it('cuts clips into 64-frame tracks, keeping pieces of at least 16 frames', () => {
    expect(trackRanges(split().clip)).to.deep.equal([
      [0, 64],
      [70, 90],
    ]);
  });

  it('are fixed by the seed; one camera per track; detector error correlated in time', () => {
    const a = makeTestTracks(split()),
      b = makeTestTracks(split());
    expect(a.map((t) => t.frames)).to.deep.equal([64, 20]);
    expect(Array.from(a[0].keypoints)).to.deep.equal(Array.from(b[0].keypoints));
    expect(a[1].source).to.equal('hdm05-asfamc');
    // The person walks 2 cm per frame in the world and the camera stays: the root-relative 3D is the same every frame.
    const t = a[0];
    for (let f = 1; f < t.frames; f++)
      for (let k = 0; k < 51; k++) expect(t.poses3d[f * 51 + k]).to.be.closeTo(t.poses3d[k], 1e-5);
    // Error = keypoint - the noise-free projection, estimated here by the track's mean 2D offset per joint
    // around a straight-line motion; its lag-1 autocorrelation over time is well above zero.
    let num = 0,
      den = 0;
    for (let j = 0; j < 17; j++) {
      const e = Array.from({ length: t.frames }, (_, f) => t.keypoints[(f * 17 + j) * 2 + 1]);
      const m = e.reduce((s, v) => s + v, 0) / e.length;
      for (let f = 1; f < e.length; f++) num += (e[f] - m) * (e[f - 1] - m);
      for (const v of e) den += (v - m) ** 2;
    }
    expect(num / den).to.be.above(0.2);
  });

  it('legs hidden: the image ends above the knees; knees, ankles and anything below get confidence under 0.1', () => {
    const [t] = makeTestTracks(split());
    const h = legsHidden(t, new Rng(3));
    expect(h.imageSize[0]).to.equal(t.imageSize[0]);
    expect(h.imageSize[1]).to.be.below(t.imageSize[1]);
    for (let f = 0; f < t.frames; f++) {
      for (const j of [2, 3, 5, 6]) {
        expect(h.confidence[f * 17 + j]).to.be.below(0.1);
        expect(h.keypoints[(f * 17 + j) * 2 + 1]).to.be.below(h.imageSize[1]);
      }
      // The head is in the picture, untouched.
      expect(h.confidence[f * 17 + 10]).to.equal(t.confidence[f * 17 + 10]);
    }
    expect(Array.from(h.poses3d)).to.deep.equal(Array.from(t.poses3d));
  });

  it('rootCropped: the frames whose crop also takes the pelvis or a hip', () => {
    const [t] = makeTestTracks(split(), 7, 1);
    const at = (f: number, j: number) => t.keypoints[(f * 17 + j) * 2 + 1];
    const lowestRoot = (f: number) => Math.max(at(f, 0), at(f, 1), at(f, 4));
    // A crop just below frame 0's lowest root joint keeps it whole and cuts every frame whose
    // root joints reach lower; one just above it cuts frame 0.
    const bottom = lowestRoot(0);
    const below = rootCropped(t, { ...t, imageSize: [t.imageSize[0], bottom + 1e-3] });
    const above = rootCropped(t, { ...t, imageSize: [t.imageSize[0], bottom - 1e-3] });
    expect(below).to.have.length(t.frames);
    expect(below[0]).to.equal(false);
    expect(above[0]).to.equal(true);
    for (let f = 0; f < t.frames; f++) expect(below[f], `frame ${f}`).to.equal(lowestRoot(f) >= bottom + 1e-3);
    // The full picture keeps every root joint.
    expect(rootCropped(t, t).some(Boolean)).to.equal(false);
  });
});
