import type { DiffPose, LiftResult } from '../diffpose.js';
import type { ExecutorName, LiftOptions } from '../lift-options.js';
import { legsHidden, rootCropped, type TestTrack } from '../mocap/test-tracks.js';
import { PREPARED_FPS } from '../mocap/prepared-file.js';
import type { Calibration } from '../model/calibration.js';
import { Rng } from '../pose/rng.js';
import { calibrationFor } from '../temporal/temporal-model.js';
import { movingAverage, oneEuro } from '../temporal/smoothing.js';
import { coverageReport, type CoverageReport } from './calibration-metrics.js';
import { jointErrors, mean, pMpjpePerPose } from './pose-metrics.js';
import { motionErrors } from './temporal-metrics.js';

/**
 * The temporal evaluation (issue 14): on fixed test tracks (mocap/test-tracks.ts), the frame
 * model, the frame model smoothed after the fact (a centred moving average, for files, and a
 * One-Euro filter, for live use — both tuned on training-split tracks), and the temporal model's
 * offline and causal windows; each with MPJPE, P-MPJPE, velocity error (MPJVE), acceleration
 * error and the upper body's MPJPE with every joint visible and with the legs out of the picture.
 * Official init, H = 1, DDIM [12, 0], as train/train_temporal.py evaluates.
 */

export interface TemporalRow {
  method: string;
  /** mm; MPJVE mm/frame; acceleration error mm/frame². */
  mpjpe: number;
  pmpjpe: number;
  mpjve: number;
  accel: number;
  upper: number;
  upperLegsHidden: number;
  /**
   * The upper body, all visible -> legs hidden (mm), over the frames whose pelvis and hips stay in
   * the picture (`kept`) and over those that lose the pelvis or a hip too (`cropped`: the root of
   * every output joint then out of the picture); NaN where no frame is of the kind.
   */
  legsHiddenByRoot: { kept: [number, number]; cropped: [number, number] };
}

export interface TemporalReport {
  tracks: number;
  frames: number;
  tuneTracks: number;
  /** Frames whose legs-hidden copy lost the pelvis or a hip too (mocap/test-tracks.ts rootCropped). */
  rootCroppedFrames: number;
  smoothing: { movingAverage: number; oneEuro: { minCutoff: number; beta: number } };
  rows: TemporalRow[];
  /**
   * Coverage of radius90 (paper init, H hypotheses) per calibrated mode: on the tracks, and on their
   * legs-hidden copies over the frames whose pelvis and hips stay in the picture and over those that
   * lose the pelvis or a hip too.
   */
  calibration?: { hypotheses: number; modes: CoverageRow[] };
}

export interface CoverageRow {
  mode: TrackMode;
  visible: CoverageReport;
  legsHidden: { kept: CoverageReport; cropped: CoverageReport };
}

/** Hypotheses of the radius90 coverage lifts: the CLI's default. */
const COVERAGE_HYPOTHESES = 8;

const MA_WINDOWS = [3, 5, 7, 9, 11, 15, 21, 31];
const EURO_MIN_CUTOFF = [0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0];
const EURO_BETA = [0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
const UPPER = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

export type TrackMode = 'frame' | 'offline' | 'causal';
type Lifted = Array<Float64Array | Float32Array>;

/** Each track lifted by the frame model or one temporal window with these settings. */
async function liftEach(
  model: DiffPose,
  tracks: TestTrack[],
  mode: TrackMode,
  settings: Pick<LiftOptions, 'init' | 'hypotheses' | 'seed' | 'executor'>,
): Promise<LiftResult[]> {
  const out: LiftResult[] = [];
  for (const t of tracks) {
    const options = { ...settings, imageSize: t.imageSize, confidence: t.confidence };
    out.push(
      mode === 'frame'
        ? await model.lift(t.keypoints, options)
        : await model.liftSequence(t.keypoints, { ...options, causal: mode === 'causal' }),
    );
  }
  return out;
}

/** Each track lifted by the frame model or one temporal window (official init, H = 1): its poses. */
export async function liftTracks(
  model: DiffPose,
  tracks: TestTrack[],
  mode: TrackMode,
  executor: ExecutorName,
): Promise<Float32Array[]> {
  return (await liftEach(model, tracks, mode, { init: 'official', hypotheses: 1, executor })).map((r) => r.poses);
}

/** MPJPE (mm) of lifted tracks, over `joints` only when given and the frames `frame` keeps when given. */
export function mpjpeOf(
  pred: Lifted,
  tracks: TestTrack[],
  joints?: number[],
  frame?: (track: number, frame: number) => boolean,
): number {
  let sum = 0,
    n = 0;
  pred.forEach((p, i) => {
    const e = jointErrors(p, tracks[i].poses3d);
    e.forEach((v, k) => {
      if (joints && !joints.includes(k % 17)) return;
      if (frame && !frame(i, Math.floor(k / 17))) return;
      sum += v;
      n++;
    });
  });
  return (sum / n) * 1000;
}

function row(method: string, pred: Lifted, hidden: Lifted, tracks: TestTrack[], cropped: boolean[][]): TemporalRow {
  const split = (out: boolean): [number, number] => {
    const keep = (i: number, f: number) => cropped[i][f] === out;
    return [mpjpeOf(pred, tracks, UPPER, keep), mpjpeOf(hidden, tracks, UPPER, keep)];
  };
  const pooled = (f: (p: Lifted[number], t: TestTrack) => Float64Array) =>
    mean(Float64Array.from(pred.flatMap((p, i) => Array.from(f(p, tracks[i])))));
  return {
    method,
    mpjpe: mpjpeOf(pred, tracks),
    pmpjpe: pooled((p, t) => pMpjpePerPose(Float64Array.from(p), Float64Array.from(t.poses3d))) * 1000,
    mpjve: pooled((p, t) => motionErrors(p, t.poses3d, t.frames, 1)) * 1000,
    accel: pooled((p, t) => motionErrors(p, t.poses3d, t.frames, 2)) * 1000,
    upper: mpjpeOf(pred, tracks, UPPER),
    upperLegsHidden: mpjpeOf(hidden, tracks, UPPER),
    legsHiddenByRoot: { kept: split(false), cropped: split(true) },
  };
}

/** The window and the (min cutoff, beta) that give the lowest MPJPE on `tune` tracks lifted by the frame model. */
function tuneSmoothers(pred: Float32Array[], tune: TestTrack[]): TemporalReport['smoothing'] {
  const err = (smooth: (p: Float32Array, t: TestTrack) => Float64Array) =>
    mpjpeOf(
      pred.map((p, i) => smooth(p, tune[i])),
      tune,
    );
  let ma = MA_WINDOWS[0],
    best = Infinity;
  for (const w of MA_WINDOWS) {
    const e = err((p, t) => movingAverage(p, t.frames, w));
    if (e < best) [best, ma] = [e, w];
  }
  let euro = { minCutoff: EURO_MIN_CUTOFF[0], beta: EURO_BETA[0] };
  best = Infinity;
  for (const minCutoff of EURO_MIN_CUTOFF) {
    for (const beta of EURO_BETA) {
      const e = err((p, t) => oneEuro(p, t.frames, PREPARED_FPS, minCutoff, beta));
      if (e < best) [best, euro] = [e, { minCutoff, beta }];
    }
  }
  return { movingAverage: ma, oneEuro: euro };
}

export async function evaluateTemporal(
  model: DiffPose,
  tracks: TestTrack[],
  tune: TestTrack[],
  o: { executor: ExecutorName; log?: (s: string) => void },
): Promise<TemporalReport> {
  const log = o.log ?? (() => {});
  // The legs-hidden tracks from their own fixed stream, the same for every method.
  const rng = new Rng(7);
  const hiddenTracks = tracks.map((t) => legsHidden(t, rng));
  const cropped = tracks.map((t, i) => rootCropped(t, hiddenTracks[i]));
  const timed = async <T>(what: string, body: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await body();
    log(`  ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return r;
  };
  const smoothing = tuneSmoothers(
    await timed(`frame model on ${tune.length} training-split tracks, for tuning the smoothers`, () =>
      liftTracks(model, tune, 'frame', o.executor),
    ),
    tune,
  );
  const lifted = {} as Record<TrackMode, { all: Float32Array[]; hidden: Float32Array[] }>;
  for (const mode of ['frame', 'offline', 'causal'] as const) {
    lifted[mode] = {
      all: await timed(`${mode}: ${tracks.length} tracks`, () => liftTracks(model, tracks, mode, o.executor)),
      hidden: await timed(`${mode}: the same with the legs hidden`, () =>
        liftTracks(model, hiddenTracks, mode, o.executor),
      ),
    };
  }
  const calibrated = (['frame', 'offline', 'causal'] as const).filter((mode) => modeCalibration(model, mode));
  const modes: CoverageRow[] = [];
  for (const mode of calibrated)
    modes.push(
      await timed(
        `radius90 coverage, ${mode}, H = ${COVERAGE_HYPOTHESES}, the tracks and their legs-hidden copies`,
        () => coverageRow(model, mode, tracks, hiddenTracks, cropped, o.executor),
      ),
    );
  const calibration = modes.length ? { hypotheses: COVERAGE_HYPOTHESES, modes } : undefined;
  const ma = (ps: Float32Array[]) => ps.map((p, i) => movingAverage(p, tracks[i].frames, smoothing.movingAverage));
  const euro = (ps: Float32Array[]) =>
    ps.map((p, i) => oneEuro(p, tracks[i].frames, PREPARED_FPS, smoothing.oneEuro.minCutoff, smoothing.oneEuro.beta));
  const f = lifted.frame;
  return {
    tracks: tracks.length,
    frames: tracks.reduce((n, t) => n + t.frames, 0),
    tuneTracks: tune.length,
    rootCroppedFrames: cropped.flat().filter(Boolean).length,
    smoothing,
    rows: [
      row('frame model', f.all, f.hidden, tracks, cropped),
      row(`frame + moving average ${smoothing.movingAverage}`, ma(f.all), ma(f.hidden), tracks, cropped),
      row(
        `frame + One-Euro ${smoothing.oneEuro.minCutoff}/${smoothing.oneEuro.beta}`,
        euro(f.all),
        euro(f.hidden),
        tracks,
        cropped,
      ),
      row('temporal, offline window', lifted.offline.all, lifted.offline.hidden, tracks, cropped),
      row('temporal, causal window', lifted.causal.all, lifted.causal.hidden, tracks, cropped),
    ],
    calibration,
  };
}

/** The calibration a mode's lifts carry radius90 from: the frame file's, or the temporal file's for that window. */
function modeCalibration(model: DiffPose, mode: TrackMode): Calibration | undefined {
  return mode === 'frame' ? model.weights.calibration : model.temporal && calibrationFor(model.temporal, mode);
}

/** Each track lifted as the CLI lifts (paper init, H = 8): its errors and radii. */
async function liftWithRadius(
  model: DiffPose,
  tracks: TestTrack[],
  mode: TrackMode,
  executor: ExecutorName,
): Promise<Array<{ errors: Float64Array; radius: Float32Array }>> {
  const lifts = await liftEach(model, tracks, mode, {
    init: 'paper',
    hypotheses: COVERAGE_HYPOTHESES,
    seed: 1,
    executor,
  });
  return lifts.map((r, i) => ({ errors: jointErrors(r.poses, tracks[i].poses3d), radius: r.radius90! }));
}

async function coverageRow(
  model: DiffPose,
  mode: TrackMode,
  tracks: TestTrack[],
  hidden: TestTrack[],
  cropped: boolean[][],
  executor: ExecutorName,
): Promise<CoverageRow> {
  const bands = modeCalibration(model, mode)!.bands;
  const report = (
    lifts: Awaited<ReturnType<typeof liftWithRadius>>,
    ts: TestTrack[],
    keep?: (i: number, f: number) => boolean,
  ) => {
    const errors: number[] = [],
      radius: number[] = [],
      confidence: number[] = [];
    lifts.forEach((l, i) => {
      for (let f = 0; f < ts[i].frames; f++) {
        if (keep && !keep(i, f)) continue;
        const at = f * 17;
        errors.push(...l.errors.subarray(at, at + 17));
        radius.push(...l.radius.subarray(at, at + 17));
        confidence.push(...ts[i].confidence.subarray(at, at + 17));
      }
    });
    return coverageReport(errors, radius, confidence, bands);
  };
  const seen = await liftWithRadius(model, tracks, mode, executor);
  const legs = await liftWithRadius(model, hidden, mode, executor);
  return {
    mode,
    visible: report(seen, tracks),
    legsHidden: {
      kept: report(legs, hidden, (i, f) => !cropped[i][f]),
      cropped: report(legs, hidden, (i, f) => cropped[i][f]),
    },
  };
}

/** The report as a table. */
export function formatTemporalReport(r: TemporalReport): string[] {
  const head = ['method', 'MPJPE', 'P-MPJPE', 'MPJVE', 'accel', 'upper', 'upper, legs hidden'];
  const lines = [
    `${r.tracks} test tracks, ${r.frames} frames, 30 fps; smoothers tuned on ${r.tuneTracks} training-split tracks. mm; MPJVE mm/frame; accel mm/frame²`,
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
  ];
  for (const x of r.rows) {
    lines.push(
      `| ${x.method} | ${x.mpjpe.toFixed(1)} | ${x.pmpjpe.toFixed(1)} | ${x.mpjve.toFixed(2)} | ${x.accel.toFixed(2)} | ${x.upper.toFixed(1)} | ${x.upperLegsHidden.toFixed(1)} (${(x.upperLegsHidden / x.upper).toFixed(2)}x) |`,
    );
  }
  const kept = r.frames - r.rootCroppedFrames;
  const pair = ([visible, hidden]: [number, number]) =>
    Number.isFinite(visible) && Number.isFinite(hidden)
      ? `${visible.toFixed(1)} -> ${hidden.toFixed(1)} (${(hidden / visible).toFixed(2)}x)`
      : '-';
  lines.push(
    '',
    'The upper body, all visible -> legs hidden, split by whether the crop also takes the pelvis or a hip (the root every output joint is relative to):',
    `| method | pelvis and hips in the picture (${kept} frames) | pelvis or a hip cropped too (${r.rootCroppedFrames} frames) |`,
    '|---|---|---|',
    ...r.rows.map((x) => `| ${x.method} | ${pair(x.legsHiddenByRoot.kept)} | ${pair(x.legsHiddenByRoot.cropped)} |`),
  );
  const c = r.calibration;
  if (c) {
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const brief = (cov: CoverageReport) =>
      Number.isNaN(cov.overall)
        ? 'no frames'
        : `${pct(cov.overall)} (arms ${pct(cov.byGroup.arms)}, head ${pct(cov.byGroup.head)}; radius90 ${(cov.meanRadius * 1000).toFixed(0)} mm, error ${(cov.meanError * 1000).toFixed(0)} mm)`;
    lines.push('', `radius90 coverage (paper init, H = ${c.hypotheses}; target 87-93%):`);
    for (const m of c.modes) {
      const cov = m.visible;
      lines.push(
        `  ${m.mode}: overall ${pct(cov.overall)}; ` +
          [...Object.entries(cov.byGroup), ...Object.entries(cov.byBand)].map(([k, v]) => `${k} ${pct(v)}`).join(', ') +
          `; mean error ${(cov.meanError * 1000).toFixed(1)} mm, mean radius90 ${(cov.meanRadius * 1000).toFixed(1)} mm`,
        `    legs hidden, pelvis and hips in the picture: ${brief(m.legsHidden.kept)}; pelvis or a hip cropped too: ${brief(m.legsHidden.cropped)}`,
      );
    }
  }
  return lines;
}
