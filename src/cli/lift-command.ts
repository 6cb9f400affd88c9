import { DiffPose, type LiftResult } from '../diffpose.js';
import { InputError } from '../errors.js';
import { EXECUTOR_NAMES, MAX_HYPOTHESES, type ExecutorName, type LiftOptions } from '../lift-options.js';
import { parseImageSizeText, toPixels, type KeypointFile } from '../pose/keypoint-file.js';
import { fillMissingJoints, type PreparedKeypoints } from '../pose/missing-joints.js';
import { sanityWarnings } from '../pose/sanity.js';
import { H36M_BONES, H36M_JOINTS, NUM_JOINTS } from '../pose/skeleton.js';
import { MIN_KEYPOINT_SCORE, MIN_PERSON_SCORE, TRACK_MODES, dropWeakDetections, trackPeople, type KeypointTrack, type TrackMode } from '../pose/track-people.js';
import { checkKnownFlags, flagInt, flagNumber, flagString, type ParsedArgs } from './args.js';
import { readKeypointInput } from './keypoint-input.js';
import { DEFAULT_HYPOTHESES } from './lift-defaults.js';
import { SCHEMA_VERSION, checkOutputPath, trackFrames, writeWhole } from './lift-output.js';
import { createProgress } from './progress.js';

export const LIFT_FLAGS = ['output', 'format', 'image-size', 'normalised', 'fps', 'track', 'min-person-score', 'min-keypoint-score',
  'hypotheses', 'timesteps', 'init', 'seed', 'weights', 'samples', 'executor', 'cpu', 'verbose', 'eta'];

/**
 * Frames per lift call. Each call's random draws are keyed by the pose's index within the call,
 * so the output equals `model.lift` on each run of up to this many frames of a track (not on the
 * whole track at once); small enough for the progress bar to move on a software adapter.
 */
export const CHUNK_FRAMES = 32;

/** How long the first GPU lift may take before the CLI says it is compiling kernels (ms; DIFFPOSE_COMPILE_NOTICE_MS overrides). */
export const COMPILE_NOTICE_MS = 3000;

function imageSizeOf(text: string | undefined, file: KeypointFile, input: string): [number, number] {
  if (text !== undefined) return parseImageSizeText(text, '--image-size');
  if (file.imageSize) return file.imageSize;
  throw new InputError(`${input} does not say its image size (${file.layout} files never do): pass --image-size WIDTHxHEIGHT`);
}

function timestepsOf(text: string | undefined): number[] | undefined {
  return text?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new InputError(`--timesteps must be comma-separated integers, got "${text}"`);
    return Number(s);
  });
}

/** Lift options from the flags, checked before anything is read or loaded. */
function liftOptions(args: ParsedArgs, imageSize: [number, number]): LiftOptions {
  const executor = flagString(args, 'executor');
  if (executor !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(executor)) throw new InputError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executor}"`);
  const hypotheses = flagInt(args, 'hypotheses') ?? DEFAULT_HYPOTHESES;
  if (hypotheses < 1 || hypotheses > MAX_HYPOTHESES) throw new InputError(`--hypotheses must be an integer in [1, ${MAX_HYPOTHESES}], got ${hypotheses}`);
  return {
    imageSize, format: 'h36m17', timesteps: timestepsOf(flagString(args, 'timesteps')),
    hypotheses, seed: flagInt(args, 'seed'), eta: flagNumber(args, 'eta', 0),
    init: flagString(args, 'init') as LiftOptions['init'],
    samples: args.flags.has('samples'),
    executor: executor as ExecutorName | undefined,
  };
}

/** Lifts one track's prepared 2D in chunks of CHUNK_FRAMES; `onChunk` is told how many frames each finished chunk had. */
async function liftTrack(model: DiffPose, input: PreparedKeypoints, options: LiftOptions, onChunk: (frames: number) => void): Promise<LiftResult> {
  const n = input.confidence.length / NUM_JOINTS;
  const parts: LiftResult[] = [];
  for (let at = 0; at < n; at += CHUNK_FRAMES) {
    const end = Math.min(n, at + CHUNK_FRAMES);
    // poseOffset: the chunks draw exactly what one call on the whole track would.
    parts.push(await model.lift(input.keypoints.slice(at * NUM_JOINTS * 2, end * NUM_JOINTS * 2), {
      ...options, confidence: input.confidence.slice(at * NUM_JOINTS, end * NUM_JOINTS), poseOffset: at,
    }));
    onChunk(end - at);
  }
  const cat = (get: (r: LiftResult) => Float32Array | undefined): Float32Array | undefined => {
    if (parts.some((r) => !get(r))) return undefined;
    const out = new Float32Array(parts.reduce((s, r) => s + get(r)!.length, 0));
    let o = 0;
    for (const r of parts) { out.set(get(r)!, o); o += get(r)!.length; }
    return out;
  };
  return { ...parts[0], poses: cat((r) => r.poses)!, spread: cat((r) => r.spread)!, samples: cat((r) => r.samples) };
}

/** Says "compiling GPU kernels ..." when the first GPU call takes long (a cold shader compile); returns the stop function. */
function compileNotice(log: (s: string) => void, gpu: boolean): () => void {
  if (!gpu) return () => {};
  const env = Number(process.env.DIFFPOSE_COMPILE_NOTICE_MS);
  const ms = Number.isFinite(env) && env >= 0 ? env : COMPILE_NOTICE_MS;
  const timer = setTimeout(() => log('compiling GPU kernels for this adapter (first run only; up to a minute or two on a software adapter)…'), ms);
  return () => clearTimeout(timer);
}

/** The file's frame numbers: numeric ids as they are, others by their index in time order. */
function frameNumbers(file: KeypointFile): (id: number | string) => number {
  const index = new Map(file.frames.map((f, i) => [f.id, i]));
  return (id) => (typeof id === 'number' ? id : index.get(id)!);
}

/** fps: --fps, else the file's, else from the file's timestamps (their mean step, to 0.01 fps: timestamps are often rounded to whole ms). */
function fpsOf(args: ParsedArgs, file: KeypointFile): number | undefined {
  const flag = flagNumber(args, 'fps', Number.MIN_VALUE);
  if (flag !== undefined) return flag;
  if (file.fps) return file.fps;
  const times = file.frames.map((f) => f.time).filter((t): t is number => t !== undefined);
  if (times.length < 2 || times.length !== file.frames.length) return undefined;
  const step = (times[times.length - 1] - times[0]) / (times.length - 1);
  return step > 0 ? Math.round(100 / step) / 100 : undefined;
}

/** `diffpose lift <input> [-o out.json] ...`: lifts every person of a keypoint file; logs what was read and a summary line. */
export async function liftCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, LIFT_FLAGS, 'lift');
  const [input] = args.positional;
  if (!input || args.positional.length > 1) throw new InputError('usage: diffpose lift <input> [-o out.json] [options] (diffpose lift --help lists them)');
  const track = (flagString(args, 'track') ?? 'auto') as TrackMode;
  if (!TRACK_MODES.includes(track)) throw new InputError(`--track must be one of ${TRACK_MODES.join(', ')}, got "${track}"`);
  const minPerson = flagNumber(args, 'min-person-score', 0, 1) ?? MIN_PERSON_SCORE;
  const minKeypoint = flagNumber(args, 'min-keypoint-score', 0, 1) ?? MIN_KEYPOINT_SCORE;
  const imageSizeFlag = flagString(args, 'image-size');
  const options = liftOptions(args, imageSizeFlag ? parseImageSizeText(imageSizeFlag, '--image-size') : [1, 1]);
  const output = flagString(args, 'output');
  if (output) await checkOutputPath(output);

  let file = await readKeypointInput(input, { format: flagString(args, 'format') });
  const imageSize = imageSizeOf(imageSizeFlag, file, input);
  options.imageSize = imageSize;
  const assumed = [...file.assumed];
  if (file.normalised || args.flags.has('normalised')) {
    assumed.push(`coordinates normalised to [0, 1]: scaled by the image size ${imageSize.join('x')}`);
    file = toPixels(file, imageSize);
  }
  const fps = fpsOf(args, file);
  const weak = dropWeakDetections(file, minPerson, minKeypoint);
  const tracks = trackPeople(weak.file, track);
  if (tracks.length === 0) throw new InputError(`${input}: no detection is left to lift (all ${weak.dropped} under --min-person-score ${minPerson} or with fewer than 2 keypoints)`);
  const frameCount = file.frames.length;
  log(`read ${input}: ${file.layout}, format ${file.format}, ${frameCount} frames, ${tracks.length} ${tracks.length === 1 ? 'person' : 'people'}` +
    `${tracks.some((t) => t.id !== undefined) ? ' (tracked by the file\'s ids)' : ''}, image ${imageSize.join('x')}${fps ? `, ${fps} fps` : ''}` +
    `${weak.dropped ? `; dropped ${weak.dropped} detection${weak.dropped === 1 ? '' : 's'} (person score < ${minPerson} or < 2 keypoints)` : ''}`);
  for (const a of assumed) log(`assumed ${a}`);
  for (const w of sanityWarnings(file, imageSize)) log(`diffpose: warning: ${w}`);

  const prepared = tracks.map((t) => fillMissingJoints(file.format, t.frames.length, t.keypoints, t.confidence, imageSize, minKeypoint));
  const filled = prepared.reduce((s, p) => s + p.missing.reduce((a, m) => a + m, 0), 0);
  if (filled) log(`filled in ${filled} missing joint${filled === 1 ? '' : 's'} from the rest of each skeleton (confidence 0)`);
  const hypotheses = options.hypotheses!;
  if (hypotheses === 1) log('one hypothesis: no per-joint spread in the output (pass --hypotheses 2 or more for the uncertainty)');

  const started = performance.now();
  const cpu = args.flags.has('cpu') || options.executor === 'cpu';
  const model = await DiffPose.load({ weights: flagString(args, 'weights'), backend: cpu ? 'cpu' : 'gpu' });
  try {
    const total = tracks.reduce((s, t) => s + t.frames.length, 0);
    const progress = createProgress(total, 'frames');
    const frameNumber = frameNumbers(file);
    let done = 0;
    const people = [];
    try {
      for (const [i, t] of tracks.entries()) {
        const stop = i === 0 ? compileNotice(log, !cpu) : () => {};
        let r: LiftResult;
        try {
          r = await liftTrack(model, prepared[i], options, (n) => { stop(); progress.update(done += n); });
        } finally {
          stop();
        }
        people.push(personOutput(t, trackFrames(t, frameNumber, fps, prepared[i], r, hypotheses > 1)));
      }
    } finally {
      progress.finish();
    }
    const seconds = (performance.now() - started) / 1000;
    const doc = {
      schemaVersion: SCHEMA_VERSION,
      units: 'metres, camera frame (x right, y down, z forward), root-relative',
      jointNames: H36M_JOINTS, skeleton: H36M_BONES,
      input: { file: input, layout: file.layout, format: file.format, assumed },
      imageSize, inputFormat: file.format, ...(fps ? { fps } : {}),
      hypotheses, timesteps: options.timesteps ?? [12, 0], init: options.init ?? 'paper', seed: options.seed ?? 0, eta: options.eta ?? 0,
      minPersonScore: minPerson, minKeypointScore: minKeypoint,
      adapter: model.adapter, model: model.weights.metadata['diffpose.source'] ?? '',
      people,
    };
    const json = JSON.stringify(doc) + '\n';
    if (output) await writeWhole(output, json);
    else process.stdout.write(json);
    log(`lifted ${total} frames of ${tracks.length} ${tracks.length === 1 ? 'person' : 'people'} x ${hypotheses} ${hypotheses === 1 ? 'hypothesis' : 'hypotheses'} ` +
      `in ${seconds.toFixed(2)} s (${(seconds * 1000 / total).toFixed(1)} ms/frame, model load included) on ${model.adapter}${output ? ` -> ${output}` : ''}`);
  } finally {
    model.dispose();
  }
}

function personOutput(t: KeypointTrack, frames: ReturnType<typeof trackFrames>) {
  return { person: t.person, ...(t.id !== undefined ? { id: t.id } : {}), frames };
}
