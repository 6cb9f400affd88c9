// What makes the raw spread honest (issue 18, item 2): the test split lifted with the paper init
// under each knob — hypotheses, reverse steps, DDIM eta, the width of the 2D mixtures the start
// is drawn from — and, per setting, the MPJPE of the mean, the mean spread, error / spread, the
// spread-error correlation per joint and per pose, and the coverage of the weights' radius90
// (fitted for H = 8, steps [12, 0], eta 0, mixtures from confidences).
//   npx tsx bench/spread-knobs.ts [--limit N] [--data data/prepared] [--only name,name]
import { parseArgs } from 'node:util';
import { DiffPose } from '../src/diffpose.js';
import { coverageReport } from '../src/eval/calibration-metrics.js';
import { byImageSize } from '../src/eval/lift-test-set.js';
import { jointErrors, mean, meanPerPose, pearson } from '../src/eval/pose-metrics.js';
import { loadTestSet, readSplit } from '../src/eval/test-set.js';
import type { LiftOptions } from '../src/lift-options.js';
import { sigmaFromConfidence } from '../src/pose/input.js';

interface Knob {
  name: string;
  options: Omit<LiftOptions, 'imageSize' | 'confidence'>;
  /** Multiplies the 2D mixture's std (sigmaFromConfidence) the start is drawn from. */
  width?: number;
}

const base = { init: 'paper' as const, hypotheses: 8, seed: 1, executor: 'fused' as const };
const KNOBS: Knob[] = [
  { name: 'default (H 8, steps [12,0], eta 0)', options: base },
  { name: 'H 4', options: { ...base, hypotheses: 4 } },
  { name: 'H 16', options: { ...base, hypotheses: 16 } },
  { name: 'H 32', options: { ...base, hypotheses: 32 } },
  { name: 'steps [25,12,0]', options: { ...base, timesteps: [25, 12, 0] } },
  { name: 'steps [50,37,25,12,0]', options: { ...base, timesteps: [50, 37, 25, 12, 0] } },
  { name: 'steps [12,6,0]', options: { ...base, timesteps: [12, 6, 0] } },
  { name: 'eta 0.5', options: { ...base, eta: 0.5 } },
  { name: 'eta 1', options: { ...base, eta: 1 } },
  { name: 'mixture width x0.5', options: base, width: 0.5 },
  { name: 'mixture width x2', options: base, width: 2 },
  { name: 'mixture width x4', options: base, width: 4 },
];

const { values } = parseArgs({
  options: { limit: { type: 'string' }, data: { type: 'string' }, only: { type: 'string' } },
});
const test = loadTestSet(readSplit(values.data ?? 'data/prepared', 'test'), values.limit ? +values.limit : undefined);
const ex = test.examples;
const model = await DiffPose.load({ temporalWeights: null });
const cal = model.weights.calibration;
const only = values.only?.split(',');
console.log(`${ex.count} test examples, ${model.adapter}; radius90 fitted for the default setting`);
console.log('| setting | MPJPE mm | mean spread mm | error / spread | r joint | r pose | radius90 coverage | s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const knob of KNOBS) {
  if (only && !only.some((o) => knob.name.startsWith(o))) continue;
  const t0 = performance.now();
  const poses = new Float32Array(ex.count * 51);
  const spread = new Float32Array(ex.count * 17);
  const radius = new Float32Array(ex.count * 17);
  for (const idx of byImageSize(ex).values()) {
    const w = ex.imageSize[2 * idx[0]],
      h = ex.imageSize[2 * idx[0] + 1];
    const keypoints = new Float32Array(idx.length * 34);
    const confidence = new Float32Array(idx.length * 17);
    idx.forEach((e, i) => {
      keypoints.set(ex.keypoints.subarray(e * 34, e * 34 + 34), i * 34);
      confidence.set(ex.confidence.subarray(e * 17, e * 17 + 17), i * 17);
    });
    // A caller's one-component mixture at the keypoints, the default width times the knob (pixels: uv x w / 2).
    const gmm = knob.width
      ? {
          components: 1,
          weights: new Float32Array(idx.length * 17).fill(1),
          means: keypoints,
          sigmas: Float32Array.from({ length: idx.length * 34 }, (_, k) => {
            return (knob.width! * sigmaFromConfidence(confidence[k >> 1]) * w) / 2;
          }),
        }
      : undefined;
    const r = await model.lift(keypoints, { ...knob.options, imageSize: [w, h], confidence, gmm });
    idx.forEach((e, i) => {
      poses.set(r.poses.subarray(i * 51, i * 51 + 51), e * 51);
      spread.set(r.spread.subarray(i * 17, i * 17 + 17), e * 17);
      if (r.radius90) radius.set(r.radius90.subarray(i * 17, i * 17 + 17), e * 17);
    });
  }
  const errors = jointErrors(poses, ex.poses3d);
  const nonRoot = (a: ArrayLike<number>) => Float64Array.from(a).filter((_, k) => k % 17 !== 0);
  const e = nonRoot(errors),
    s = nonRoot(spread);
  const coverage = cal ? coverageReport(errors, radius, ex.confidence, cal.bands).overall : NaN;
  const row = [
    knob.name,
    (mean(meanPerPose(errors)) * 1000).toFixed(1),
    (mean(s) * 1000).toFixed(1),
    (mean(e) / mean(s)).toFixed(2),
    pearson(s, e).toFixed(3),
    pearson(meanPerPose(Float64Array.from(spread)), meanPerPose(errors)).toFixed(3),
    `${(coverage * 100).toFixed(1)}%`,
    ((performance.now() - t0) / 1000).toFixed(0),
  ];
  console.log(`| ${row.join(' | ')} |`);
}
model.dispose();
