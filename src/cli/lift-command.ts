import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { heatmapLiftCommand } from './heatmap-lift.js';
import { DiffPose, sliceResult, type LiftResult } from '../diffpose.js';
import { DiffPoseError, InputError } from '../errors.js';
import { concatFloats, EXECUTOR_NAMES, MAX_HYPOTHESES, type ExecutorName, type LiftOptions } from '../lift-options.js';
import { FORMATS, keypointFormat } from '../pose/formats.js';
import {
  parseImageSizeText,
  toPixels,
  type Detection,
  type FrameDetections,
  type KeypointFile,
} from '../pose/keypoint-file.js';
import { openCsvStream } from '../pose/keypoint-stream.js';
import { MAX_OUTSIDE_IMAGE } from '../pose/input.js';
import { fillMissingJoints, markFarKeypoints } from '../pose/missing-joints.js';
import { ROOT_SEEN_CONFIDENCE, rootUnseen } from '../pose/root-visibility.js';
import { sanityWarnings } from '../pose/sanity.js';
import { H36M_BONES, H36M_JOINTS } from '../pose/skeleton.js';
import {
  MIN_KEYPOINT_SCORE,
  MIN_PERSON_SCORE,
  PeopleTracker,
  TRACK_GATE,
  TRACK_MODES,
  isWeakDetection,
  tracksByIds,
  type PersonBox,
  type TrackMode,
} from '../pose/track-people.js';
import { checkKnownFlags, flagInt, flagNumber, flagPositive, flagString, type ParsedArgs } from './args.js';
import { AnimationFiles } from './animation-files.js';
import { readKeypointInput } from './keypoint-input.js';
import { DEFAULT_HYPOTHESES } from './lift-defaults.js';
import { TEMPORAL_FPS, upsampleFactor } from '../temporal/frame-rate.js';
import { MAX_BRIDGED_GAP, bridgesGap, jumpBox, jumps } from '../temporal/track-gaps.js';
import { OutputWriter, SCHEMA_VERSION, checkOutputPath, trackFrames } from './lift-output.js';
import { createProgress, type Progress } from './progress.js';
import { checkDistinctOutputs, stageOutputFiles } from './write-file.js';

export const LIFT_FLAGS = [
  'output',
  'format',
  'image-size',
  'normalised',
  'fps',
  'track',
  'min-person-score',
  'min-keypoint-score',
  'stream',
  'hypotheses',
  'timesteps',
  'init',
  'seed',
  'weights',
  'samples',
  'executor',
  'cpu',
  'verbose',
  'eta',
  'focal',
  'aggregate',
  'bvh',
  'gltf',
  'causal',
  'frame-model',
  'temporal-weights',
  'boxes',
  'components',
  'target-sigma',
];

/**
 * Frames per lift call and track. Each call's random draws are keyed by the pose's index within
 * the track (poseOffset), so the output equals `model.lift` on the whole track at once; small
 * enough for the progress bar to move on a software adapter.
 */
export const CHUNK_FRAMES = 32;

/**
 * Frames per call and track with the temporal model. Each call also carries the frames its
 * windows reach before and after the chunk (13 and 13 offline, 26 and 0 causal; with a v2 file's
 * output average of radius R, 13 + R and 13 + R, 26 + 2R and 0), lifted again and dropped, so the
 * output equals liftSequence on the whole track; long chunks keep that overhead small.
 */
export const TEMPORAL_CHUNK_FRAMES = 256;

/** CSV inputs larger than this are streamed (`--stream` streams any CSV). */
export const STREAM_BYTES = 32 * 2 ** 20;

/** How long the first GPU lift may take before the CLI says it is compiling kernels (ms; DIFFPOSE_COMPILE_NOTICE_MS overrides). */
export const COMPILE_NOTICE_MS = 3000;

function imageSizeOf(text: string | undefined, file: KeypointFile, input: string): [number, number] {
  if (text !== undefined) return parseImageSizeText(text, '--image-size');
  if (file.imageSize) return file.imageSize;
  throw new InputError(
    `${input} does not say its image size (${file.layout.replace(/ \(.*/, '')} files never do): pass --image-size WIDTHxHEIGHT`,
  );
}

/** --timesteps: comma-separated, strictly decreasing integers (the weights' schedule bounds them once loaded). */
function timestepsOf(text: string | undefined): number[] | undefined {
  const steps = text?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new InputError(`--timesteps must be comma-separated integers, got "${text}"`);
    return Number(s);
  });
  if (steps?.some((t, i) => i > 0 && !(t < steps[i - 1])))
    throw new InputError(
      `--timesteps must be strictly decreasing (the reverse process runs from noisy to clean), got "${text}"`,
    );
  return steps;
}

/** Lift options from the flags, checked before anything is read or loaded (but the timesteps' bound: the weights' schedule). */
function liftOptions(args: ParsedArgs): LiftOptions {
  const init = flagString(args, 'init');
  if (init !== undefined && init !== 'paper' && init !== 'official')
    throw new InputError(`--init must be paper or official, got "${init}"`);
  const aggregate = flagString(args, 'aggregate');
  if (aggregate !== undefined && aggregate !== 'mean' && aggregate !== 'reprojection')
    throw new InputError(`--aggregate must be mean or reprojection, got "${aggregate}"`);
  const seed = flagInt(args, 'seed');
  if (seed !== undefined && (seed < 0 || seed > Number.MAX_SAFE_INTEGER))
    throw new InputError(`--seed must be an integer in [0, 2^53), got ${seed}`);
  const executor = flagString(args, 'executor');
  if (executor !== undefined && !(EXECUTOR_NAMES as readonly string[]).includes(executor))
    throw new InputError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executor}"`);
  const hypotheses = flagInt(args, 'hypotheses') ?? DEFAULT_HYPOTHESES;
  if (hypotheses < 1 || hypotheses > MAX_HYPOTHESES)
    throw new InputError(`--hypotheses must be an integer in [1, ${MAX_HYPOTHESES}], got ${hypotheses}`);
  return {
    imageSize: [1, 1],
    format: 'h36m17',
    timesteps: timestepsOf(flagString(args, 'timesteps')),
    hypotheses,
    seed,
    eta: flagNumber(args, 'eta', 0, 1),
    init,
    samples: args.flags.has('samples'),
    executor: executor as ExecutorName | undefined,
    aggregate,
  };
}

/** Says "compiling GPU kernels ..." when the first GPU call takes long (a cold shader compile); returns the stop function. */
function compileNotice(log: (s: string) => void): () => void {
  const env = Number(process.env.DIFFPOSE_COMPILE_NOTICE_MS);
  const ms =
    process.env.DIFFPOSE_COMPILE_NOTICE_MS !== undefined && Number.isFinite(env) && env >= 0 ? env : COMPILE_NOTICE_MS;
  const timer = setTimeout(
    () => log('compiling GPU kernels for this adapter (first run only; up to a minute or two on a software adapter)…'),
    ms,
  );
  return () => clearTimeout(timer);
}

/** fps: --fps, else the file's, else from the (head's) timestamps (their mean step, to 0.01 fps: timestamps are often rounded to whole ms). */
function fpsOf(flag: number | undefined, file: KeypointFile): number | undefined {
  if (flag !== undefined) return flag;
  if (file.fps) return file.fps;
  const times = file.frames.map((f) => f.time).filter((t): t is number => t !== undefined);
  if (times.length < 2 || times.length !== file.frames.length) return undefined;
  const step = (times[times.length - 1] - times[0]) / (times.length - 1);
  return step > 0 ? Math.round(100 / step) / 100 : undefined;
}

/** The input: the whole file, or (a CSV to stream) its head and the frames after it. */
async function openInput(
  args: ParsedArgs,
  input: string,
): Promise<{ file: KeypointFile; rest?: AsyncIterable<FrameDetections>; bytes?: number; bytesRead?: () => number }> {
  const format = flagString(args, 'format');
  if (/\.csv$/i.test(input)) {
    const size = await stat(input).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size !== undefined && (args.flags.has('stream') || size > STREAM_BYTES)) {
      const source = createReadStream(input);
      const stream = await openCsvStream(input, source, { format });
      return { file: stream.head, rest: stream.rest, bytes: size, bytesRead: () => source.bytesRead };
    }
  }
  if (args.flags.has('stream')) throw new InputError('--stream reads CSV files only');
  return { file: await readKeypointInput(input, { format }) };
}

/** Interrupted by Ctrl-C / SIGTERM: nothing is written. */
export class InterruptedError extends DiffPoseError {
  constructor() {
    super('INTERRUPTED', 'interrupted: nothing written');
  }
}

/** `diffpose lift <input> [-o out.json] ...`: lifts every person of a keypoint file; logs what was read and a summary. */
export async function liftCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, LIFT_FLAGS, 'lift');
  const [input] = args.positional;
  if (!input || args.positional.length > 1)
    throw new InputError('usage: diffpose lift <input> [-o out.json] [options] (diffpose lift --help lists them)');
  const trackMode = (flagString(args, 'track') ?? 'auto') as TrackMode;
  if (!TRACK_MODES.includes(trackMode))
    throw new InputError(`--track must be one of ${TRACK_MODES.join(', ')}, got "${trackMode}"`);
  const minPerson = flagNumber(args, 'min-person-score', 0, 1) ?? MIN_PERSON_SCORE;
  const minKeypoint = flagNumber(args, 'min-keypoint-score', 0, 1) ?? MIN_KEYPOINT_SCORE;
  const imageSizeFlag = flagString(args, 'image-size');
  if (imageSizeFlag !== undefined) parseImageSizeText(imageSizeFlag, '--image-size');
  const options = liftOptions(args);
  const output = flagString(args, 'output');
  if (output) await checkOutputPath(output);
  if (/\.(npy|safetensors)$/i.test(input)) {
    if (imageSizeFlag === undefined)
      throw new InputError('heatmap files do not record the image size: pass --image-size WxH');
    const format = flagString(args, 'format') ?? 'h36m17';
    keypointFormat(format);
    const imageSize = parseImageSizeText(imageSizeFlag, '--image-size');
    return heatmapLiftCommand(args, input, { ...options, imageSize, format: format as LiftOptions['format'] }, log);
  }
  for (const flag of ['boxes', 'components', 'target-sigma'])
    if (args.flags.has(flag)) throw new InputError(`--${flag} is for heatmap files (.npy, .safetensors)`);
  const animation = new AnimationFiles(flagString(args, 'bvh'), flagString(args, 'gltf'));
  for (const path of [animation.bvh, animation.gltf]) if (path) await checkOutputPath(path);
  checkDistinctOutputs([output, animation.bvh, animation.gltf]);
  const focal = flagPositive(args, 'focal');
  const fpsFlag = flagPositive(args, 'fps');
  if (args.flags.has('causal') && args.flags.has('frame-model'))
    throw new InputError("--causal picks the temporal model's window: not with --frame-model");

  const { file: raw, rest, bytes, bytesRead } = await openInput(args, input);
  if (rest && animation.wanted)
    throw new InputError(
      '--bvh and --gltf need the whole track in memory: not with a streamed CSV (--stream, or a CSV over 32 MiB)',
    );
  const imageSize = imageSizeOf(imageSizeFlag, raw, input);
  options.imageSize = imageSize;
  if (focal !== undefined) options.camera = { focal };
  const assumed = [...raw.assumed];
  const normalised = raw.normalised || args.flags.has('normalised');
  if (normalised) assumed.push(`coordinates normalised to [0, 1]: scaled by the image size ${imageSize.join('x')}`);
  const file = normalised ? toPixels(raw, imageSize) : raw;
  const fps = fpsOf(fpsFlag, file);
  log(
    `read ${input}: ${file.layout}, format ${file.format}, ${rest ? `streaming (first ${file.frames.length} frames read ahead)` : `${file.frames.length} frames`}, image ${imageSize.join('x')}${fps ? `, ${fps} fps` : ''}`,
  );
  for (const a of assumed) log(`assumed ${a}`);
  for (const w of sanityWarnings(file, imageSize))
    log(`diffpose: warning: ${w}${rest ? ' (seen in the first frames)' : ''}`);
  const hypotheses = options.hypotheses!;
  if (hypotheses === 1)
    log('one hypothesis: no per-joint spread in the output (pass --hypotheses 2 or more for the uncertainty)');

  const weak = (d: Detection) => isWeakDetection(d, file.format, minPerson, minKeypoint);
  const tracker = new PeopleTracker(
    file.format,
    tracksByIds(
      trackMode,
      file.frames.flatMap((f) => f.detections),
    ),
  );
  const scale = (d: Detection): Detection =>
    normalised ? { ...d, keypoints: d.keypoints.map((v, i) => v * imageSize[i % 2]) } : d;
  const frames: AsyncIterable<FrameDetections> = {
    async *[Symbol.asyncIterator]() {
      yield* file.frames;
      if (rest) for await (const f of rest) yield { ...f, detections: f.detections.map(scale) };
    },
  };

  const writer = new OutputWriter(output);
  let interrupted = false;
  // The first Ctrl-C stops after the chunk in flight; a second one at once.
  const onSignal = () => {
    if (interrupted) {
      writer.discard();
      log('diffpose: interrupted: nothing written');
      process.exit(130);
    }
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  let model: DiffPose | undefined;
  let progress: Progress | undefined;
  let staged: Awaited<ReturnType<typeof stageOutputFiles>> | undefined;
  try {
    const cpu = args.flags.has('cpu') || options.executor === 'cpu';
    const weights = flagString(args, 'weights'),
      temporalWeights = flagString(args, 'temporal-weights');
    model = await DiffPose.load({
      weights,
      backend: cpu ? 'cpu' : 'gpu',
      temporalWeights: args.flags.has('frame-model') ? null : temporalWeights,
    });
    const mode = args.flags.has('causal') ? 'causal' : 'offline';
    const temporal = model.temporal ? model.temporal.encoders[mode].config : undefined;
    if (!temporal && args.flags.has('causal'))
      throw new InputError('--causal needs the temporal model: with --weights, pass --temporal-weights too');
    log(
      temporal
        ? `temporal model, ${mode} window of ${temporal.window} frames (${temporal.pad[0]} before, ${temporal.pad[1]} after each frame); --frame-model lifts each frame alone`
        : `frame model: each frame lifted alone${weights && !args.flags.has('frame-model') ? ' (--weights without --temporal-weights)' : ''}`,
    );
    if (temporal && upsampleFactor(fps) > 1)
      log(
        `the 2D at ${fps} fps is read upsampled ${upsampleFactor(fps)}x in time (interpolated frames between the real ones): the temporal weights read about ${TEMPORAL_FPS} fps best`,
      );
    // The frames an output reaches: its window's, and with v2's output average (§12) the windows of its neighbours.
    // Upsampled, they reach fewer real frames: these counts still cover them.
    const before = (temporal?.pad[0] ?? 0) + (temporal?.fuse?.pad[0] ?? 0),
      after = (temporal?.pad[1] ?? 0) + (temporal?.fuse?.pad[1] ?? 0);
    const chunkFrames = temporal ? TEMPORAL_CHUNK_FRAMES : CHUNK_FRAMES;
    // Per track, the last `before` lifted frames (filled in): the next chunk's windows reach back into them.
    const context: Array<{ keypoints: Float32Array; confidence: Float32Array }> = [];
    const total = rest ? undefined : file.frames.reduce((s, f) => s + f.detections.filter((d) => !weak(d)).length, 0);
    progress =
      bytes !== undefined
        ? createProgress(Math.ceil(bytes / 2 ** 20), 'MiB read')
        : createProgress(total ?? 0, 'frames');
    const K = FORMATS[file.format].keypoints;
    const pending: Array<{
      frames: Array<number | string>;
      numbers: number[];
      times: Array<number | undefined>;
      inputs: number[];
      detections: Detection[];
    }> = [];
    const lifted: number[] = [];
    /** Per track, the index of the last frame it had a detection in. */
    const lastSeen: number[] = [];
    const lastBox: PersonBox[] = [];
    let done = 0,
      restarts = 0,
      jumped = 0,
      dropped = 0,
      filled = 0,
      rootHidden = 0,
      far = 0,
      frameIndex = 0,
      firstLift = true;
    /** Lifts the track's pending frames, all of them at the end (`last`), else all but the `after` its windows need. */
    const flush = async (t: number, last: boolean) => {
      const p = pending[t];
      const n = last ? p.detections.length : p.detections.length - after;
      if (n <= 0) return;
      const all = p.detections.length;
      const keypoints = new Float32Array(all * K * 2),
        confidence = new Float32Array(all * K);
      p.detections.forEach((d, i) => {
        keypoints.set(d.keypoints, i * K * 2);
        confidence.set(d.confidence, i * K);
      });
      const prepared = fillMissingJoints(file.format, all, keypoints, confidence, imageSize, minKeypoint);
      const stop = firstLift && !cpu ? compileNotice(log) : () => {};
      firstLift = false;
      let r: LiftResult;
      try {
        if (temporal) {
          // The track's frames as liftSequence on the whole track sees them: `before` lifted ones, these, `after` pending ones.
          const ctx = context[t] ?? { keypoints: new Float32Array(0), confidence: new Float32Array(0) };
          const c = ctx.confidence.length / 17;
          const seq = await model!.liftSequence(concatFloats(ctx.keypoints, prepared.keypoints), {
            ...options,
            fps,
            confidence: concatFloats(ctx.confidence, prepared.confidence),
            poseOffset: lifted[t] - c,
            causal: mode === 'causal',
          });
          r = sliceResult(seq, c, n);
          const kept = {
            keypoints: concatFloats(ctx.keypoints, prepared.keypoints.subarray(0, n * 34)),
            confidence: concatFloats(ctx.confidence, prepared.confidence.subarray(0, n * 17)),
          };
          const k = Math.min(before, kept.confidence.length / 17);
          context[t] = {
            keypoints: kept.keypoints.slice(kept.keypoints.length - k * 34),
            confidence: kept.confidence.slice(kept.confidence.length - k * 17),
          };
        } else {
          // poseOffset: the chunks draw exactly what one call on the whole track would.
          r = await model!.lift(prepared.keypoints, {
            ...options,
            confidence: prepared.confidence,
            poseOffset: lifted[t],
          });
        }
      } finally {
        stop();
      }
      const head = {
        keypoints: prepared.keypoints.subarray(0, n * 34),
        confidence: prepared.confidence.subarray(0, n * 17),
        missing: prepared.missing.subarray(0, n * 17),
      };
      filled += head.missing.reduce((s, m) => s + m, 0);
      for (let i = 0; i < n; i++) rootHidden += +rootUnseen(head.confidence, i);
      const number = new Map(p.frames.map((id, i) => [id, p.numbers[i]]));
      const times = p.times.slice(0, n).every((s) => s !== undefined) ? (p.times.slice(0, n) as number[]) : undefined;
      writer.append(
        t,
        trackFrames(
          { person: t, frames: p.frames.slice(0, n), times, inputs: p.inputs.slice(0, n), keypoints, confidence },
          (id) => number.get(id)!,
          fps,
          head,
          r,
          hypotheses > 1,
        ),
      );
      if (animation.wanted) animation.add(t, r.poses, r.root, p.numbers.slice(0, n));
      lifted[t] += n;
      done += n;
      pending[t] = {
        frames: p.frames.slice(n),
        numbers: p.numbers.slice(n),
        times: p.times.slice(n),
        inputs: p.inputs.slice(n),
        detections: p.detections.slice(n),
      };
      if (bytes === undefined) progress!.update(done);
      // A CPU lift resolves in microtasks only: let the event loop run (signals, timers) between chunks.
      await new Promise((next) => setImmediate(next));
    };
    for await (const frame of frames) {
      if (interrupted) throw new InterruptedError();
      const index = frameIndex++;
      const number = typeof frame.id === 'number' ? frame.id : index;
      const marked = frame.detections.map((d) => markFarKeypoints(d, imageSize));
      far += marked.reduce((s, m) => s + m.far, 0);
      const keep = marked.map((m) => m.detection).filter((d) => !weak(d));
      dropped += frame.detections.length - keep.length;
      for (const { track, detection } of tracker.push(keep)) {
        pending[track] ??= { frames: [], numbers: [], times: [], inputs: [], detections: [] };
        lifted[track] ??= 0;
        // Frames on either side of a longer gap are other moments, and a jump is another person
        // under the same id: the temporal windows must not join them (temporal/track-gaps.ts).
        const box = jumpBox(detection, file.format);
        if (temporal && lastSeen[track] !== undefined) {
          const gap = !bridgesGap(lastSeen[track], index);
          if (gap || jumps(lastBox[track], box)) {
            await flush(track, true);
            delete context[track];
            if (gap) restarts++;
            else jumped++;
          }
        }
        lastSeen[track] = index;
        lastBox[track] = box;
        const p = pending[track];
        p.frames.push(frame.id);
        p.numbers.push(number);
        p.times.push(frame.time);
        p.inputs.push(detection.input);
        p.detections.push(detection);
        if (p.detections.length === chunkFrames + after) await flush(track, false);
      }
      if (bytesRead && frameIndex % 256 === 0) progress.update(Math.floor(bytesRead() / 2 ** 20));
    }
    for (let t = 0; t < pending.length; t++) {
      if (interrupted) throw new InterruptedError();
      await flush(t, true);
    }
    if (tracker.count === 0)
      throw new InputError(
        `${input}: no detection is left to lift (all ${dropped} under --min-person-score ${minPerson} or with fewer than 2 keypoints` +
          `${far ? `; ${far} keypoints lie more than ${MAX_OUTSIDE_IMAGE} image sizes outside the ${imageSize.join('x')} image and were taken as missing: is the image size right, and are they pixels?` : ''})`,
      );
    progress.finish();
    const people = tracker.ids.map((id, person) => ({ person, ...(tracker.byIds ? { id: id! } : {}) }));
    // The animation files are written beside the output, all or none of them with it.
    if (animation.wanted && !fps)
      log('diffpose: warning: the frame rate is unknown: the animation files play at 30 fps (pass --fps)');
    const animations = animation.wanted
      ? animation.render(
          fps ?? 30,
          tracker.ids.map((id, person) => (tracker.byIds ? id! : person)),
          log,
        )
      : [];
    // Per person the names get the id: one may still be -o's (-o m-a.bvh beside --bvh m.bvh).
    checkDistinctOutputs([output, ...animations.map((f) => f.path)]);
    for (const f of animations) await checkOutputPath(f.path);
    staged = await stageOutputFiles(animations, log);
    const seconds = (performance.now() - started) / 1000;
    await writer.finish(
      {
        schemaVersion: SCHEMA_VERSION,
        units: 'metres, camera frame (x right, y down, z forward), root-relative',
        jointNames: H36M_JOINTS,
        skeleton: H36M_BONES,
        input: { file: input, layout: file.layout, format: file.format, assumed },
        imageSize,
        inputFormat: file.format,
        ...(fps ? { fps } : {}),
        hypotheses,
        timesteps: options.timesteps ?? [12, 0],
        init: options.init ?? 'paper',
        seed: options.seed ?? 0,
        eta: options.eta ?? 0,
        minPersonScore: minPerson,
        minKeypointScore: minKeypoint,
        adapter: model.adapter,
        model: (temporal ? model.temporal! : model.weights).metadata['diffpose.source'] ?? '',
        ...(temporal ? { temporal: { window: mode, frames: temporal.window } } : {}),
      },
      people,
    );
    await staged.commit();
    staged = undefined;
    const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    log(
      `${count(tracker.count, 'person', 'people')}${tracker.byIds ? " (tracked by the file's ids)" : ''} in ${count(frameIndex, 'frame', 'frames')}` +
        `${far ? `; ${count(far, 'keypoint', 'keypoints')} more than ${MAX_OUTSIDE_IMAGE} image sizes outside the image taken as missing` : ''}` +
        `${dropped ? `; dropped ${count(dropped, 'detection', 'detections')} (person score < ${minPerson} or < 2 keypoints)` : ''}` +
        `${filled ? `; filled in ${count(filled, 'missing joint', 'missing joints')} from the rest of each skeleton (confidence 0)` : ''}` +
        `${restarts ? `; the temporal context started over after ${count(restarts, 'gap', 'gaps')} of more than ${MAX_BRIDGED_GAP} frames in a track` : ''}` +
        `${jumped ? `; ${count(jumped, 'track jumped', 'tracks jumped')} more than ${TRACK_GATE} person sizes between frames (an id given to another person?): its temporal context started over` : ''}` +
        `${rootHidden ? `; ${count(rootHidden, 'pose', 'poses')} with the pelvis or a hip under confidence ${ROOT_SEEN_CONFIDENCE} (out of the picture or unsure): their joints are measured from a guessed pelvis (docs/temporal-model.md §19)` : ''}`,
    );
    log(
      `lifted ${done} frames of ${count(tracker.count, 'person', 'people')} x ${count(hypotheses, 'hypothesis', 'hypotheses')} ` +
        `in ${seconds.toFixed(2)} s (${((seconds * 1000) / done).toFixed(1)} ms/frame, model load included) on ${model.adapter}${output ? ` -> ${output}` : ''}`,
    );
  } catch (e) {
    writer.discard();
    await staged?.discard();
    throw e;
  } finally {
    progress?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model?.dispose();
  }
}
