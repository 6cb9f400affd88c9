import { expect } from 'chai';
import { resamplePoses } from '../../src/mocap/resample.js';

/** A clip of `frames` frames of one 3-vector that moves linearly in time: p(t) = (t, 2t, -t) + (1, 0, 5). */
function linearClip(frames: number, fps: number): Float32Array {
  const out = new Float32Array(frames * 3);
  for (let f = 0; f < frames; f++) {
    const t = f / fps;
    out.set([t + 1, 2 * t, 5 - t], f * 3);
  }
  return out;
}

describe('resampling clips to 30 fps', () => {
  it('takes every 4th frame of a 120 fps clip, keeping the last when it falls on the grid', () => {
    const src = linearClip(9, 120);
    const { poses, frameCount } = resamplePoses(src, 9, 120, 30);
    expect(frameCount).to.equal(3);
    expect(Array.from(poses)).to.deep.equal([...src.slice(0, 3), ...src.slice(12, 15), ...src.slice(24, 27)]);
  });

  it('interpolates between frames when the rates do not divide (50 -> 30 fps)', () => {
    const { poses, frameCount } = resamplePoses(linearClip(11, 50), 11, 50, 30);
    // 11 frames at 50 fps last 0.2 s: 30 fps frames at 0, 1/30, ..., 6/30.
    expect(frameCount).to.equal(7);
    for (let k = 0; k < frameCount; k++) {
      const t = k / 30;
      expect(poses[k * 3]).to.be.closeTo(t + 1, 1e-6);
      expect(poses[k * 3 + 1]).to.be.closeTo(2 * t, 1e-6);
      expect(poses[k * 3 + 2]).to.be.closeTo(5 - t, 1e-6);
    }
  });

  it('never runs past the last source frame', () => {
    const { frameCount } = resamplePoses(linearClip(6, 60), 6, 60, 30); // 0..5/60 s: 0, 1/30, 2/30
    expect(frameCount).to.equal(3);
  });

  it('leaves a 30 fps clip as it is', () => {
    const src = linearClip(5, 30);
    const { poses, frameCount } = resamplePoses(src, 5, 30, 30);
    expect(frameCount).to.equal(5);
    expect(Array.from(poses)).to.deep.equal(Array.from(src));
  });
});
