import { expect } from 'chai';
import { existsSync } from 'node:fs';
import type { ClipEntry } from '../../src/mocap/clip-catalog.js';
import { TEST_SUBJECTS, listClips } from '../../src/mocap/clip-catalog.js';
import type { LoadedClip } from '../../src/mocap/dataset.js';
import { loadClip } from '../../src/mocap/dataset.js';
import { REAL_MOCAP } from './fixtures.js';

/**
 * Checks on the real mocap files (../shared/data/mocap beside the repository; skipped where it
 * is absent): a few clips of each format and naming, mapped to the 17 joints at 30 fps, must
 * look like a human body: bone lengths in adult ranges, rigid segments rigid, the left side on
 * the left, head up, feet on the floor.
 */
type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V, b: V): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V): number => Math.hypot(a[0], a[1], a[2]);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function joint(clip: LoadedClip, f: number, j: number): V {
  const o = (f * 17 + j) * 3;
  return [clip.poses[o], clip.poses[o + 1], clip.poses[o + 2]];
}
function lengths(clip: LoadedClip, a: number, b: number): number[] {
  return Array.from({ length: clip.frameCount }, (_, f) => norm(sub(joint(clip, f, a), joint(clip, f, b))));
}

const CLIPS: Array<{ name: string; fps: number; unit: string }> = [
  { name: 'cmu-bvh/salsa/01', fps: 60, unit: 'cm' },
  { name: 'cmu-bvh/subject-08/08_01', fps: 120, unit: 'cm' },
  { name: 'cmu-bvh/subject-16/16_01', fps: 30, unit: 'CMU ASF unit (inch / 0.45)' },
  { name: 'cmu-bvh/subject-16/16_02', fps: 30, unit: 'CMU ASF unit (inch / 0.45)' },
  { name: 'cmu-asfamc/02/02_01', fps: 120, unit: 'ASF' },
  { name: 'cmu-asfamc/03/03_01', fps: 120, unit: 'ASF' },
  { name: 'hdm05-asfamc/tr/HDM_tr_jogLeftCircle4StepsRstart_*', fps: 120, unit: 'ASF' },
  { name: 'hdm05-asfamc/bd/HDM_bd_sneak2StepsLStart_*', fps: 120, unit: 'ASF' },
];

/** The shared data is beside every checkout in CI: there its absence is a failure, not a skip. */
function skipWithoutData(ctx: Mocha.Context): void {
  if (existsSync(REAL_MOCAP)) return;
  if (process.env.CI === 'true' || process.env.DIFFPOSE_REQUIRE_GPU === '1')
    throw new Error(`${REAL_MOCAP} is missing (CI gets a copy of shared/ beside the checkout)`);
  ctx.skip();
}

describe('real mocap clips as Human3.6M joints', function () {
  let entries: ClipEntry[] = [];
  before(function () {
    skipWithoutData(this);
    entries = listClips(REAL_MOCAP);
  });

  it('lists every clip of the data README and splits by its test subjects', () => {
    const bySource = (source: string): number => entries.filter((e) => e.source === source).length;
    expect([bySource('cmu-bvh'), bySource('cmu-asfamc'), bySource('hdm05-asfamc')]).to.deep.equal([95, 28, 287]);
    for (const e of entries) {
      expect(e.split, e.name).to.equal(TEST_SUBJECTS.includes(`${e.source}/${e.subject}`) ? 'test' : 'train');
    }
    expect(new Set(entries.filter((e) => e.split === 'test').map((e) => `${e.source}/${e.subject}`))).to.deep.equal(
      new Set(TEST_SUBJECTS),
    );
  });

  for (const spec of CLIPS) {
    describe(spec.name, () => {
      let clip: LoadedClip;
      before(function () {
        skipWithoutData(this);
        const pattern = new RegExp(`^${spec.name.replace('*', '.*')}$`);
        const entry = entries.find((e) => pattern.test(e.name));
        if (!entry) throw new Error(`no clip matches ${spec.name}`);
        clip = loadClip(entry);
      });

      it('reads at the right rate and unit, with finite positions', () => {
        expect(clip.sourceFps).to.equal(spec.fps);
        expect(clip.unit).to.equal(spec.unit);
        expect(clip.frameCount).to.be.greaterThan(10);
        expect(clip.poses.every(Number.isFinite)).to.equal(true);
      });

      it('has adult bone lengths, the same on both sides and rigid over time', () => {
        const ranges: Array<[string, [number, number], [number, number], [number, number]]> = [
          ['thigh', [4, 5], [1, 2], [0.35, 0.5]],
          ['shin', [5, 6], [2, 3], [0.33, 0.5]],
          ['upper arm', [11, 12], [14, 15], [0.22, 0.38]],
          ['forearm', [12, 13], [15, 16], [0.15, 0.32]], // Vicon ASF radius bones are short: 0.17-0.2 m
        ];
        for (const [bone, left, right, [lo, hi]] of ranges) {
          const l = lengths(clip, ...left),
            r = lengths(clip, ...right);
          expect(median(l), `left ${bone}`).to.be.within(lo, hi);
          expect(median(r), `right ${bone}`).to.be.within(lo, hi);
          expect(Math.abs(median(l) - median(r)), `${bone} asymmetry`).to.be.lessThan(0.04);
          // Joint centres of one rigid segment: the length may only move by float rounding.
          expect(Math.max(...l) - Math.min(...l), `left ${bone} changes length`).to.be.lessThan(1e-3);
        }
      });

      it('places torso and head joints consistently with the other formats', () => {
        expect(median(lengths(clip, 0, 8)), 'pelvis-thorax').to.be.within(0.35, 0.6);
        expect(median(lengths(clip, 8, 9)), 'thorax-neck/nose').to.be.within(0.08, 0.2);
        expect(median(lengths(clip, 9, 10)), 'neck/nose-head').to.be.within(0.06, 0.14);
        expect(median(lengths(clip, 0, 1)), 'pelvis-hip').to.be.within(0.06, 0.14);
      });

      it('keeps the left side on the left: bent knees point the way the body faces', () => {
        // Facing direction from the hips and the trunk: (left hip - right hip) x (thorax - pelvis)
        // points forward in a right-handed +Y-up frame. A knee bends forward, so a bent knee lies
        // in front of the hip-ankle line. Swapping left and right (or mirroring the skeleton)
        // flips the facing direction but not the knees.
        let bent = 0,
          forward = 0;
        for (let f = 0; f < clip.frameCount; f++) {
          const trunk = sub(joint(clip, f, 8), joint(clip, f, 0));
          if (trunk[1] < 0.85 * norm(trunk)) continue; // upright frames only
          const facing = cross(sub(joint(clip, f, 4), joint(clip, f, 1)), trunk);
          for (const [hip, knee, ankle] of [
            [1, 2, 3],
            [4, 5, 6],
          ]) {
            const h = joint(clip, f, hip),
              k = joint(clip, f, knee),
              a = joint(clip, f, ankle);
            const thigh = sub(k, h),
              shin = sub(a, k);
            if (dot(thigh, shin) > Math.cos(Math.PI / 9) * norm(thigh) * norm(shin)) continue; // knee bent > 20 degrees
            bent++;
            const mid: V = [(h[0] + a[0]) / 2, (h[1] + a[1]) / 2, (h[2] + a[2]) / 2];
            if (dot(sub(k, mid), facing) > 0) forward++;
          }
        }
        expect(bent, 'frames with a bent knee').to.be.greaterThan(10);
        expect(forward / bent).to.be.greaterThan(0.9);
      });

      it('stands on the floor (y = 0) with the head above the pelvis', () => {
        const lowestAnkle = Array.from({ length: clip.frameCount }, (_, f) =>
          Math.min(joint(clip, f, 3)[1], joint(clip, f, 6)[1]),
        );
        expect(median(lowestAnkle)).to.be.within(-0.15, 0.4);
        const headAbove = Array.from(
          { length: clip.frameCount },
          (_, f) => joint(clip, f, 10)[1] - joint(clip, f, 0)[1],
        );
        expect(headAbove.filter((d) => d > 0.3).length / clip.frameCount).to.be.greaterThan(0.9);
      });
    });
  }
});
