import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalPose, meanPoseBaselines } from '../../src/eval/mean-pose-baselines.js';
import { evenlySpaced, loadTestSet } from '../../src/eval/test-set.js';
import { writePreparedSplit } from '../../src/mocap/prepared-file.js';
import { CALIBRATION_KEY, type Calibration } from '../../src/model/calibration.js';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.js';
import { runCli } from '../convert/run-cli.js';
import { goldenPath } from '../helpers/golden.js';
import { testGpu } from '../helpers/gpu.js';
import { posed, syntheticSplit } from '../helpers/synthetic-split.js';

describe('diffpose eval', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffpose-eval-'));
    writePreparedSplit(join(dir, 'train.safetensors'), syntheticSplit(40, 0.1));
    writePreparedSplit(join(dir, 'test.safetensors'), syntheticSplit(30, 0.7));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** `diffpose eval --temporal` on the CPU with these files, its report also as JSON. */
  const temporalEval = (json: string, weights: string, temporalWeights: string) =>
    runCli([
      'eval',
      '--temporal',
      '--cpu',
      '--data',
      dir,
      '--json',
      json,
      '--weights',
      weights,
      '--temporal-weights',
      temporalWeights,
    ]);

  it('turns any pose to face the camera upright (canonical baseline)', () => {
    for (const yaw of [0, 1, 2.5, -2]) {
      const c = canonicalPose(posed(yaw, 0));
      expect(c[4 * 3] - c[1 * 3], 'left hip right of the right hip (+x)').to.be.closeTo(0.24, 1e-6);
      expect(c[4 * 3 + 2] - c[1 * 3 + 2]).to.be.closeTo(0, 1e-6);
      expect(c[10 * 3 + 1], 'head above the pelvis (y down)').to.be.closeTo(-(1.68 - 0.95), 1e-6);
      expect(c[3 * 3 + 1], 'ankle below').to.be.above(0.8);
    }
    // The mean over many yaws of the SAME person is that person, facing the camera.
    const split = syntheticSplit(40, 0.1);
    const m = meanPoseBaselines(split);
    expect(m.frames).to.equal(12);
    expect(m.canonical[10 * 3 + 1]).to.be.closeTo(-(1.68 - 0.95), 1e-6);
    expect(m.camera.length).to.equal(51);
  });

  it('builds the fixed test set, and an evenly spaced subset for --limit', () => {
    expect(evenlySpaced(10, 4)).to.deep.equal([0, 3, 6, 9]);
    expect(evenlySpaced(3, 5)).to.deep.equal([0, 1, 2]);
    const split = syntheticSplit(30, 0.7);
    const all = loadTestSet(split);
    expect(all.examples.count).to.equal(30); // every 3rd of 3 x 30 frames
    expect(all.source.slice(0, 10).every((s) => s === 'cmu-bvh')).to.equal(true);
    const some = loadTestSet(split, 7);
    expect(some.examples.count).to.equal(7);
    expect(some.total).to.equal(30);
    expect([...some.examples.poses3d.subarray(51, 102)]).to.deep.equal([
      ...all.examples.poses3d.subarray(5 * 51, 6 * 51),
    ]);
    expect(new Set(some.source)).to.have.lengthOf(3);
  });

  it('runs on the CPU with the golden tiny weights and prints every table row', async () => {
    const json = join(dir, 'eval.json');
    const r = await runCli([
      'eval',
      '--weights',
      goldenPath('tiny.safetensors').pathname,
      '--data',
      dir,
      '--limit',
      '9',
      '--hypotheses',
      '3',
      '--executor',
      'cpu',
      '--json',
      json,
    ]);
    expect(r.code, r.stderr).to.equal(0);
    for (const row of [
      'mean pose, camera frame',
      'mean pose, canonical',
      'lifter alone',
      'DiffPose official, H=1',
      'DiffPose paper, H=1',
      'DiffPose paper, H=3 (mean)',
      'DiffPose paper, H=3 (reprojection)',
      'best-of-H MPJPE (oracle)',
    ]) {
      expect(r.stdout, row).to.match(new RegExp(`^${row.replace(/[()]/g, '\\$&')}.*\\d`, 'm'));
    }
    expect(r.stdout).to.match(/cmu-bvh \(3\)\s+cmu-asfamc \(3\)\s+hdm05-asfamc \(3\)\s+all \(9\)/);
    expect(r.stdout).to.match(/spread vs error, Pearson r: per joint -?\d\.\d{3}/);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.examples).to.equal(9);
    expect(doc.rows).to.have.length(7);
    for (const row of doc.rows) for (const g of doc.groups) expect(row.mpjpe[g]).to.be.a('number').and.above(0);
    expect(doc.uncertainty.hypotheses).to.equal(3);
    // The constant baselines do not depend on the model: the camera-frame mean beats the
    // canonical one on MPJPE here too (the test people face every direction).
    expect(doc.rows[0].mpjpe.all).to.be.below(doc.rows[1].mpjpe.all);
  });

  it('runs the per-op GPU executor (skipped without an adapter)', async function () {
    await testGpu(this);
    const r = await runCli([
      'eval',
      '--weights',
      goldenPath('tiny.safetensors').pathname,
      '--data',
      dir,
      '--limit',
      '6',
      '--hypotheses',
      '2',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/executor per-op on /);
    expect(r.stdout).to.match(/^DiffPose paper, H=2 \(mean\)\s+\d/m);
  });

  it('--temporal: frame, smoothed frame and the temporal windows side by side on test tracks (CPU, tiny temporal model)', async function () {
    this.timeout(600_000);
    const json = join(dir, 'temporal.json');
    const r = await temporalEval(
      json,
      goldenPath('tiny.safetensors').pathname,
      goldenPath('tiny-temporal.safetensors').pathname,
    );
    expect(r.code, r.stderr).to.equal(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      tracks: number;
      frames: number;
      rows: Array<Record<string, number | string>>;
    };
    // 3 test clips of 30 frames: 3 tracks (a piece of at least 16 frames is kept).
    expect([doc.tracks, doc.frames]).to.deep.equal([3, 90]);
    expect(doc.rows.map((x) => String(x.method).replace(/ [\d./]+$/, ''))).to.deep.equal([
      'frame model',
      'frame + moving average',
      'frame + One-Euro',
      'temporal, offline window',
      'temporal, causal window',
    ]);
    for (const row of doc.rows)
      for (const k of ['mpjpe', 'pmpjpe', 'mpjve', 'accel', 'upper', 'upperLegsHidden'])
        expect(row[k], `${row.method} ${k}`).to.be.a('number').and.satisfy(Number.isFinite);
    // The legs-hidden column split by whether the pelvis and hips stay in the picture: the two
    // parts are that column's frames, so their frame-weighted mean is the column.
    const rootOut = (doc as unknown as { rootCroppedFrames: number }).rootCroppedFrames;
    expect(rootOut).to.be.within(0, 90);
    for (const row of doc.rows) {
      const split = row.legsHiddenByRoot as unknown as Record<'kept' | 'cropped', [number | null, number | null]>;
      const part = (p: [number | null, number | null], frames: number) => (frames > 0 ? p[1]! * frames : 0);
      const whole = (part(split.kept, 90 - rootOut) + part(split.cropped, rootOut)) / 90;
      expect(whole, String(row.method)).to.be.closeTo(row.upperLegsHidden as number, 1e-6);
    }
    expect(r.stdout).to.match(
      /^\| temporal, causal window \| ([\d.]+ -> [\d.]+ \([\d.]+x\)|-) \| ([\d.]+ -> [\d.]+ \([\d.]+x\)|-) \|$/m,
    );
    // Smoothing the frame model's output lowers its acceleration error: the baselines really smooth.
    expect(doc.rows[1].accel).to.be.below(doc.rows[0].accel as number);
    expect(r.stdout).to.match(
      /^\| temporal, causal window \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \([\d.]+x\) \|$/m,
    );
    const perOp = await runCli(['eval', '--temporal', '--executor', 'per-op', '--data', dir]);
    expect(perOp.stderr).to.match(/per-op executor has no FiLM kernel/);
  });

  it('--temporal with calibrated files: radius90 coverage of each mode, all visible and legs hidden (split by the root)', async function () {
    this.timeout(600_000);
    // Made-up tables: the frame model's radii 10 m (every joint covered), the temporal file's 0
    // (none covered), so a report that mixed up the modes or their lifts would show.
    const table = (v: number): Calibration => ({
      bands: [0.5, 0.8],
      offset: Array.from({ length: 17 }, () => [v, v, v]),
      scale: Array.from({ length: 17 }, () => [0, 0, 0]),
      single: Array.from({ length: 17 }, () => [v, v, v]),
      fitted: 'test',
    });
    const calibrated = (golden: string, cal: Calibration, to: string) => {
      const file = parseSafetensors(new Uint8Array(readFileSync(goldenPath(golden))));
      const path = join(dir, to);
      writeFileSync(
        path,
        serializeSafetensors(file.tensors, { ...file.metadata, [CALIBRATION_KEY]: JSON.stringify(cal) }),
      );
      return path;
    };
    const json = join(dir, 'temporal-cal.json');
    const r = await temporalEval(
      json,
      calibrated('tiny.safetensors', table(10), 'tiny-cal.safetensors'),
      calibrated('tiny-temporal.safetensors', table(0), 'tiny-temporal-cal.safetensors'),
    );
    expect(r.code, r.stderr).to.equal(0);
    type Cov = { overall: number | null };
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      rootCroppedFrames: number;
      calibration: {
        hypotheses: number;
        modes: Array<{ mode: string; visible: Cov; legsHidden: Record<'kept' | 'cropped', Cov> }>;
      };
    };
    expect(doc.calibration.hypotheses).to.equal(8);
    expect(doc.calibration.modes.map((m) => m.mode)).to.deep.equal(['frame', 'offline', 'causal']);
    const rootOut = doc.rootCroppedFrames;
    for (const m of doc.calibration.modes) {
      const want = m.mode === 'frame' ? 1 : 0;
      expect(m.visible.overall, m.mode).to.equal(want);
      // A part without frames has no coverage (NaN, null in JSON).
      expect(m.legsHidden.kept.overall, `${m.mode}, root kept`).to.equal(rootOut < 90 ? want : null);
      expect(m.legsHidden.cropped.overall, `${m.mode}, root cropped`).to.equal(rootOut > 0 ? want : null);
    }
    expect(r.stdout).to.match(/^ {2}frame: overall 100\.0%/m);
    expect(r.stdout).to.match(/^ {2}causal: overall 0\.0%/m);
    expect(r.stdout).to.match(/^ {4}legs hidden, pelvis and hips in the picture: /m);
  });

  it('says how to make the data when it is missing, in one line', async () => {
    const r = await runCli(['eval', '--data', join(dir, 'nowhere'), '--executor', 'cpu']);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.match(
      /^diffpose: no prepared test split at .*nowhere\/test\.safetensors: run "diffpose prepare-data" first, or pass --data DIR$/,
    );
    const bad = await runCli(['eval', '--executor', 'quantum']);
    expect(bad.stderr.trim()).to.equal(
      'diffpose: --executor must be one of fused, fused-f16, per-op, cpu, got "quantum"',
    );
  });
});
