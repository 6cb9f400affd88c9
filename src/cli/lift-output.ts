import { appendFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { access, constants, mkdir, rename, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
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
  /** Metres, camera frame: where the root (pelvis) is, fitted to the 2D; absent when undetermined. */
  root?: number[];
  spread?: number[];
  samples?: number[];
}

export function round(a: ArrayLike<number>, digits = 5): number[] {
  const f = 10 ** digits;
  return Array.from(a, (v) => Math.round(v * f) / f);
}

/** One track's output frames from its prepared 2D input and its lift results (in order, concatenated). */
export function trackFrames(
  track: KeypointTrack,
  frameNumber: (id: number | string) => number,
  fps: number | undefined,
  input: PreparedKeypoints,
  r: LiftResult,
  withSpread: boolean,
): OutputFrame[] {
  const n = track.frames.length;
  return Array.from({ length: n }, (_, i) => {
    const id = track.frames[i];
    const frame = frameNumber(id);
    const time = track.times ? track.times[i] : fps ? frame / fps : undefined;
    const kp2d: number[] = [];
    const filled: number[] = [];
    for (let j = 0; j < NUM_JOINTS; j++) {
      const at = i * NUM_JOINTS + j;
      kp2d.push(
        Math.round(input.keypoints[2 * at] * 100) / 100,
        Math.round(input.keypoints[2 * at + 1] * 100) / 100,
        Math.round(input.confidence[at] * 1000) / 1000,
      );
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
      ...(r.root.subarray(i * 3, i * 3 + 3).every(Number.isFinite)
        ? { root: round(r.root.subarray(i * 3, i * 3 + 3), 4) }
        : {}),
      ...(withSpread ? { spread: round(r.spread.subarray(i * 17, (i + 1) * 17)) } : {}),
      ...(r.radius90 ? { radius90: round(r.radius90.subarray(i * 17, (i + 1) * 17)) } : {}),
      ...(r.sigma ? { sigma: round(r.sigma.subarray(i * 17, (i + 1) * 17)) } : {}),
      ...(r.samples ? { samples: round(r.samples.subarray(i * r.hypotheses * 51, (i + 1) * r.hypotheses * 51)) } : {}),
    };
  });
}

/**
 * Checks before any work that `path` can be written: creates its folder, refuses a folder as
 * the output and a folder that cannot be written to.
 */
export async function checkOutputPath(path: string): Promise<void> {
  const fail = (why: string) => {
    throw new InputError(`cannot write ${path}: ${why}`);
  };
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) fail('it is a folder');
  const dir = dirname(resolve(path));
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    fail(`cannot create its folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    fail(`its folder ${dir} is not writable`);
  }
}

/**
 * Writes the output document with bounded memory: each person's frames go to a part file as
 * they are lifted, and finish() joins the header and the parts into `path` (written as
 * `path.partial-PID`, then renamed: an interrupted or failed run never leaves a partial file at
 * `path`) or onto stdout. discard() removes everything written so far.
 */
export class OutputWriter {
  private readonly parts: string;
  private readonly started = new Set<number>();
  private readonly partial: string | undefined;

  constructor(private readonly path: string | undefined) {
    this.parts = mkdtempSync(path ? `${path}.parts-` : join(tmpdir(), 'diffpose-parts-'));
    this.partial = path ? `${path}.partial-${process.pid}` : undefined;
  }

  private part(person: number): string {
    return join(this.parts, `${person}.json`);
  }

  /** Appends frames of person `person` (0, 1, ...). */
  append(person: number, frames: readonly OutputFrame[]): void {
    if (!frames.length) return;
    const text = frames.map((f) => JSON.stringify(f)).join(',');
    appendFileSync(this.part(person), this.started.has(person) ? `,${text}` : text);
    this.started.add(person);
  }

  /** Writes `{...header, people: [{person, id?, frames}]}` + newline; `header` must not hold people. */
  async finish(
    header: Record<string, unknown>,
    people: ReadonlyArray<{ person: number; id?: string | number }>,
  ): Promise<void> {
    const out: NodeJS.WritableStream = this.partial ? createWriteStream(this.partial) : process.stdout;
    let failed: Error | undefined;
    const onError = (e: Error) => {
      failed = e;
    };
    out.on('error', onError);
    const write = async (s: string) => {
      if (failed) throw failed;
      if (!out.write(s)) await Promise.race([once(out, 'drain'), once(out, 'error')]);
      if (failed) throw failed;
    };
    try {
      const head = JSON.stringify(header);
      await write(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"people":[`);
      for (const [i, p] of people.entries()) {
        await write(
          `${i ? ',' : ''}{"person":${p.person}${p.id !== undefined ? `,"id":${JSON.stringify(p.id)}` : ''},"frames":[`,
        );
        if (this.started.has(p.person)) await pipeline(createReadStream(this.part(p.person)), out, { end: false });
        await write(']}');
      }
      await write(']}\n');
      if (this.partial && this.path) {
        await new Promise<void>((done) => out.end(done));
        if (failed) throw failed;
        await rename(this.partial, this.path);
      }
    } catch (e) {
      this.discard();
      throw new InputError(
        `cannot write ${this.path ?? 'to stdout'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    } finally {
      out.off('error', onError);
      rmSync(this.parts, { recursive: true, force: true });
    }
  }

  /** Removes the parts and any partial output (synchronous: safe in a signal handler). */
  discard(): void {
    rmSync(this.parts, { recursive: true, force: true });
    if (this.partial) rmSync(this.partial, { force: true });
  }
}
