import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiffPose } from '../../src/diffpose.js';
import { FORMATS, toH36m, COCO17 } from '../../src/pose/formats.js';
import { fillMissingJoints, markFarKeypoints } from '../../src/pose/missing-joints.js';
import { readKeypointText } from '../../src/pose/read-keypoints.js';
import { trackPeople } from '../../src/pose/track-people.js';

const WALK = fileURLToPath(new URL('../../examples/walk-coco17.json', import.meta.url));
type CocoResult = { image_id: number; keypoints: number[]; score: number };

/** Mean over poses and joints of the 3D distance between two [N, 17, 3] pose sets, metres. */
function meanJointDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length / 3; i++)
    s += Math.hypot(a[3 * i] - b[3 * i], a[3 * i + 1] - b[3 * i + 1], a[3 * i + 2] - b[3 * i + 2]);
  return s / (a.length / 3);
}

describe('missing joints', () => {
  it('leave a fully detected pose as the format mapping makes it', () => {
    const kp = Float32Array.from({ length: 34 }, (_, i) => 100 + i * 7);
    const conf = new Float32Array(17).fill(0.9);
    const p = fillMissingJoints('coco17', 1, kp, conf, [640, 480]);
    const m = toH36m(FORMATS.coco17, 1, kp, conf);
    expect(Array.from(p.keypoints)).to.deep.equal(Array.from(m.keypoints));
    expect(Array.from(p.confidence)).to.deep.equal(Array.from(m.confidence!));
    expect(p.missing.every((v) => v === 0)).to.equal(true);
  });

  it('place a missing knee and ankle below their hip, with confidence 0; NaN, score 0 and under-threshold scores are all missing', () => {
    const [walk] = JSON.parse(readFileSync(WALK, 'utf8')) as CocoResult[];
    const kp = Float32Array.from({ length: 34 }, (_, i) => walk.keypoints[3 * (i >> 1) + (i & 1)]);
    const conf = Float32Array.from({ length: 17 }, (_, i) => walk.keypoints[3 * i + 2]);
    const truth = toH36m(FORMATS.coco17, 1, kp, conf).keypoints;
    kp[2 * COCO17.lKnee] = NaN; // NaN
    conf[COCO17.lAnk] = 0; // score 0 at its true place
    conf[COCO17.rKnee] = 0.01; // under the threshold below
    const p = fillMissingJoints('coco17', 1, kp, conf, [640, 480], 0.02);
    expect([...p.missing.entries()].filter(([, m]) => m).map(([j]) => j)).to.deep.equal([2, 5, 6]); // r-knee, l-knee, l-ankle
    for (const j of [2, 5, 6]) {
      expect(p.confidence[j]).to.equal(0);
      expect(p.keypoints[2 * j + 1], `joint ${j} below the pelvis`).to.be.greaterThan(p.keypoints[1]);
      // Near where the joint really is: within a third of the person's height (about 190 px here).
      expect(
        Math.hypot(p.keypoints[2 * j] - truth[2 * j], p.keypoints[2 * j + 1] - truth[2 * j + 1]),
        `joint ${j}`,
      ).to.be.below(60);
    }
  });

  it('markFarKeypoints: a keypoint more than 2 image sizes outside the image becomes missing; within 2 it stays, and an untouched detection is the same object', () => {
    const keypoints = Float32Array.from([10, 20, -1279, 1439, -1281, 5, 100, 1441]);
    const confidence = Float32Array.from([0.9, 0.8, 0.7, 0.6]);
    const d = { input: 0, keypoints, confidence };
    const { detection, far } = markFarKeypoints(d, [640, 480]);
    expect(far).to.equal(2);
    expect(Array.from(detection.keypoints)).to.deep.equal([10, 20, -1279, 1439, NaN, NaN, NaN, NaN]);
    expect(Array.from(detection.confidence)).to.deep.equal([0.9, 0.8, 0, 0].map(Math.fround));
    expect(Array.from(keypoints), "the caller's arrays are left alone").to.deep.equal([
      10, 20, -1279, 1439, -1281, 5, 100, 1441,
    ]);
    const near = { input: 1, keypoints: keypoints.slice(0, 4), confidence: confidence.slice(0, 2) };
    expect(markFarKeypoints(near, [640, 480])).to.deep.equal({ detection: near, far: 0 });
    expect(markFarKeypoints(near, [640, 480]).detection).to.equal(near);
  });

  it('a pose with no detected joint gets the mean skeleton in the middle of the image', () => {
    const p = fillMissingJoints('h36m17', 1, new Float32Array(34).fill(NaN), new Float32Array(17), [640, 480]);
    expect(p.keypoints.every(Number.isFinite)).to.equal(true);
    expect(p.keypoints[0]).to.be.closeTo(320, 1);
    expect(p.keypoints[1]).to.be.within(200, 300);
  });

  it('only the pelvis and hips detected, in a line: the filled joints stay near the person (no degenerate side-view fit)', () => {
    // A webcam cropped at the hips: pelvis and hips 23 px apart on one image row (this blew the
    // fill-ins up to 1e14 px when a side view, whose hips coincide, won the fit).
    const kp = new Float32Array(34).fill(NaN);
    const conf = new Float32Array(17);
    for (const [j, x, y] of [
      [0, 654, 329],
      [1, 643, 327],
      [4, 666, 330],
    ]) {
      kp[2 * j] = x;
      kp[2 * j + 1] = y;
      conf[j] = 0.9;
    }
    const p = fillMissingJoints('h36m17', 1, kp, conf, [1280, 331]);
    for (let j = 0; j < 17; j++) {
      const d = Math.hypot(p.keypoints[2 * j] - 654, p.keypoints[2 * j + 1] - 329);
      // The hips are 0.24 m apart in the mean skeleton: 23 px, so the body is about 170 px tall.
      expect(d, `joint ${j} at ${p.keypoints[2 * j]}, ${p.keypoints[2 * j + 1]}`).to.be.below(200);
    }
    expect(p.keypoints[2 * 10 + 1], 'the head above the pelvis').to.be.below(329 - 50);
  });

  it('knees and ankles at (0, 0, 0) lift within 45 mm of the same joints at confidence 0 in their true places (CPU, bundled weights)', async function () {
    this.timeout(300_000);
    const frames = (JSON.parse(readFileSync(WALK, 'utf8')) as CocoResult[]).slice(0, 16);
    const legs: number[] = [COCO17.lKnee, COCO17.rKnee, COCO17.lAnk, COCO17.rAnk];
    const zeroed = frames.map((r) => ({
      ...r,
      keypoints: r.keypoints.map((v, i) => (legs.includes(Math.floor(i / 3)) ? 0 : v)),
    }));
    const unsure = frames.map((r) => ({
      ...r,
      keypoints: r.keypoints.map((v, i) => (legs.includes(Math.floor(i / 3)) && i % 3 === 2 ? 0 : v)),
    }));
    const options = { imageSize: [640, 480] as const, hypotheses: 8, seed: 0, executor: 'cpu' as const };
    const model = await DiffPose.load({ backend: 'cpu' });
    try {
      // Reference: the library call with the true positions at confidence 0 (the API keeps finite positions as given).
      const flat = (rs: CocoResult[]) =>
        Float32Array.from(rs.flatMap((r) => Array.from({ length: 34 }, (_, i) => r.keypoints[3 * (i >> 1) + (i & 1)])));
      const conf = (rs: CocoResult[]) =>
        Float32Array.from(rs.flatMap((r) => Array.from({ length: 17 }, (_, i) => r.keypoints[3 * i + 2])));
      const reference = await model.lift(flat(unsure), { ...options, format: 'coco17', confidence: conf(unsure) });
      // The CLI's path: read the file (zeros -> missing), fill in, lift in H36M order.
      const file = readKeypointText('zeroed.json', JSON.stringify(zeroed));
      const [track] = trackPeople(file);
      const prepared = fillMissingJoints(
        file.format,
        track.frames.length,
        track.keypoints,
        track.confidence,
        [640, 480],
      );
      expect(prepared.missing.reduce((s, m) => s + m, 0)).to.equal(16 * 4);
      const filled = await model.lift(prepared.keypoints, {
        ...options,
        format: 'h36m17',
        confidence: prepared.confidence,
      });
      // What the issue saw: the zeros taken as positions.
      const naive = await model.lift(flat(zeroed), { ...options, format: 'coco17', confidence: conf(zeroed) });
      const error = meanJointDistance(filled.poses, reference.poses);
      const naiveError = meanJointDistance(naive.poses, reference.poses);
      console.log(
        `      mean per-joint distance from the reference: filled in ${(error * 1000).toFixed(1)} mm, zeros as positions ${(naiveError * 1000).toFixed(1)} mm`,
      );
      expect(error).to.be.below(0.045);
      // The test input really is hard: the zeros taken as positions land outside the bound (391 mm
      // with the weights before the robust fine-tuning, 154 mm after it, 87 mm with the framing
      // fine-tune, which no longer reads a joint in the picture's corner as part of the pose, 60 mm
      // with the confidence-reading lifter, which discounts zero-confidence joints; filled in: 29 mm).
      expect(naiveError, 'the test input really is hard').to.be.above(0.045);
      expect(naiveError, 'filling in beats the zeros').to.be.above(error + 0.015);
    } finally {
      model.dispose();
    }
  });
});
