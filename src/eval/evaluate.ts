import type { DiffPose } from '../diffpose.js';
import type { ExecutorName } from '../lift-options.js';
import { liftWithLifterOnly } from './lifter-only.js';
import { liftTestSet, mapTestSet, type TestSetLift } from './lift-test-set.js';
import { coverageReport, type CoverageReport } from './calibration-metrics.js';
import type { MeanPoses } from './mean-pose-baselines.js';
import {
  JOINTS,
  jointErrors,
  mean,
  meanPerPose,
  mpjpePerPose,
  pearson,
  pMpjpePerPose,
  type Poses,
} from './pose-metrics.js';
import type { TestSet } from './test-set.js';

/** Source folders in the order the tables show them; any others follow, then "all". */
export const SOURCE_ORDER = ['cmu-bvh', 'cmu-asfamc', 'hdm05-asfamc'];
export const ALL = 'all';

export interface EvalSettings {
  executor: ExecutorName;
  /** Hypotheses of the multi-hypothesis run (paper init); 1 skips it. */
  hypotheses: number;
  seed: number;
  log?: (line: string) => void;
}

/** Per group (each source folder and "all"), mean over its examples, millimetres. */
export type ByGroup = Record<string, number>;

export interface MethodRow {
  method: string;
  mpjpe: ByGroup;
  pmpjpe: ByGroup;
  seconds: number;
}

export interface UncertaintyReport {
  hypotheses: number;
  /** Pearson r of per-joint spread vs per-joint error of the mean, root joint left out (both are 0 there by construction). */
  jointSpreadErrorR: number;
  /** Pearson r of a pose's mean spread vs its MPJPE. */
  poseSpreadErrorR: number;
  /** MPJPE of the best hypothesis of each example (chosen with the ground truth: an oracle). */
  oracleMpjpe: ByGroup;
  /** Mean per-joint spread, mm. */
  meanSpread: ByGroup;
  /**
   * Weights whose lifter predicts its error: Pearson r of its per-joint sigma vs the per-joint
   * error of the paper init's H = 1 lift (root excluded), and the mean sigma (mm).
   */
  sigma?: { errorR: number; mean: number };
}

export interface EvalReport {
  groups: string[];
  counts: Record<string, number>;
  rows: MethodRow[];
  uncertainty?: UncertaintyReport;
  /** Coverage of radius90 (calibrated weights): paper init with H = 1 and with H hypotheses. */
  calibration?: { single: CoverageReport; multi: CoverageReport; hypotheses: number };
}

function groupsOf(source: string[]): string[] {
  const present = new Set(source);
  return [
    ...SOURCE_ORDER.filter((s) => present.has(s)),
    ...[...present].filter((s) => !SOURCE_ORDER.includes(s)).sort(),
    ALL,
  ];
}

/** Mean of per-example values within each group, times `scale`. */
function byGroup(values: Float64Array, source: string[], groups: string[], scale = 1000): ByGroup {
  const out: ByGroup = {};
  for (const g of groups) {
    const picked = g === ALL ? values : values.filter((_, i) => source[i] === g);
    out[g] = mean(picked) * scale;
  }
  return out;
}

function tile(pose: Float64Array, count: number): Float64Array {
  const out = new Float64Array(count * 51);
  for (let i = 0; i < count; i++) out.set(pose, i * 51);
  return out;
}

/**
 * Every method of the evaluation on one test set: the two constant mean poses, the lifter
 * alone, and DiffPose through its public API (init official H=1, paper H=1, paper H=n).
 */
export async function evaluate(
  model: DiffPose,
  test: TestSet,
  baseline: MeanPoses,
  s: EvalSettings,
): Promise<EvalReport> {
  const ex = test.examples;
  const groups = groupsOf(test.source);
  const counts: Record<string, number> = {};
  for (const g of groups) counts[g] = g === ALL ? ex.count : test.source.filter((x) => x === g).length;
  const rows: MethodRow[] = [];
  const row = (method: string, poses: Poses, seconds: number): void => {
    rows.push({
      method,
      seconds,
      mpjpe: byGroup(mpjpePerPose(poses, ex.poses3d), test.source, groups),
      pmpjpe: byGroup(pMpjpePerPose(poses, ex.poses3d), test.source, groups),
    });
    s.log?.(`  ${method}: ${seconds.toFixed(1)} s`);
  };
  const timed = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
    const t0 = performance.now();
    const v = await fn();
    return [v, (performance.now() - t0) / 1000];
  };

  row('mean pose, camera frame', tile(baseline.camera, ex.count), 0);
  row('mean pose, canonical', tile(baseline.canonical, ex.count), 0);
  const [lifted, tl] = await timed(() =>
    mapTestSet(ex, (kp, size, confidence) => liftWithLifterOnly(model.weights, kp, size, confidence)),
  );
  row('lifter alone (CPU reference)', lifted, tl);
  const common = { executor: s.executor, seed: s.seed };
  const [official, to] = await timed(() => liftTestSet(model, ex, { ...common, init: 'official', hypotheses: 1 }));
  row('DiffPose official, H=1', official.poses, to);
  const [paper1, tp] = await timed(() => liftTestSet(model, ex, { ...common, init: 'paper', hypotheses: 1 }));
  row('DiffPose paper, H=1', paper1.poses, tp);
  if (s.hypotheses <= 1) return { groups, counts, rows };

  const H = s.hypotheses;
  const [multi, th] = await timed(() =>
    liftTestSet(model, ex, { ...common, init: 'paper', hypotheses: H, samples: true }),
  );
  row(`DiffPose paper, H=${H} (mean)`, multi.poses, th);
  const [jpma, tj] = await timed(() =>
    liftTestSet(model, ex, { ...common, init: 'paper', hypotheses: H, aggregate: 'reprojection' }),
  );
  row(`DiffPose paper, H=${H} (reprojection)`, jpma.poses, tj);
  const cal = model.weights.calibration;
  const covered = (r: TestSetLift) =>
    coverageReport(jointErrors(r.poses, ex.poses3d), r.radius90!, ex.confidence, cal!.bands);
  return {
    groups,
    counts,
    rows,
    uncertainty: { ...uncertainty(multi, test, groups, H), sigma: paper1.sigma && sigmaReport(paper1, test) },
    calibration: cal && multi.radius90 ? { single: covered(paper1), multi: covered(multi), hypotheses: H } : undefined,
  };
}

function sigmaReport(r: TestSetLift, test: TestSet): { errorR: number; mean: number } {
  const nonRoot = (a: ArrayLike<number>) => Float64Array.from(a).filter((_, k) => k % JOINTS !== 0);
  const sigma = nonRoot(r.sigma!);
  return {
    errorR: pearson(sigma, nonRoot(jointErrors(r.poses, test.examples.poses3d))),
    mean: (1000 * sigma.reduce((a, v) => a + v, 0)) / sigma.length,
  };
}

function uncertainty(
  r: { poses: Float32Array; spread: Float32Array; samples?: Float32Array },
  test: TestSet,
  groups: string[],
  H: number,
): UncertaintyReport {
  const ex = test.examples;
  const errors = jointErrors(r.poses, ex.poses3d);
  const nonRoot = (a: ArrayLike<number>) => Float64Array.from(a).filter((_, k) => k % JOINTS !== 0);
  const spread = Float64Array.from(r.spread);
  const oracle = new Float64Array(ex.count);
  for (let i = 0; i < ex.count; i++) {
    const target = ex.poses3d.subarray(i * 51, (i + 1) * 51);
    let best = Infinity;
    for (let h = 0; h < H; h++) {
      const e = mpjpePerPose(r.samples!.subarray((i * H + h) * 51, (i * H + h + 1) * 51), target)[0];
      if (e < best) best = e;
    }
    oracle[i] = best;
  }
  return {
    hypotheses: H,
    jointSpreadErrorR: pearson(nonRoot(spread), nonRoot(errors)),
    poseSpreadErrorR: pearson(meanPerPose(spread), meanPerPose(errors)),
    oracleMpjpe: byGroup(oracle, test.source, groups),
    meanSpread: byGroup(meanPerPose(spread), test.source, groups),
  };
}
