import { access, constants, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { LiftResult } from '../diffpose.js';
import { InputError } from '../errors.js';
import type { PreparedKeypoints } from '../pose/missing-joints.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import type { KeypointTrack } from '../pose/track-people.js';

/**
 * The lift command's output document (docs/formats.md, "lift output"). Version 2: schemaVersion,
 * fps and per-frame time, the 2D input as the model saw it, frame always a number.
 */
export const SCHEMA_VERSION = 2;

export interface OutputFrame {
  /** The video frame number: the file's numeric frame id, else the frame's index in time order. */
  frame: number;
  /** The file's frame label when it is not a number. */
  frameId?: string;
  /** Seconds: the file's timestamp, else frame / fps when fps is known. */
  time?: number;
  input: number;
  /** [17 x (x px, y px, confidence)], Human3.6M order, as the model saw it (missing joints filled in, confidence 0). */
  keypoints2d: number[];
  /** Joints (H36M indices) that were missing in the input and filled in. */
  filled?: number[];
  joints: number[];
  spread?: number[];
  samples?: number[];
}

export function round(a: ArrayLike<number>, digits = 5): number[] {
  const f = 10 ** digits;
  return Array.from(a, (v) => Math.round(v * f) / f);
}

/** One track's output frames from its prepared 2D input and its lift results (in order, concatenated). */
export function trackFrames(track: KeypointTrack, frameNumber: (id: number | string) => number, fps: number | undefined, input: PreparedKeypoints, r: LiftResult, withSpread: boolean): OutputFrame[] {
  const n = track.frames.length;
  return Array.from({ length: n }, (_, i) => {
    const id = track.frames[i];
    const frame = frameNumber(id);
    const time = track.times ? track.times[i] : fps ? frame / fps : undefined;
    const kp2d: number[] = [];
    const filled: number[] = [];
    for (let j = 0; j < NUM_JOINTS; j++) {
      const at = i * NUM_JOINTS + j;
      kp2d.push(Math.round(input.keypoints[2 * at] * 100) / 100, Math.round(input.keypoints[2 * at + 1] * 100) / 100, Math.round(input.confidence[at] * 1000) / 1000);
      if (input.missing[at]) filled.push(j);
    }
    return {
      frame,
      ...(typeof id === 'string' ? { frameId: id } : {}),
      ...(time !== undefined ? { time: Math.round(time * 1e6) / 1e6 } : {}),
      input: track.inputs[i],
      keypoints2d: kp2d,
      ...(filled.length ? { filled } : {}),
      joints: round(r.poses.subarray(i * 51, (i + 1) * 51)),
      ...(withSpread ? { spread: round(r.spread.subarray(i * 17, (i + 1) * 17)) } : {}),
      ...(r.samples ? { samples: round(r.samples.subarray(i * r.hypotheses * 51, (i + 1) * r.hypotheses * 51)) } : {}),
    };
  });
}

/**
 * Checks before any work that `path` can be written: creates its folder, refuses a folder as
 * the output and a folder that cannot be written to.
 */
export async function checkOutputPath(path: string): Promise<void> {
  const fail = (why: string) => { throw new InputError(`cannot write ${path}: ${why}`); };
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) fail('it is a folder');
  const dir = dirname(resolve(path));
  try { await mkdir(dir, { recursive: true }); } catch (e) { fail(`cannot create its folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
  try { await access(dir, constants.W_OK); } catch { fail(`its folder ${dir} is not writable`); }
}

/** Writes the whole output or nothing: a failed or interrupted write never leaves a partial file at `path`. */
export async function writeWhole(path: string, text: string): Promise<void> {
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, text);
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw new InputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
