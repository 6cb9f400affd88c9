import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import { evaluate } from '../eval/evaluate.js';
import { evaluateHeatmaps, formatHeatmapReport } from '../eval/heatmap-eval.js';
import { HEATMAP_FIT } from '../model/heatmap-fit.js';
import { reliabilitySvg } from '../eval/calibration-metrics.js';
import { evaluateTemporal, formatTemporalReport } from '../eval/temporal-eval.js';
import { makeTestTracks, TRACKS_SEED } from '../mocap/test-tracks.js';
import { BASELINE_SEED, BASELINE_STRIDE, meanPoseBaselines } from '../eval/mean-pose-baselines.js';
import { formatReport } from '../eval/report-table.js';
import { loadTestSet, readSplit } from '../eval/test-set.js';
import { EXECUTOR_NAMES, MAX_HYPOTHESES, type ExecutorName } from '../lift-options.js';
import { TEST_SEED } from '../mocap/test-examples.js';
import { writeOutputFile } from './write-file.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';

export const EVAL_FLAGS = [
  'weights',
  'temporal-weights',
  'data',
  'hypotheses',
  'limit',
  'executor',
  'cpu',
  'json',
  'seed',
  'verbose',
  'temporal',
  'tracks',
  'svg',
  'heatmaps',
];

function positive(args: ParsedArgs, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = flagInt(args, name);
  if (v !== undefined && (v < 1 || v > max))
    throw new InputError(`--${name} must be an integer in [1, ${max}], got ${v}`);
  return v;
}

/**
 * `diffpose eval`: accuracy on the fixed-seed test set (docs/camera-model.md) built from the
 * prepared test split: MPJPE and P-MPJPE per source folder for the mean-pose baselines, the
 * lifter alone and DiffPose (official and paper init), plus the quality of the H-hypothesis
 * uncertainty. The table goes to `out` (stdout), progress to `log` (stderr).
 */
export async function evalCommand(args: ParsedArgs, out: (s: string) => void, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, EVAL_FLAGS);
  if (args.positional.length)
    throw new InputError(`diffpose eval takes no positional arguments (got "${args.positional[0]}")`);
  const executorFlag = flagString(args, 'executor');
  if (executorFlag !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(executorFlag))
    throw new InputError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executorFlag}"`);
  const executor: ExecutorName = args.flags.has('cpu')
    ? 'cpu'
    : ((executorFlag as ExecutorName | undefined) ?? 'per-op');
  if (args.flags.has('temporal')) return temporalEval(args, executorFlag as ExecutorName | undefined, out, log);
  if (flagString(args, 'tracks') !== undefined) throw new InputError('--tracks is for --temporal');
  const hypotheses = positive(args, 'hypotheses', MAX_HYPOTHESES) ?? 8;
  const limit = positive(args, 'limit');
  const seed = flagInt(args, 'seed') ?? 0;
  const dataDir = flagString(args, 'data') ?? 'data/prepared';
  const weightsPath = flagString(args, 'weights');
  const heatmaps = positive(args, 'heatmaps', HEATMAP_FIT.maxComponents);

  const started = performance.now();
  const test = loadTestSet(readSplit(dataDir, 'test'), limit);
  const baseline = meanPoseBaselines(readSplit(dataDir, 'train'));
  const model = await DiffPose.load({ weights: weightsPath, backend: executor === 'cpu' ? 'cpu' : 'gpu' });
  try {
    const source = model.weights.metadata['diffpose.source'] ?? '';
    const c = model.config;
    out(`weights: ${weightsPath ?? 'bundled weights/diffpose.safetensors'}${source ? ` (${source})` : ''}`);
    out(
      `model: lifter h${c.lifter.hidden} L${c.lifter.layers}, denoiser h${c.denoiser.hidden} L${c.denoiser.layers}; timesteps [12, 0], eta 0, seed ${seed}`,
    );
    out(
      `test set: ${test.examples.count} of ${test.total} examples (seed ${TEST_SEED}, every 3rd frame of ${dataDir}/test.safetensors); executor ${executor} on ${model.adapter}`,
    );
    out(
      `baselines: mean of ${baseline.frames} training poses (every ${BASELINE_STRIDE}th frame, camera seed ${BASELINE_SEED})`,
    );
    log('evaluating:');
    if (heatmaps !== undefined) {
      // --heatmaps K: the test set from simulated ambiguous heatmaps, one Gaussian per joint against K.
      const components = heatmaps === 1 ? [1] : [1, heatmaps];
      const report = await evaluateHeatmaps(model, test, { executor, hypotheses, seed, components, log });
      out('');
      for (const line of formatHeatmapReport(report)) out(line);
      log(`evaluated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const json = flagString(args, 'json');
      if (json)
        await writeOutputFile(
          json,
          JSON.stringify({ adapter: model.adapter, executor, seed, ...report }, null, 1) + '\n',
          log,
        );
      return;
    }
    const report = await evaluate(model, test, baseline, { executor, hypotheses, seed, log });
    out('');
    for (const line of formatReport(report)) out(line);
    const seconds = (performance.now() - started) / 1000;
    log(`evaluated in ${seconds.toFixed(1)} s`);
    const svg = flagString(args, 'svg');
    if (svg) {
      if (!report.calibration)
        throw new InputError('--svg draws the radius90 reliability diagram: these weights have no calibration');
      const title = `radius90 reliability, paper init, H=${report.calibration.hypotheses}, ${test.examples.count} test examples`;
      await writeOutputFile(svg, reliabilitySvg(report.calibration.multi, title), log);
    }
    const json = flagString(args, 'json');
    if (json) {
      const doc = {
        date: new Date().toISOString(),
        weights: weightsPath ?? 'weights/diffpose.safetensors',
        weightsSource: source,
        config: c,
        data: dataDir,
        examples: test.examples.count,
        totalExamples: test.total,
        testSeed: TEST_SEED,
        seed,
        executor,
        adapter: model.adapter,
        units: 'mm',
        baselineFrames: baseline.frames,
        seconds,
        ...report,
      };
      await writeOutputFile(json, JSON.stringify(doc, null, 1) + '\n', log);
    }
  } finally {
    model.dispose();
  }
}

/** Training-split tracks the smoothing baselines are tuned on. */
const TUNE_TRACKS = 40;

/**
 * `diffpose eval --temporal`: the frame model, it smoothed after the fact, and the temporal
 * model's two windows on the fixed test tracks (src/eval/temporal-eval.ts).
 */
async function temporalEval(
  args: ParsedArgs,
  executorFlag: ExecutorName | undefined,
  out: (s: string) => void,
  log: (s: string) => void,
): Promise<void> {
  if (executorFlag === 'per-op')
    throw new InputError('--temporal runs on the fused executors or the CPU (the per-op executor has no FiLM kernel)');
  const executor: ExecutorName = args.flags.has('cpu') ? 'cpu' : (executorFlag ?? 'fused');
  const dataDir = flagString(args, 'data') ?? 'data/prepared';
  const limit = positive(args, 'tracks');
  const weights = flagString(args, 'weights'),
    temporalWeights = flagString(args, 'temporal-weights');
  if (weights && !temporalWeights) throw new InputError('with --weights, --temporal needs --temporal-weights too');
  const started = performance.now();
  const tracks = makeTestTracks(readSplit(dataDir, 'test'), TRACKS_SEED, limit);
  const tune = makeTestTracks(readSplit(dataDir, 'train'), TRACKS_SEED + 1, TUNE_TRACKS);
  const model = await DiffPose.load({ weights, temporalWeights, backend: executor === 'cpu' ? 'cpu' : 'gpu' });
  try {
    out(
      `weights: ${weights ?? 'bundled weights/diffpose.safetensors'} and ${temporalWeights ?? 'weights/diffpose-temporal.safetensors'}; official init, H = 1, DDIM [12, 0]; executor ${executor} on ${model.adapter}`,
    );
    log('evaluating:');
    const report = await evaluateTemporal(model, tracks, tune, { executor, log });
    out('');
    for (const line of formatTemporalReport(report)) out(line);
    const seconds = (performance.now() - started) / 1000;
    log(`evaluated in ${seconds.toFixed(1)} s`);
    const json = flagString(args, 'json');
    if (json) {
      const doc = {
        date: new Date().toISOString(),
        weights: weights ?? 'weights/diffpose.safetensors',
        temporalWeights: temporalWeights ?? 'weights/diffpose-temporal.safetensors',
        data: dataDir,
        executor,
        adapter: model.adapter,
        seconds,
        ...report,
      };
      await writeOutputFile(json, JSON.stringify(doc, null, 1) + '\n', log);
    }
  } finally {
    model.dispose();
  }
}
