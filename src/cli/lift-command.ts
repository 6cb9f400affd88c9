import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { DiffPose, type LiftResult } from '../diffpose.js';
import { InputError } from '../errors.js';
import type { ExecutorName, LiftOptions } from '../lift-options.js';
import { H36M_BONES, H36M_JOINTS } from '../pose/skeleton.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';
import { parseImageSizeText } from './detections.js';
import { readKeypointText, type KeypointFile } from './keypoint-files.js';
import { createProgress } from './progress.js';
import { trackPeople, type KeypointTrack } from './track-people.js';

export const LIFT_FLAGS = ['output', 'format', 'image-size', 'hypotheses', 'timesteps', 'init', 'seed', 'weights', 'samples', 'executor', 'cpu', 'verbose', 'eta'];

/**
 * Frames per lift call. Each call's random draws are keyed by the pose's index within the call,
 * so the output equals `model.lift` on each run of up to this many frames of a track (not on the
 * whole track at once); small enough for the progress bar to move on a software adapter.
 */
export const CHUNK_FRAMES = 32;

function imageSizeOf(text: string | undefined, file: KeypointFile, input: string): [number, number] {
  if (text !== undefined) return parseImageSizeText(text, '--image-size');
  if (file.imageSize) return file.imageSize;
  throw new InputError(`${input} does not say its image size (COCO results never do): pass --image-size WIDTHxHEIGHT`);
}

function timestepsOf(text: string | undefined): number[] | undefined {
  return text?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new InputError(`--timesteps must be comma-separated integers, got "${text}"`);
    return Number(s);
  });
}

function round(a: Float32Array, digits = 5): number[] {
  const f = 10 ** digits;
  return Array.from(a, (v) => Math.round(v * f) / f);
}

async function readInput(input: string): Promise<string> {
  try {
    return await readFile(input, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message;
    throw new InputError(`cannot read ${input}: ${why}`);
  }
}

/** Writes the whole output or nothing: a failed or interrupted write never leaves a partial file at `path`. */
async function writeWhole(path: string, text: string): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, text);
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw new InputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Lifts one track in chunks of CHUNK_FRAMES; `onChunk` is told how many frames each finished chunk had. */
async function liftTrack(model: DiffPose, track: KeypointTrack, options: LiftOptions, onChunk: (frames: number) => void) {
  const n = track.frames.length;
  const k = track.confidence.length / n;
  const parts: LiftResult[] = [];
  for (let at = 0; at < n; at += CHUNK_FRAMES) {
    const end = Math.min(n, at + CHUNK_FRAMES);
    // poseOffset: the chunks draw exactly what one call on the whole track would.
    parts.push(await model.lift(track.keypoints.slice(at * k * 2, end * k * 2), { ...options, confidence: track.confidence.slice(at * k, end * k), poseOffset: at }));
    onChunk(end - at);
  }
  let offset = 0;
  return parts.flatMap((r) => {
    const count = r.poses.length / 51;
    const frames = Array.from({ length: count }, (_, i) => ({
      frame: track.frames[offset + i],
      input: track.inputs[offset + i],
      joints: round(r.poses.subarray(i * 51, (i + 1) * 51)),
      spread: round(r.spread.subarray(i * 17, (i + 1) * 17)),
      ...(r.samples ? { samples: round(r.samples.subarray(i * r.hypotheses * 51, (i + 1) * r.hypotheses * 51)) } : {}),
    }));
    offset += count;
    return frames;
  });
}

/** `diffpose lift <input> [-o out.json] ...`: lifts every person of a keypoint file; logs a summary line. */
export async function liftCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, LIFT_FLAGS);
  const [input] = args.positional;
  if (!input || args.positional.length > 1) throw new InputError('usage: diffpose lift <input.json|input.csv> [-o out.json] [options]');
  const file = readKeypointText(input, await readInput(input), flagString(args, 'format'));
  const imageSize = imageSizeOf(flagString(args, 'image-size'), file, input);
  const tracks = trackPeople(file);
  const eta = flagString(args, 'eta');
  const options: LiftOptions = {
    imageSize, format: file.format, timesteps: timestepsOf(flagString(args, 'timesteps')),
    hypotheses: flagInt(args, 'hypotheses'), seed: flagInt(args, 'seed'),
    eta: eta === undefined ? undefined : Number(eta),
    init: flagString(args, 'init') as LiftOptions['init'],
    samples: args.flags.has('samples'),
    executor: flagString(args, 'executor') as ExecutorName | undefined,
  };
  const started = performance.now();
  const model = await DiffPose.load({ weights: flagString(args, 'weights'), backend: args.flags.has('cpu') ? 'cpu' : 'gpu' });
  try {
    const total = tracks.reduce((s, t) => s + t.frames.length, 0);
    const progress = createProgress(total, 'frames');
    let done = 0;
    const people = [];
    try {
      for (const track of tracks) {
        const frames = await liftTrack(model, track, options, (n) => progress.update(done += n));
        people.push({ person: track.person, frames });
      }
    } finally {
      progress.finish();
    }
    const seconds = (performance.now() - started) / 1000;
    const out = {
      units: 'metres, camera frame (x right, y down, z forward), root-relative',
      jointNames: H36M_JOINTS, skeleton: H36M_BONES,
      imageSize, inputFormat: file.format, hypotheses: options.hypotheses ?? 1,
      timesteps: options.timesteps ?? [12, 0], init: options.init ?? 'paper', seed: options.seed ?? 0,
      adapter: model.adapter, model: model.weights.metadata['diffpose.source'] ?? '',
      people,
    };
    const json = JSON.stringify(out) + '\n';
    const output = flagString(args, 'output');
    if (output) await writeWhole(output, json);
    else process.stdout.write(json);
    const h = options.hypotheses ?? 1;
    log(`lifted ${total} frames of ${tracks.length} ${tracks.length === 1 ? 'person' : 'people'} x ${h} ${h === 1 ? 'hypothesis' : 'hypotheses'} ` +
      `in ${seconds.toFixed(2)} s (${(seconds * 1000 / total).toFixed(1)} ms/frame, model load included) on ${model.adapter}${output ? ` -> ${output}` : ''}`);
  } finally {
    model.dispose();
  }
}
