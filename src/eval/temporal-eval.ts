import type { DiffPose } from '../diffpose.js';
import type { ExecutorName } from '../lift-options.js';
import { legsHidden, rootCropped, type TestTrack } from '../mocap/test-tracks.js';
import { PREPARED_FPS } from '../mocap/prepared-file.js';
import { Rng } from '../pose/rng.js';
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
  /** Coverage of radius90 (calibrated temporal files): paper init, H hypotheses, per window. */
  calibration?: { hypotheses: number; offline: CoverageReport; causal: CoverageReport };
}

/** Hypotheses of the radius90 coverage lifts: the CLI's default. */
const COVERAGE_HYPOTHESES = 8;

const MA_WINDOWS = [3, 5, 7, 9, 11, 15, 21, 31];
const EURO_MIN_CUTOFF = [0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0];
const EURO_BETA = [0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0];
const UPPER = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

export type TrackMode = 'frame' | 'offline' | 'causal';
type Lifted = Array<Float64Array | Float32Array>;

/** Each track lifted by the frame model or one temporal window (official init, H = 1): its poses. */
export async function liftTracks(
  model: DiffPose,
  tracks: TestTrack[],
  mode: TrackMode,
  executor: ExecutorName,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const t of tracks) {
    const options = {
      imageSize: t.imageSize,
      confidence: t.confidence,
      init: 'official' as const,
      hypotheses: 1,
      executor,
    };
    const r =
      mode === 'frame'
        ? await model.lift(t.keypoints, options)
        : await model.liftSequence(t.keypoints, { ...options, causal: mode === 'causal' });
    out.push(r.poses);
  }
  return out;
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
  const cal = model.temporal?.calibration;
  const coverage = async (causal: boolean): Promise<CoverageReport> => {
    const errors: number[] = [],
      radius: number[] = [],
      confidence: number[] = [];
    for (const t of tracks) {
      const r = await model.liftSequence(t.keypoints, {
        imageSize: t.imageSize,
        confidence: t.confidence,
        init: 'paper',
        hypotheses: COVERAGE_HYPOTHESES,
        seed: 1,
        causal,
        executor: o.executor,
      });
      errors.push(...jointErrors(r.poses, t.poses3d));
      radius.push(...r.radius90!);
      confidence.push(...t.confidence);
    }
    return coverageReport(errors, radius, confidence, cal!.bands);
  };
  const calibration = cal && {
    hypotheses: COVERAGE_HYPOTHESES,
    offline: await timed(`radius90 coverage, offline, H = ${COVERAGE_HYPOTHESES}`, () => coverage(false)),
    causal: await timed(`radius90 coverage, causal, H = ${COVERAGE_HYPOTHESES}`, () => coverage(true)),
  };
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
    lines.push('', `radius90 coverage of the temporal lifts (paper init, H = ${c.hypotheses}; target 87-93%):`);
    for (const [name, cov] of [
      ['offline', c.offline],
      ['causal', c.causal],
    ] as const)
      lines.push(
        `  ${name}: overall ${pct(cov.overall)}; ` +
          [...Object.entries(cov.byGroup), ...Object.entries(cov.byBand)].map(([k, v]) => `${k} ${pct(v)}`).join(', ') +
          `; mean error ${(cov.meanError * 1000).toFixed(1)} mm, mean radius90 ${(cov.meanRadius * 1000).toFixed(1)} mm`,
      );
  }
  return lines;
}
