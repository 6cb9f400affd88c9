import { writeFile } from 'node:fs/promises';
import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import { evaluate } from '../eval/evaluate.js';
import { BASELINE_SEED, BASELINE_STRIDE, meanPoseBaselines } from '../eval/mean-pose-baselines.js';
import { formatReport } from '../eval/report-table.js';
import { loadTestSet, readSplit } from '../eval/test-set.js';
import { EXECUTOR_NAMES, MAX_HYPOTHESES, type ExecutorName } from '../lift-options.js';
import { TEST_SEED } from '../mocap/test-examples.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';

export const EVAL_FLAGS = ['weights', 'data', 'hypotheses', 'limit', 'executor', 'cpu', 'json', 'seed', 'verbose'];

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
  const hypotheses = positive(args, 'hypotheses', MAX_HYPOTHESES) ?? 8;
  const limit = positive(args, 'limit');
  const seed = flagInt(args, 'seed') ?? 0;
  const dataDir = flagString(args, 'data') ?? 'data/prepared';
  const weightsPath = flagString(args, 'weights');

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
    const report = await evaluate(model, test, baseline, { executor, hypotheses, seed, log });
    out('');
    for (const line of formatReport(report)) out(line);
    const seconds = (performance.now() - started) / 1000;
    log(`evaluated in ${seconds.toFixed(1)} s`);
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
      try {
        await writeFile(json, JSON.stringify(doc, null, 1) + '\n');
      } catch (e) {
        throw new InputError(`cannot write ${json}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      log(`-> ${json}`);
    }
  } finally {
    model.dispose();
  }
}
