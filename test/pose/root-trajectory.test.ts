import { expect } from 'chai';
import { fitRoot, uvCamera } from '../../src/pose/root-trajectory.js';
import { STANDING_POSE } from './standing-pose.js';

/** The standing person root-relative in camera axes (y down), facing the camera. */
const standingPose = () => Float64Array.from(STANDING_POSE, (v, i) => (i % 3 === 1 ? -(v - STANDING_POSE[1]) : v - STANDING_POSE[i % 3]));

/** Projects a camera-frame pose (root-relative) placed at `root` to uv with the camera. */
function project(pose: ArrayLike<number>, root: number[], cam: ReturnType<typeof uvCamera>): Float64Array {
  const uv = new Float64Array(34);
  for (let j = 0; j < 17; j++) {
    const X = pose[3 * j] + root[0], Y = pose[3 * j + 1] + root[1], Z = pose[3 * j + 2] + root[2];
    uv[2 * j] = cam.focal * X / Z + cam.center[0];
    uv[2 * j + 1] = cam.focal * Y / Z + cam.center[1];
  }
  return uv;
}

describe('root trajectory from the reprojection', () => {
  const pose = standingPose();
  const cam = uvCamera([1280, 720], { focal: 1100, center: [600, 380] });
  const ones = new Float64Array(17).fill(1);

  it('recovers the root of an exactly projected pose, near and far, off-centre', () => {
    for (const root of [[0.3, -0.2, 2.5], [-1.5, 0.4, 8], [0, 0, 1.2]]) {
      const t = fitRoot(pose, project(pose, root, cam), ones, cam);
      t.forEach((v, i) => expect(v).to.be.closeTo(root[i], 1e-6));
    }
  });

  it('with 2D noise the error stays small, and a joint with zero weight is ignored', () => {
    const root = [0.2, 0.1, 4];
    const uv = project(pose, root, cam);
    let s = 7;
    const noisy = uv.map((v) => { s = (s * 16807) % 2147483647; return v + (s / 2147483647 - 0.5) * 0.004; });
    const t = fitRoot(pose, noisy, ones, cam);
    expect(Math.hypot(t[0] - root[0], t[1] - root[1], t[2] - root[2])).to.be.below(0.15);
    // A wild ankle, given weight 0, changes nothing.
    const wild = Float64Array.from(uv);
    wild[6] += 0.5;
    const w = Float64Array.from(ones);
    w[3] = 0;
    fitRoot(pose, wild, w, cam).forEach((v, i) => expect(v).to.be.closeTo(root[i], 1e-6));
  });

  it('keypoints that determine no root give NaN, not a number that looks like one', () => {
    expect(fitRoot(pose, project(pose, [0, 0, 3], cam), new Float64Array(17), cam).every(Number.isNaN)).to.equal(true);
  });
});
