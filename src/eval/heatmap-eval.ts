import type { DiffPose } from '../diffpose.js';
import type { ExecutorName } from '../lift-options.js';
import { HEATMAP_SIM, simulateHeatmaps } from './heatmap-sim.js';
import { byImageSize } from './lift-test-set.js';
import { JOINTS, jointErrors, mean, meanPerPose, mpjpePerPose, pearson, pMpjpePerPose } from './pose-metrics.js';
import type { TestSet } from './test-set.js';

/** One mixture size's lift of the test set from simulated heatmaps (paper init, H hypotheses). */
export interface HeatmapEvalRow {
  components: number;
  /** mm: MPJPE and P-MPJPE of the mean, MPJPE of the best hypothesis per example (an oracle), mean spread. */
  mpjpe: number;
  pmpjpe: number;
  bestOfH: number;
  meanSpread: number;
  /** Pearson r of per-joint spread vs per-joint error of the mean (root left out), and per pose. */
  jointSpreadErrorR: number;
  poseSpreadErrorR: number;
  seconds: number;
}

export interface HeatmapEvalReport {
  examples: number;
  hypotheses: number;
  rows: HeatmapEvalRow[];
}

/** Examples per lift call: 256 people's heatmaps are 53 MB. */
const CHUNK = 256;

/**
 * The test set lifted from simulated ambiguous heatmaps (src/eval/heatmap-sim.ts; example i's
 * draws seeded by i, so every mixture size sees the same maps), once per mixture size in
 * `components`: does a multi-modal start give better uncertainty than one Gaussian per joint?
 */
export async function evaluateHeatmaps(
  model: DiffPose,
  test: TestSet,
  s: {
    executor: ExecutorName;
    hypotheses: number;
    seed: number;
    components: number[];
    /** The fit's targetSigma (default HEATMAP_FIT.targetSigma, the simulator's kernel; 0: the blobs' widths, for comparison). */
    targetSigma?: number;
    log?: (line: string) => void;
  },
): Promise<HeatmapEvalReport> {
  const ex = test.examples,
    H = s.hypotheses,
    W = HEATMAP_SIM.width,
    HH = HEATMAP_SIM.height;
  const rows: HeatmapEvalRow[] = [];
  for (const K of s.components) {
    const t0 = performance.now();
    const poses = new Float32Array(ex.count * 51),
      spread = new Float32Array(ex.count * 17),
      samples = new Float32Array(ex.count * H * 51);
    for (const idx of byImageSize(ex).values()) {
      for (let at = 0; at < idx.length; at += CHUNK) {
        const part = idx.slice(at, at + CHUNK);
        const heatmaps = new Float32Array(part.length * 17 * W * HH),
          boxes = new Float32Array(part.length * 4);
        part.forEach((e, i) => {
          const sim = simulateHeatmaps(
            ex.keypoints.subarray(e * 34, (e + 1) * 34),
            ex.confidence.subarray(e * 17, (e + 1) * 17),
            e,
          );
          heatmaps.set(sim.heatmaps, i * 17 * W * HH);
          boxes.set(sim.box, i * 4);
        });
        const r = await model.lift(heatmaps, {
          imageSize: [ex.imageSize[2 * part[0]], ex.imageSize[2 * part[0] + 1]],
          heatmaps: { width: W, height: HH, boxes, components: K, targetSigma: s.targetSigma },
          hypotheses: H,
          init: 'paper',
          samples: true,
          seed: s.seed,
          executor: s.executor,
        });
        part.forEach((e, i) => {
          poses.set(r.poses.subarray(i * 51, (i + 1) * 51), e * 51);
          spread.set(r.spread.subarray(i * 17, (i + 1) * 17), e * 17);
          samples.set(r.samples.subarray(i * H * 51, (i + 1) * H * 51), e * H * 51);
        });
      }
    }
    const errors = jointErrors(poses, ex.poses3d);
    const nonRoot = (a: ArrayLike<number>) => Float64Array.from(a).filter((_, k) => k % JOINTS !== 0);
    const best = new Float64Array(ex.count);
    for (let i = 0; i < ex.count; i++) {
      const target = ex.poses3d.subarray(i * 51, (i + 1) * 51);
      best[i] = Infinity;
      for (let h = 0; h < H; h++)
        best[i] = Math.min(best[i], mpjpePerPose(samples.subarray((i * H + h) * 51, (i * H + h + 1) * 51), target)[0]);
    }
    const row: HeatmapEvalRow = {
      components: K,
      mpjpe: mean(mpjpePerPose(poses, ex.poses3d)) * 1000,
      pmpjpe: mean(pMpjpePerPose(poses, ex.poses3d)) * 1000,
      bestOfH: mean(best) * 1000,
      meanSpread: mean(spread) * 1000,
      jointSpreadErrorR: pearson(nonRoot(spread), nonRoot(errors)),
      poseSpreadErrorR: pearson(meanPerPose(Float64Array.from(spread)), meanPerPose(errors)),
      seconds: (performance.now() - t0) / 1000,
    };
    rows.push(row);
    s.log?.(`  heatmaps, K = ${K}: ${row.seconds.toFixed(1)} s`);
  }
  return { examples: ex.count, hypotheses: H, rows };
}

/** The report as a text table. */
export function formatHeatmapReport(r: HeatmapEvalReport): string[] {
  const head = `| mixture from heatmaps | MPJPE (mean) | P-MPJPE | best of ${r.hypotheses} | mean spread | spread-error r (joint / pose) |`;
  return [
    `simulated ambiguous heatmaps (${HEATMAP_SIM.width} x ${HEATMAP_SIM.height}, src/eval/heatmap-sim.ts), paper init, H = ${r.hypotheses}, ${r.examples} examples; mm`,
    head,
    head.replace(/[^|]/g, '-'),
    ...r.rows.map(
      (x) =>
        `| K = ${x.components} | ${x.mpjpe.toFixed(1)} | ${x.pmpjpe.toFixed(1)} | ${x.bestOfH.toFixed(1)} | ${x.meanSpread.toFixed(1)} | ${x.jointSpreadErrorR.toFixed(2)} / ${x.poseSpreadErrorR.toFixed(2)} |`,
    ),
  ];
}
