import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import { coverageReport } from '../eval/calibration-metrics.js';
import { liftTestSet } from '../eval/lift-test-set.js';
import { jointErrors } from '../eval/pose-metrics.js';
import { readSplit } from '../eval/test-set.js';
import { EXECUTOR_NAMES, type ExecutorName } from '../lift-options.js';
import type { PreparedSplit } from '../mocap/prepared-file.js';
import { makeExamples, strideFrames } from '../mocap/test-examples.js';
import { legsHidden, makeTestTracks, type TestTrack } from '../mocap/test-tracks.js';
import {
  CALIBRATION_KEY,
  CAUSAL_CALIBRATION_KEY,
  confidenceBands,
  fitCalibration,
  radius90,
} from '../model/calibration.js';
import { DEFAULT_TEMPORAL_WEIGHTS, loadWeightsBytes } from '../model/load-bytes.js';
import { fitNoiseGainRound, storedNoiseGain, withXyzNoiseGain } from '../model/noise-gain.js';
import { parseSafetensors, serializeSafetensors } from '../model/safetensors.js';
import { Rng } from '../pose/rng.js';
import { writeOutputFile } from './write-file.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';

export const CALIBRATE_FLAGS = [
  'weights',
  'output',
  'data',
  'stride',
  'executor',
  'cpu',
  'verbose',
  'temporal',
  'temporal-weights',
  'tracks',
  'keep-noise-gains',
];

/**
 * The validation set: every `stride`-th frame of the TRAINING split (or, --temporal, `tracks`
 * of its 64-frame tracks), its own cameras and detector noise, and each pose (each track's person)
 * given another person's proportions (pose/body-proportions.ts): the model has seen these poses
 * in training, but the people it is used on are new to it. Beside them LEGS_HIDDEN_TRACKS tracks
 * seen through a picture cut above the knees (mocap/test-tracks.ts legsHidden), as webcams frame
 * people: their hidden joints, and the upper bodies read from a pelvis out of the picture (the
 * band rule of model/calibration.ts), are what the lowest band's radii are fitted to.
 */
export const VALIDATION_SEED = 4242;
export const CONFIDENCE_BANDS = [0.5, 0.8];
const HYPOTHESES = 8;
const DEFAULT_TRACKS = 60;
const LEGS_HIDDEN_TRACKS = 30;
const LEGS_HIDDEN_SEED = VALIDATION_SEED + 1;

/** The validation tracks seen with the legs out of the picture (their own tracks, cameras and noise). */
function legsHiddenTracks(train: PreparedSplit): TestTrack[] {
  const rng = new Rng(LEGS_HIDDEN_SEED);
  return makeTestTracks(train, LEGS_HIDDEN_SEED, LEGS_HIDDEN_TRACKS, { varyProportions: true }).map((t) =>
    legsHidden(t, rng),
  );
}

/** The samples of one set of poses from its H = 8 and H = 1 lifts (`sigma`: the H = 1 lifter's, when it predicts its error). */
function samplesOf(
  multi: { poses: Float32Array; spread: Float32Array },
  single: { poses: Float32Array },
  truth: Float32Array,
  confidence: Float32Array,
  sigma?: Float32Array,
): Samples {
  return {
    error: jointErrors(multi.poses, truth),
    spread: Float64Array.from(multi.spread),
    singleError: jointErrors(single.poses, truth),
    confidence: Float64Array.from(confidence),
    sigma: sigma && Float64Array.from(sigma),
  };
}

/** Samples of several parts as one. */
function joinSamples(parts: Samples[]): Samples {
  const join = (k: Exclude<keyof Samples, 'sigma'>) => Float64Array.from(parts.flatMap((p) => Array.from(p[k])));
  const sigma = parts.every((p) => p.sigma) ? Float64Array.from(parts.flatMap((p) => Array.from(p.sigma!))) : undefined;
  return {
    error: join('error'),
    spread: join('spread'),
    singleError: join('singleError'),
    confidence: join('confidence'),
    ...(sigma ? { sigma } : {}),
  };
}

/** Per joint of every validation pose: the H = 8 lift's error and spread, the H = 1 lift's error, the 2D confidence. */
type Samples = Parameters<typeof fitCalibration>[0];
/** One calibration to fit: the metadata key it goes under, the window it is for (text), its samples. */
type Fit = { key: string; window: string; samples: Samples; what: string };

/**
 * `diffpose calibrate -o out.safetensors [--weights in]`: fits radius90 (model/calibration.ts) on
 * a validation set drawn from the training mocap (never the test split) — the weights' own lifts
 * (paper init, H = 8 and H = 1) of every 20th training frame with varied body proportions through
 * new random cameras and detector noise — and writes the weights with the calibration in their
 * metadata. Before the radii, frame weights get the paper init's per-joint xyz noise gains
 * (config diffusion.xyzNoiseGain, model/noise-gain.ts) fitted on the same examples, unless
 * --keep-noise-gains (a new calibration for weights whose lifts should stay as they are). With
 * --temporal the temporal file instead, from sequence lifts (offline and causal windows pooled)
 * of training-split tracks; its noise gains are left as they are.
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
      'usage: diffpose calibrate -o out.safetensors [--weights in.safetensors [--keep-noise-gains] | --temporal [--temporal-weights in.safetensors]] [--data DIR] [--stride N | --tracks N]',
    );
  const executorFlag = flagString(args, 'executor');
  if (executorFlag !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(executorFlag))
    throw new InputError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executorFlag}"`);
  const executor: ExecutorName = args.flags.has('cpu')
    ? 'cpu'
    : ((executorFlag as ExecutorName | undefined) ?? 'fused');
  const temporal = args.flags.has('temporal');
  for (const [flag, needs] of [
    ['temporal-weights', true],
    ['tracks', true],
    ['stride', false],
  ] as const)
    if (flagString(args, flag) !== undefined && temporal !== needs)
      throw new InputError(`--${flag} is ${needs ? 'for --temporal' : 'for frame weights, not --temporal'}`);
  const keepGains = args.flags.has('keep-noise-gains');
  if (keepGains && temporal)
    throw new InputError('--keep-noise-gains is for frame weights (--temporal never changes noise gains)');
  const stride = flagInt(args, 'stride') ?? 20;
  if (stride < 1) throw new InputError(`--stride must be >= 1, got ${stride}`);
  const trackCount = flagInt(args, 'tracks') ?? DEFAULT_TRACKS;
  if (trackCount < 1) throw new InputError(`--tracks must be >= 1, got ${trackCount}`);
  const frameBytes = await loadWeightsBytes(flagString(args, 'weights'));
  const temporalBytes = temporal
    ? await loadWeightsBytes(flagString(args, 'temporal-weights'), DEFAULT_TEMPORAL_WEIGHTS)
    : undefined;
  const train = readSplit(flagString(args, 'data') ?? 'data/prepared', 'train');
  const backend = executor === 'cpu' ? 'cpu' : 'gpu';
  const checks: string[] = [];
  // Frame weights: the paper init's per-joint noise gains first (they change the spreads the radii
  // are fitted to), unless kept: the radii alone refitted, the weights' lifts unchanged.
  const weights =
    temporal || keepGains ? frameBytes : await fitNoiseGain(frameBytes, train, stride, executor, log, checks);
  const model = await DiffPose.load({ weights, temporalWeights: temporalBytes ?? null, backend });
  try {
    const fits = temporal
      ? await sequenceSamples(model, train, trackCount, executor, log)
      : await frameSamples(model, train, stride, executor, log);
    const file = parseSafetensors(temporalBytes ?? weights);
    const metadata = { ...file.metadata };
    for (const { key, window, samples, what } of fits) {
      const cal = fitCalibration(
        samples,
        CONFIDENCE_BANDS,
        `radius90 fitted ${new Date().toISOString().slice(0, 10)} on ${what} (other people's proportions, cameras and detector noise seed ${VALIDATION_SEED}; paper init, H = ${HYPOTHESES} and 1) by diffpose calibrate`,
      );
      metadata[key] = JSON.stringify(cal);
      // The fit's own coverage (by construction about 90% per cell).
      const count = samples.error.length;
      const bands = confidenceBands(cal, samples.confidence, count);
      const check = coverageReport(
        samples.error,
        radius90(cal, Float32Array.from(samples.spread), bands, HYPOTHESES),
        samples.confidence,
        CONFIDENCE_BANDS,
      );
      const sigma = samples.sigma && Float32Array.from(samples.sigma);
      const checkSingle = coverageReport(
        samples.singleError,
        radius90(cal, new Float32Array(count), bands, 1, sigma),
        samples.confidence,
        CONFIDENCE_BANDS,
      );
      for (const [c, h] of [
        [check, HYPOTHESES],
        [checkSingle, 1],
      ] as const)
        checks.push(
          `validation coverage of radius90${window} (H = ${h}${h === 1 && sigma ? ", from the lifter's sigma" : ''}): ${(c.overall * 100).toFixed(1)}%; mean radius90 ${(c.meanRadius * 1000).toFixed(1)} mm, mean error ${(c.meanError * 1000).toFixed(1)} mm`,
        );
    }
    await writeOutputFile(output, serializeSafetensors(file.tensors, metadata), log);
    for (const line of checks) out(line);
  } finally {
    model.dispose();
  }
}

/** The validation examples of a frame calibration: every `stride`-th training frame. */
function validationExamples(train: PreparedSplit, stride: number) {
  return makeExamples(train.poses, strideFrames(train.clip, stride), (f) => train.clip[f], new Rng(VALIDATION_SEED), {
    varyProportions: true,
  });
}

/** Rounds of fitNoiseGainRound: the denoiser's pull is not linear in the start's width, so one round undershoots. */
const NOISE_GAIN_ROUNDS = 2;

/**
 * The frame weights with the paper init's per-joint xyz noise gains fitted (model/noise-gain.ts),
 * from the file's own gains (or ones) on the validation examples' H = 8 lifts.
 */
async function fitNoiseGain(
  bytes: Uint8Array,
  train: PreparedSplit,
  stride: number,
  executor: ExecutorName,
  log: (s: string) => void,
  checks: string[],
): Promise<Uint8Array> {
  const ex = validationExamples(train, stride);
  let gain: number[] = [];
  for (let round = 1; round <= NOISE_GAIN_ROUNDS; round++) {
    const model = await DiffPose.load({ weights: bytes, backend: executor === 'cpu' ? 'cpu' : 'gpu' });
    try {
      const current = model.weights.config.diffusion.xyzNoiseGain;
      const lift = await liftTestSet(model, ex, { executor, init: 'paper', hypotheses: HYPOTHESES, seed: 1 });
      gain = fitNoiseGainRound(jointErrors(lift.poses, ex.poses3d), lift.spread, current);
      log(`noise gains, round ${round} of ${NOISE_GAIN_ROUNDS}: ${gain.map((g) => g.toFixed(3)).join(' ')}`);
      bytes = withXyzNoiseGain(bytes, gain);
    } finally {
      model.dispose();
    }
  }
  checks.push(
    `paper init xyz noise gains per joint (fitted on the validation examples, H = ${HYPOTHESES}): ${storedNoiseGain(gain).join(' ')}`,
  );
  return bytes;
}

/** Frame lifts of every `stride`-th training frame and of every frame of the legs-hidden tracks. */
async function frameSamples(
  model: DiffPose,
  train: PreparedSplit,
  stride: number,
  executor: ExecutorName,
  log: (s: string) => void,
): Promise<Fit[]> {
  const ex = validationExamples(train, stride);
  const hidden = legsHiddenTracks(train);
  const hiddenFrames = hidden.reduce((n, t) => n + t.frames, 0);
  log(
    `calibrating on ${ex.count} validation examples (every ${stride}th training frame, seed ${VALIDATION_SEED}) and ${hiddenFrames} frames of ${hidden.length} legs-hidden tracks, executor ${executor} on ${model.adapter}`,
  );
  const lifts = { executor, init: 'paper' as const, seed: 1 };
  const multi = await liftTestSet(model, ex, { ...lifts, hypotheses: HYPOTHESES });
  const single = await liftTestSet(model, ex, { ...lifts, hypotheses: 1 });
  const parts = [samplesOf(multi, single, ex.poses3d, ex.confidence, single.sigma)];
  for (const t of hidden) {
    const options = { ...lifts, imageSize: t.imageSize, confidence: t.confidence };
    const one = await model.lift(t.keypoints, { ...options, hypotheses: 1 });
    const eight = await model.lift(t.keypoints, { ...options, hypotheses: HYPOTHESES });
    parts.push(samplesOf(eight, one, t.poses3d, t.confidence, one.sigma));
  }
  return [
    {
      key: CALIBRATION_KEY,
      window: '',
      samples: joinSamples(parts),
      what: `${ex.count} validation examples (every ${stride}th frame of the training split) and ${hiddenFrames} frames of ${hidden.length} training-split tracks with the legs out of the picture`,
    },
  ];
}

/** Sequence lifts of `count` training-split tracks and of the legs-hidden tracks, each with the offline and the causal window. */
async function sequenceSamples(
  model: DiffPose,
  train: PreparedSplit,
  count: number,
  executor: ExecutorName,
  log: (s: string) => void,
): Promise<Fit[]> {
  const tracks = makeTestTracks(train, VALIDATION_SEED, count, { varyProportions: true });
  const hidden = legsHiddenTracks(train);
  const frames = tracks.reduce((n, t) => n + t.frames, 0);
  const hiddenFrames = hidden.reduce((n, t) => n + t.frames, 0);
  log(
    `calibrating the temporal model on ${tracks.length} training-split tracks (${frames} frames, seed ${VALIDATION_SEED}) and ${hidden.length} legs-hidden ones (${hiddenFrames} frames), offline and causal, executor ${executor} on ${model.adapter}`,
  );
  const fits: Fit[] = [];
  for (const causal of [false, true]) {
    const parts: Samples[] = [];
    for (const t of [...tracks, ...hidden]) {
      const options = {
        imageSize: t.imageSize,
        confidence: t.confidence,
        init: 'paper' as const,
        seed: 1,
        causal,
        executor,
      };
      const multi = await model.liftSequence(t.keypoints, { ...options, hypotheses: HYPOTHESES });
      const single = await model.liftSequence(t.keypoints, { ...options, hypotheses: 1 });
      parts.push(samplesOf(multi, single, t.poses3d, t.confidence));
    }
    const window = causal ? 'causal' : 'offline';
    fits.push({
      // The windows' errors and spreads differ: each gets its own fit (the offline one under the frame model's key).
      key: causal ? CAUSAL_CALIBRATION_KEY : CALIBRATION_KEY,
      window: `, ${window} window`,
      samples: joinSamples(parts),
      what: `${tracks.length} training-split tracks of up to 64 frames (${frames} frames) and ${hidden.length} with the legs out of the picture (${hiddenFrames} frames), ${window} window`,
    });
  }
  return fits;
}
