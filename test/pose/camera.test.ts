import { expect } from 'chai';
import type { Camera } from '../../src/pose/camera.js';
import {
  IMAGE_SIZES,
  drawCamera,
  lookAtRotation,
  project,
  randomCameraView,
  rootRelative,
  toCameraFrame,
} from '../../src/pose/camera.js';
import { Rng } from '../../src/pose/rng.js';
import { STANDING_POSE } from './standing-pose.js';

const dist = (p: ArrayLike<number>, i: number, j: number): number =>
  Math.hypot(p[i * 3] - p[j * 3], p[i * 3 + 1] - p[j * 3 + 1], p[i * 3 + 2] - p[j * 3 + 2]);

describe('virtual camera (docs/camera-model.md)', () => {
  describe('look-at and projection', () => {
    // A camera 5 m in front of (0, 1, 0) on +z, looking back along -z: OpenCV's x (right)
    // is world +x, y (down) is world -y, z (forward) is world -z.
    const camera: Camera = {
      rotation: lookAtRotation([0, 1, 5], [0, 1, 0], 0),
      position: [0, 1, 5],
      fx: 500,
      fy: 500,
      cx: 320,
      cy: 240,
      width: 640,
      height: 480,
    };

    it('builds a proper rotation with OpenCV axes', () => {
      const R = Array.from(camera.rotation).map((v) => Math.round(v * 1e12) / 1e12 + 0);
      expect(R).to.deep.equal([1, 0, 0, 0, -1, 0, 0, 0, -1]);
    });

    it('projects the target to the principal point, up to smaller v and right to larger u', () => {
      const pts = toCameraFrame(camera, [0, 1, 0, 0, 2, 0, 1, 1, 0]);
      const uv = Array.from(project(camera, pts));
      // u = fx x / z + cx, v = fy y / z + cy with z = 5: (320, 240), (320, 140), (420, 240).
      [320, 240, 320, 140, 420, 240].forEach((want, i) => expect(uv[i]).to.be.closeTo(want, 1e-9));
    });

    it('rolls about the optical axis only', () => {
      const roll = 0.3;
      const R = lookAtRotation([2, 1.5, 4], [0, 1, 0], roll);
      const R0 = lookAtRotation([2, 1.5, 4], [0, 1, 0], 0);
      expect(Array.from(R.slice(6))).to.deep.equal(Array.from(R0.slice(6)));
      const angle = Math.acos(R[0] * R0[0] + R[1] * R0[1] + R[2] * R0[2]);
      expect(angle).to.be.closeTo(roll, 1e-12);
    });
  });

  describe('random views of a standing person', () => {
    const views = Array.from({ length: 400 }, (_, seed) => randomCameraView(new Rng(seed), STANDING_POSE));

    it('keeps every joint in front (z >= 0.5 m) and inside the image with a 2% margin', () => {
      for (const v of views) {
        expect(v.tries).to.be.at.most(50);
        const m = 0.02 * v.camera.width;
        for (let j = 0; j < 17; j++) {
          expect(v.pointsCamera[j * 3 + 2]).to.be.at.least(0.5);
          expect(v.projected[j * 2]).to.be.within(m, v.camera.width - m);
          expect(v.projected[j * 2 + 1]).to.be.within(m, v.camera.height - m);
        }
      }
    });

    it('moves the body rigidly into the camera frame and projects it with the camera', () => {
      for (const v of views.slice(0, 20)) {
        for (const [i, j] of [
          [0, 10],
          [3, 16],
          [13, 6],
          [1, 4],
        ]) {
          expect(dist(v.pointsCamera, i, j)).to.be.closeTo(dist(STANDING_POSE, i, j), 1e-9);
        }
        const [x, y, z] = v.pointsCamera.slice(30, 33);
        expect(v.projected[20]).to.be.closeTo((v.camera.fx * x) / z + v.camera.cx, 1e-9);
        expect(v.projected[21]).to.be.closeTo((v.camera.fy * y) / z + v.camera.cy, 1e-9);
      }
    });

    it('places the camera 2.5-7 m from the pelvis horizontally, 0.4-2.4 m high, looking at it', () => {
      let sumU = 0;
      for (const v of views) {
        expect(v.centring).to.deep.equal([-STANDING_POSE[0], -STANDING_POSE[2]]);
        expect(Math.hypot(v.camera.position[0], v.camera.position[2])).to.be.within(2.5, 7);
        expect(v.camera.position[1]).to.be.within(0.4, 2.4);
        // The pelvis is the look-at point up to N(0, 0.15 m) in height and a small roll.
        sumU += (v.projected[0] - v.camera.cx) / v.camera.width;
        expect(Math.abs(v.projected[0] - v.camera.cx) / v.camera.width).to.be.lessThan(0.1);
      }
      expect(sumU / views.length).to.be.closeTo(0, 0.01);
    });

    it('uses the listed image sizes and a 40-80 degree horizontal field of view', () => {
      const sizes = IMAGE_SIZES.map(([w, h]) => `${w}x${h}`);
      for (const v of views) {
        expect(sizes).to.include(`${v.camera.width}x${v.camera.height}`);
        const fov = (2 * Math.atan(v.camera.width / 2 / v.camera.fx) * 180) / Math.PI;
        expect(fov).to.be.within(40, 80);
        expect(v.camera.fy).to.equal(v.camera.fx);
      }
    });

    it('gives a root-relative 3D target', () => {
      const t = rootRelative(views[0].pointsCamera);
      expect(Array.from(t.slice(0, 3))).to.deep.equal([0, 0, 0]);
      expect(t[30]).to.be.closeTo(views[0].pointsCamera[30] - views[0].pointsCamera[0], 1e-12);
    });

    it('is reproducible from the seed', () => {
      const again = randomCameraView(new Rng(7), STANDING_POSE);
      expect(Array.from(again.projected)).to.deep.equal(Array.from(views[7].projected));
      expect(Array.from(again.projected)).to.not.deep.equal(Array.from(views[8].projected));
    });
  });

  it('draws the camera parameters with the specified distributions', () => {
    const rng = new Rng(11);
    const n = 40000;
    const draws = Array.from({ length: n }, () => drawCamera(rng, 1));
    const mean = (f: (d: (typeof draws)[number]) => number): number => draws.reduce((s, d) => s + f(d), 0) / n;
    const std = (f: (d: (typeof draws)[number]) => number): number => {
      const m = mean(f);
      return Math.sqrt(mean((d) => (f(d) - m) ** 2));
    };
    expect(mean((d) => Math.cos(d.yaw))).to.be.closeTo(0, 0.02);
    expect(mean((d) => Math.sin(d.yaw))).to.be.closeTo(0, 0.02);
    expect(mean((d) => d.distance)).to.be.closeTo(4.75, 0.03);
    expect(mean((d) => d.height)).to.be.closeTo(1.4, 0.02);
    expect(mean((d) => d.lookAtHeight)).to.be.closeTo(1, 0.005);
    expect(std((d) => d.lookAtHeight)).to.be.closeTo(0.15, 0.005);
    expect((std((d) => d.roll) * 180) / Math.PI).to.be.closeTo(2, 0.05);
    expect((mean((d) => d.fovRad) * 180) / Math.PI).to.be.closeTo(60, 0.3);
    expect(std((d) => (d.cx - d.width / 2) / d.width)).to.be.closeTo(0.01, 0.0005);
    expect(std((d) => (d.cy - d.imageHeight / 2) / d.width)).to.be.closeTo(0.01, 0.0005);
    for (const [w, h] of IMAGE_SIZES) {
      expect(draws.filter((d) => d.width === w && d.imageHeight === h).length / n, `${w}x${h}`).to.be.closeTo(
        0.2,
        0.01,
      );
    }
  });

  it('after 50 rejected draws takes the last one with the distance doubled', () => {
    // A 40 m giant never fits in any image from 2.5-7 m.
    const giant = STANDING_POSE.map((v, i) => (i % 3 === 1 ? v * 25 : v));
    const view = randomCameraView(new Rng(3), giant);
    expect(view.tries).to.equal(51);
    expect(Math.hypot(view.camera.position[0], view.camera.position[2])).to.be.within(5, 14);
  });
});
