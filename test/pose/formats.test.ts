import { expect } from 'chai';
import { InputError } from '../../src/errors.js';
import { COCO17, FORMATS, MEDIAPIPE33, OPENPOSE25, keypointFormat, toH36m } from '../../src/pose/formats.js';
import { randomCameraView, project, toCameraFrame } from '../../src/pose/camera.js';
import { Rng } from '../../src/pose/rng.js';
import { cocoPointsFromH36m } from '../../scripts/synthetic-face.js';
import { STANDING_POSE } from './standing-pose.js';

/** Puts the 17 COCO keypoints (x, y per keypoint) at their places in another layout; the rest stay at `fill`. */
function relayout(coco: Float32Array, to: Record<string, number>, size: number, fill = -999): Float32Array {
  const out = new Float32Array(size * 2).fill(fill);
  for (const [name, k] of Object.entries(COCO17)) {
    if (!(name in to)) continue;
    out[to[name] * 2] = coco[k * 2];
    out[to[name] * 2 + 1] = coco[k * 2 + 1];
  }
  return out;
}

/** A COCO pose with distinct coordinates per keypoint. */
function somePose(): Float32Array {
  return Float32Array.from({ length: 34 }, (_, i) => 100 + i * 7 + (i % 2) * 3);
}

describe('keypoint formats', () => {
  it('every format makes 17 joints of in-range sources whose weights sum to 1', () => {
    for (const f of Object.values(FORMATS)) {
      expect(f.sources, f.name).to.have.length(17);
      for (const [j, src] of f.sources.entries()) {
        expect(src.length, `${f.name} joint ${j}`).to.be.greaterThan(0);
        for (const [k] of src) expect(k, `${f.name} joint ${j}`).to.be.within(0, f.keypoints - 1);
        expect(
          src.reduce((s, [, w]) => s + w, 0),
          `${f.name} joint ${j}`,
        ).to.be.closeTo(1, 1e-12);
      }
    }
    expect(Object.keys(FORMATS)).to.include.members(['h36m17', 'coco17', 'mediapipe33', 'openpose25']);
    expect([FORMATS.mediapipe33.keypoints, FORMATS.openpose25.keypoints]).to.deep.equal([33, 25]);
  });

  it('h36m17 is the identity', () => {
    const kp = somePose();
    expect(Array.from(toH36m(FORMATS.h36m17, 1, kp).keypoints)).to.deep.equal(Array.from(kp));
  });

  it('coco17: pelvis, thorax, spine from hips and shoulders; skull base and head on the thorax-ears line', () => {
    const kp = somePose();
    const at = (k: number) => [kp[2 * k], kp[2 * k + 1]];
    const mean = (...ps: number[][]) => [0, 1].map((a) => ps.reduce((s, p) => s + p[a], 0) / ps.length);
    const T = mean(at(COCO17.lSho), at(COCO17.rSho));
    const E = mean(at(COCO17.lEar), at(COCO17.rEar));
    const out = toH36m(FORMATS.coco17, 1, kp).keypoints;
    const joint = (j: number) => [out[2 * j], out[2 * j + 1]];
    const close = (a: number[], b: number[], what: string) =>
      a.forEach((v, i) => expect(v, what).to.be.closeTo(b[i], 1e-3));
    close(joint(0), mean(at(COCO17.lHip), at(COCO17.rHip)), 'pelvis');
    close(joint(8), T, 'thorax');
    close(joint(7), mean(joint(0), T), 'spine');
    close(
      joint(9),
      [0, 1].map((a) => 0.85 * E[a] + 0.15 * T[a]),
      'skull base',
    );
    close(
      joint(10),
      [0, 1].map((a) => 1.45 * E[a] - 0.45 * T[a]),
      'head',
    );
    close(joint(1), at(COCO17.rHip), 'right hip');
    close(joint(13), at(COCO17.lWri), 'left wrist');
    close(joint(16), at(COCO17.rWri), 'right wrist');
  });

  it('mediapipe33 and openpose25 give exactly the coco17 joints for the same body', () => {
    const coco = somePose();
    const ref = Array.from(toH36m(FORMATS.coco17, 1, coco).keypoints);
    const mp = relayout(coco, MEDIAPIPE33, 33);
    const op = relayout(coco, OPENPOSE25, 25);
    expect(Array.from(toH36m(FORMATS.mediapipe33, 1, mp).keypoints)).to.deep.equal(ref);
    expect(Array.from(toH36m(FORMATS.openpose25, 1, op).keypoints)).to.deep.equal(ref);
  });

  it("halpe26 and wholebody133 read COCO's 17 body keypoints at COCO's places and nothing else", () => {
    const coco = somePose();
    const ref = Array.from(toH36m(FORMATS.coco17, 1, coco).keypoints);
    for (const f of [FORMATS.halpe26, FORMATS.wholebody133]) {
      // The other keypoints (head top, feet, face, hands) hold junk that must not move a joint.
      const kp = relayout(coco, COCO17, f.keypoints, 5000);
      expect(Array.from(toH36m(f, 1, kp).keypoints), f.name).to.deep.equal(ref);
    }
    expect([FORMATS.halpe26.keypoints, FORMATS.wholebody133.keypoints]).to.deep.equal([26, 133]);
  });

  it('a derived joint is as confident as its least confident source, extrapolating ones too', () => {
    const conf = new Float32Array(17).fill(0.9);
    conf[COCO17.rEar] = 0.3;
    conf[COCO17.lSho] = 0.5;
    const c = toH36m(FORMATS.coco17, 1, somePose(), conf).confidence!;
    expect(c[9]).to.be.closeTo(0.3, 1e-7); // ears and shoulders
    expect(c[10]).to.be.closeTo(0.3, 1e-7);
    expect(c[8]).to.be.closeTo(0.5, 1e-7); // shoulders
    expect(c[0]).to.be.closeTo(0.9, 1e-7); // hips
  });

  it('maps several poses independently', () => {
    const two = new Float32Array(68);
    two.set(somePose(), 0);
    two.set(
      somePose().map((v) => v + 50),
      34,
    );
    const out = toH36m(FORMATS.coco17, 2, two).keypoints;
    for (let i = 0; i < 34; i++) expect(out[34 + i]).to.be.closeTo(out[i] + 50, 1e-3);
  });

  it("recovers the training skeleton's skull base and head from a face drawn by the documented rule", () => {
    // Project the standing adult and its synthetic face through many random cameras: the
    // ears-and-shoulders rule must land on H36M joints 9 and 10 as the training data defines them.
    // The standing adult's head made like the training skeletons' (median thorax to skull base
    // 13.8 cm, skull base to head 8.6 cm: src/mocap/h36m-mapping.ts, measured on the prepared data).
    const pose = [...STANDING_POSE];
    pose[9 * 3 + 1] = pose[8 * 3 + 1] + 0.138;
    pose[10 * 3 + 1] = pose[9 * 3 + 1] + 0.086;
    pose[9 * 3 + 2] = pose[10 * 3 + 2] = pose[8 * 3 + 2];
    const rng = new Rng(7);
    const errors: number[][] = [[], []];
    for (let i = 0; i < 60; i++) {
      const view = randomCameraView(rng, pose);
      const coco3d = cocoPointsFromH36m(pose).map(
        (v, k) => v + (k % 3 === 0 ? view.centring[0] : k % 3 === 2 ? view.centring[1] : 0),
      );
      const coco2d = Float32Array.from(project(view.camera, toCameraFrame(view.camera, coco3d)));
      const mapped = toH36m(FORMATS.coco17, 1, coco2d).keypoints;
      const p = view.projected;
      const height = Math.max(...[3, 6, 10].map((j) => Math.abs(p[2 * j + 1] - p[1])));
      [9, 10].forEach((j, e) =>
        errors[e].push(Math.hypot(mapped[2 * j] - p[2 * j], mapped[2 * j + 1] - p[2 * j + 1]) / height),
      );
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    expect(median(errors[0]), 'skull base, fraction of the body height').to.be.below(0.01);
    expect(median(errors[1]), 'head, fraction of the body height').to.be.below(0.02);
    expect(Math.max(...errors[1])).to.be.below(0.05);
  });

  it('an unknown format is an InputError naming the known ones', () => {
    expect(() => keypointFormat('body_25')).to.throw(
      InputError,
      /unknown keypoint format "body_25".*coco17.*mediapipe33.*openpose25/,
    );
    expect(() => keypointFormat('toString')).to.throw(InputError);
  });
});
