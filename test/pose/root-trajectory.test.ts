import { expect } from 'chai';
import { reprojectionAggregate } from '../../src/pose/reprojection-aggregate.js';
import { fitRoot, uvCamera } from '../../src/pose/root-trajectory.js';
import { STANDING_POSE } from './standing-pose.js';

/** The standing person root-relative in camera axes (y down), facing the camera. */
const standingPose = () =>
  Float64Array.from(STANDING_POSE, (v, i) => (i % 3 === 1 ? -(v - STANDING_POSE[1]) : v - STANDING_POSE[i % 3]));

/** Projects a camera-frame pose (root-relative) placed at `root` to uv with the camera. */
function project(pose: ArrayLike<number>, root: number[], cam: ReturnType<typeof uvCamera>): Float64Array {
  const uv = new Float64Array(34);
  for (let j = 0; j < 17; j++) {
    const X = pose[3 * j] + root[0],
      Y = pose[3 * j + 1] + root[1],
      Z = pose[3 * j + 2] + root[2];
    uv[2 * j] = (cam.focal * X) / Z + cam.center[0];
    uv[2 * j + 1] = (cam.focal * Y) / Z + cam.center[1];
  }
  return uv;
}

describe('root trajectory from the reprojection', () => {
  const pose = standingPose();
  const cam = uvCamera([1280, 720], { focal: 1100, center: [600, 380] });
  const ones = new Float64Array(17).fill(1);

  it('recovers the root of an exactly projected pose, near and far, off-centre', () => {
    for (const root of [
      [0.3, -0.2, 2.5],
      [-1.5, 0.4, 8],
      [0, 0, 1.2],
    ]) {
      const t = fitRoot(pose, project(pose, root, cam), ones, cam);
      t.forEach((v, i) => expect(v).to.be.closeTo(root[i], 1e-6));
    }
  });

  it('with 2D noise the error stays small, and a joint with zero weight is ignored', () => {
    const root = [0.2, 0.1, 4];
    const uv = project(pose, root, cam);
    let s = 7;
    const noisy = uv.map((v) => {
      s = (s * 16807) % 2147483647;
      return v + (s / 2147483647 - 0.5) * 0.004;
    });
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

describe('joint-wise reprojection aggregation', () => {
  const pose = Float64Array.from(STANDING_POSE, (v, i) =>
    i % 3 === 1 ? -(v - STANDING_POSE[1]) : v - STANDING_POSE[i % 3],
  );
  const cam = uvCamera([640, 480]);

  it('keeps, per joint, the hypothesis whose joint reprojects onto the 2D; unweighted joints keep the mean', () => {
    const H = 4,
      root = [0.1, 0.05, 3.5];
    const uv = Float32Array.from(project(pose, root, cam));
    // Hypothesis h is right for joints j with j % H === h and 20 cm off (sideways) elsewhere.
    const samples = new Float32Array(H * 51);
    for (let h = 0; h < H; h++)
      for (let j = 0; j < 17; j++)
        for (let c = 0; c < 3; c++) {
          samples[(h * 17 + j) * 3 + c] =
            pose[3 * j + c] + (j % H === h || j === 0 ? 0 : c === 0 ? 0.2 * (h % 2 ? 1 : -1) : 0);
        }
    const mean = new Float32Array(51);
    for (let h = 0; h < H; h++) for (let k = 0; k < 51; k++) mean[k] += samples[h * 51 + k] / H;
    const weights = new Float32Array(17).fill(1);
    weights[12] = 0;
    const out = reprojectionAggregate(samples, mean, uv, weights, 1, H, cam);
    for (let j = 0; j < 17; j++) {
      const want = j === 12 ? mean.subarray(3 * j, 3 * j + 3) : pose.subarray(3 * j, 3 * j + 3);
      for (let c = 0; c < 3; c++) expect(out[3 * j + c], `joint ${j}`).to.be.closeTo(want[c], 1e-6);
    }
  });
});
