import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import { coverageReport } from '../eval/calibration-metrics.js';
import { liftTestSet } from '../eval/lift-test-set.js';
import { jointErrors } from '../eval/pose-metrics.js';
import { readSplit } from '../eval/test-set.js';
import { EXECUTOR_NAMES, type ExecutorName } from '../lift-options.js';
import { makeExamples, strideFrames } from '../mocap/test-examples.js';
import { CALIBRATION_KEY, confidenceBands, fitCalibration, radius90 } from '../model/calibration.js';
import { loadWeightsBytes } from '../model/load-bytes.js';
import { parseSafetensors, serializeSafetensors } from '../model/safetensors.js';
import { Rng } from '../pose/rng.js';
import { writeOutputFile } from './write-file.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';

export const CALIBRATE_FLAGS = ['weights', 'output', 'data', 'stride', 'executor', 'cpu', 'verbose'];

/**
 * The validation set: every `stride`-th frame of the TRAINING split, its own cameras and detector
 * noise, and each pose given another person's proportions (pose/body-proportions.ts): the model
 * has seen these poses in training, but the people it is used on are new to it.
 */
export const VALIDATION_SEED = 4242;
export const CONFIDENCE_BANDS = [0.5, 0.8];
const HYPOTHESES = 8;

/**
 * `diffpose calibrate -o out.safetensors [--weights in]`: fits radius90 (model/calibration.ts) on
 * a validation set drawn from the training mocap (never the test split): the weights' own lifts
 * (paper init, H = 8 and H = 1) of every 20th training frame with varied body proportions through
 * new random cameras and detector noise, and writes the weights with the calibration in their metadata.
 */
export async function calibrateCommand(
  args: ParsedArgs,
  out: (s: string) => void,
  log: (s: string) => void,
): Promise<void> {
  checkKnownFlags(args, CALIBRATE_FLAGS, 'calibrate');
  const output = flagString(args, 'output');
  if (!output)
    throw new InputError(
      'usage: diffpose calibrate -o out.safetensors [--weights in.safetensors] [--data DIR] [--stride N]',
    );
  const executorFlag = flagString(args, 'executor');
  if (executorFlag !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(executorFlag))
    throw new InputError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executorFlag}"`);
  const executor: ExecutorName = args.flags.has('cpu')
    ? 'cpu'
    : ((executorFlag as ExecutorName | undefined) ?? 'fused');
  const stride = flagInt(args, 'stride') ?? 20;
  if (stride < 1) throw new InputError(`--stride must be >= 1, got ${stride}`);
  const weightsPath = flagString(args, 'weights');
  const bytes = await loadWeightsBytes(weightsPath);
  const train = readSplit(flagString(args, 'data') ?? 'data/prepared', 'train');
  const ex = makeExamples(
    train.poses,
    strideFrames(train.clip, stride),
    (f) => train.clip[f],
    new Rng(VALIDATION_SEED),
    { varyProportions: true },
  );
  const model = await DiffPose.load({
    weights: bytes,
    temporalWeights: null,
    backend: executor === 'cpu' ? 'cpu' : 'gpu',
  });
  try {
    log(
      `calibrating on ${ex.count} validation examples (every ${stride}th training frame, seed ${VALIDATION_SEED}), executor ${executor} on ${model.adapter}`,
    );
    const multi = await liftTestSet(model, ex, { executor, init: 'paper', hypotheses: HYPOTHESES, seed: 1 });
    const single = await liftTestSet(model, ex, { executor, init: 'paper', hypotheses: 1, seed: 1 });
    const cal = fitCalibration(
      {
        error: jointErrors(multi.poses, ex.poses3d),
        spread: Float64Array.from(multi.spread),
        singleError: jointErrors(single.poses, ex.poses3d),
        confidence: Float64Array.from(ex.confidence),
      },
      CONFIDENCE_BANDS,
      `radius90 fitted ${new Date().toISOString().slice(0, 10)} on ${ex.count} validation examples (every ${stride}th frame of the training split, other people's proportions, cameras and detector noise seed ${VALIDATION_SEED}; paper init, H = ${HYPOTHESES} and 1) by diffpose calibrate`,
    );
    const file = parseSafetensors(bytes);
    await writeOutputFile(
      output,
      serializeSafetensors(file.tensors, { ...file.metadata, [CALIBRATION_KEY]: JSON.stringify(cal) }),
      log,
    );
    // The fit's own coverage (by construction about 90% per cell).
    const check = coverageReport(
      jointErrors(multi.poses, ex.poses3d),
      radius90(cal, multi.spread, confidenceBands(cal, ex.confidence, ex.count * 17), HYPOTHESES),
      ex.confidence,
      CONFIDENCE_BANDS,
    );
    out(
      `validation coverage of radius90 (H = ${HYPOTHESES}): ${(check.overall * 100).toFixed(1)}%; mean radius90 ${(check.meanRadius * 1000).toFixed(1)} mm, mean error ${(check.meanError * 1000).toFixed(1)} mm`,
    );
  } finally {
    model.dispose();
  }
}
