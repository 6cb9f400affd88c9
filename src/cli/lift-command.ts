import { readFile, writeFile } from 'node:fs/promises';
import { DiffPose } from '../diffpose.js';
import { InputError } from '../errors.js';
import type { ExecutorName } from '../lift-options.js';
import { H36M_BONES, H36M_JOINTS } from '../pose/skeleton.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';
import { parseKeypointJson, type KeypointFile } from './keypoint-files.js';

export const LIFT_FLAGS = ['output', 'format', 'image-size', 'hypotheses', 'timesteps', 'init', 'seed', 'weights', 'samples', 'executor', 'cpu', 'verbose', 'eta'];

function parseImageSize(text: string | undefined, file: KeypointFile): [number, number] {
  if (text !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(text);
    if (!m) throw new InputError(`--image-size must be WIDTHxHEIGHT, got "${text}"`);
    return [Number(m[1]), Number(m[2])];
  }
  if (file.imageSize) return file.imageSize;
  throw new InputError('the input does not say its image size: pass --image-size WIDTHxHEIGHT');
}

function round(a: Float32Array, digits = 5): number[] {
  const f = 10 ** digits;
  return Array.from(a, (v) => Math.round(v * f) / f);
}

/** `diffpose lift <input> [-o out.json] ...`: lifts every track of a keypoint file; returns the summary line. */
export async function liftCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, LIFT_FLAGS);
  const [input] = args.positional;
  if (!input || args.positional.length > 1) throw new InputError('usage: diffpose lift <input.json> [-o out.json] [options]');
  let text: string;
  try { text = await readFile(input, 'utf8'); } catch (e) { throw new InputError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  const file = parseKeypointJson(input, text, flagString(args, 'format'));
  const imageSize = parseImageSize(flagString(args, 'image-size'), file);
  const timestepsText = flagString(args, 'timesteps');
  const timesteps = timestepsText?.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new InputError(`--timesteps must be comma-separated integers, got "${timestepsText}"`);
    return Number(s);
  });
  const eta = flagString(args, 'eta');
  const options = {
    imageSize, format: file.format, timesteps,
    hypotheses: flagInt(args, 'hypotheses'), seed: flagInt(args, 'seed'),
    eta: eta === undefined ? undefined : Number(eta),
    init: flagString(args, 'init') as 'paper' | 'official' | undefined,
    samples: args.flags.has('samples'),
    executor: flagString(args, 'executor') as ExecutorName | undefined,
  };
  const started = performance.now();
  const model = await DiffPose.load({ weights: flagString(args, 'weights'), backend: args.flags.has('cpu') ? 'cpu' : 'gpu' });
  try {
    const people = [];
    let frames = 0;
    for (const track of file.tracks) {
      const r = await model.lift(track.keypoints, { ...options, confidence: track.confidence });
      frames += track.frames.length;
      people.push({
        person: track.person,
        frames: track.frames.map((id, i) => ({
          frame: id,
          joints: round(r.poses.subarray(i * 51, (i + 1) * 51)),
          spread: round(r.spread.subarray(i * 17, (i + 1) * 17)),
          ...(r.samples ? { samples: round(r.samples.subarray(i * r.hypotheses * 51, (i + 1) * r.hypotheses * 51)) } : {}),
        })),
      });
    }
    const ms = performance.now() - started;
    const out = {
      units: 'metres, camera frame (x right, y down, z forward), root-relative',
      jointNames: H36M_JOINTS, skeleton: H36M_BONES,
      imageSize, inputFormat: file.format, hypotheses: options.hypotheses ?? 1,
      timesteps: timesteps ?? [12, 0], init: options.init ?? 'paper', seed: options.seed ?? 0,
      adapter: model.adapter, model: model.weights.metadata['diffpose.source'] ?? '',
      people,
    };
    const json = JSON.stringify(out);
    const output = flagString(args, 'output');
    if (output) await writeFile(output, json + '\n');
    else process.stdout.write(json + '\n');
    log(`lifted ${frames} frames (${file.tracks.length} ${file.tracks.length === 1 ? 'person' : 'people'}) in ${(ms / 1000).toFixed(2)} s on ${model.adapter}${output ? ` -> ${output}` : ''}`);
  } finally {
    model.dispose();
  }
}
