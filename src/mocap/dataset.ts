import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AsfSkeleton } from './asf.js';
import { readAsfFile } from './asf.js';
import { readAmcFile } from './amc.js';
import { readBvhFile } from './bvh.js';
import type { ClipEntry, Split } from './clip-catalog.js';
import { listClips } from './clip-catalog.js';
import { asfAmcToH36m, bvhToH36m } from './h36m-mapping.js';
import type { PreparedSplit } from './prepared-file.js';
import { JOINTS, PREPARED_FPS, assembleSplit, writePreparedSplit } from './prepared-file.js';
import { resamplePoses } from './resample.js';

/** One clip as 17 H3.6M joints at 30 fps, metres, world frame. */
export interface LoadedClip {
  entry: ClipEntry;
  poses: Float32Array;
  frameCount: number;
  /** The rate of the source frames (after the catalog's overrides). */
  sourceFps: number;
  sourceFrames: number;
  /** How the file's lengths were read (e.g. "cm"). */
  unit: string;
}

export class ClipError extends Error {
  override name = 'ClipError';
}

/**
 * Reads, maps and resamples one clip. `skeletons` caches parsed ASF files across the clips of
 * a subject. Any failure is a `ClipError` naming the file.
 */
export function loadClip(entry: ClipEntry, skeletons: Map<string, AsfSkeleton> = new Map()): LoadedClip {
  try {
    let mapped: { poses: Float32Array; frameCount: number; unit: string };
    let fps: number;
    if (entry.format === 'bvh') {
      const bvh = readBvhFile(entry.motionPath);
      mapped = bvhToH36m(bvh);
      fps = entry.fpsOverride ?? roundedRate(bvh.frameTime);
    } else {
      const path = entry.skeletonPath!;
      let skeleton = skeletons.get(path);
      if (!skeleton) { skeleton = readAsfFile(path); skeletons.set(path, skeleton); }
      mapped = asfAmcToH36m(skeleton, readAmcFile(entry.motionPath, skeleton));
      fps = entry.fpsOverride!;
    }
    const firstBad = mapped.poses.findIndex((v) => !Number.isFinite(v));
    if (firstBad >= 0) throw new ClipError(`non-finite position in frame ${Math.floor(firstBad / (JOINTS * 3))}`);
    const resampled = resamplePoses(mapped.poses, mapped.frameCount, fps, PREPARED_FPS);
    return { entry, ...resampled, sourceFps: fps, sourceFrames: mapped.frameCount, unit: mapped.unit };
  } catch (e) {
    const message = (e as Error).message;
    const named = message.includes(entry.motionPath) ? message : `${entry.motionPath}: ${message}`;
    throw new ClipError(`clip ${entry.name}: ${named}`, { cause: e });
  }
}

/** 1 / frameTime, snapped to a whole rate when the header rounds it (0.00833333 -> 120). */
function roundedRate(frameTime: number): number {
  const fps = 1 / frameTime;
  return Math.abs(fps - Math.round(fps)) < 1e-3 * fps ? Math.round(fps) : fps;
}

export interface SplitSummary {
  clips: number;
  frames: number;
  minutes: number;
  subjects: string[];
  bySource: Record<string, { clips: number; frames: number; minutes: number }>;
}

export interface PrepareSummary {
  mocapDir: string;
  outDir: string;
  files: Record<Split, string>;
  splits: Record<Split, SplitSummary>;
  /** Clips left out, each with the reason. Empty unless a file is broken. */
  warnings: string[];
  seconds: number;
}

export interface PrepareOptions {
  mocapDir: string;
  outDir: string;
  /** Progress lines (one per subject); default: none. */
  log?: (line: string) => void;
}

/**
 * Reads every clip of the mocap folder, splits it as the data README says, and writes
 * `train.safetensors` and `test.safetensors` to `outDir`. Throws on the first clip that fails
 * to read: a silently smaller dataset is worse than a stopped run.
 */
export function prepareData(options: PrepareOptions): PrepareSummary {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const entries = listClips(options.mocapDir);
  const skeletons = new Map<string, AsfSkeleton>();
  const loaded: Record<Split, LoadedClip[]> = { train: [], test: [] };
  let lastSubject = '';
  for (const entry of entries) {
    const subject = `${entry.source}/${entry.subject}`;
    if (subject !== lastSubject) {
      log(`reading ${subject} (${entry.split})`);
      lastSubject = subject;
    }
    loaded[entry.split].push(loadClip(entry, skeletons));
  }

  mkdirSync(options.outDir, { recursive: true });
  const files = { train: join(options.outDir, 'train.safetensors'), test: join(options.outDir, 'test.safetensors') };
  const splits = {} as Record<Split, SplitSummary>;
  for (const split of ['train', 'test'] as const) {
    const prepared = assembleSplit(loaded[split].map((c) => ({
      info: { name: c.entry.name, source: c.entry.source, subject: c.entry.subject },
      poses: c.poses,
    })));
    writePreparedSplit(files[split], prepared);
    splits[split] = summarise(prepared);
  }
  return {
    mocapDir: options.mocapDir, outDir: options.outDir, files, splits, warnings: [],
    seconds: (Date.now() - started) / 1000,
  };
}

function summarise(split: PreparedSplit): SplitSummary {
  const minutes = (frames: number): number => frames / PREPARED_FPS / 60;
  const bySource: SplitSummary['bySource'] = {};
  for (const c of split.clips) {
    const s = (bySource[c.source] ??= { clips: 0, frames: 0, minutes: 0 });
    s.clips++;
    s.frames += c.frames;
    s.minutes = minutes(s.frames);
  }
  return { clips: split.clips.length, frames: split.clip.length, minutes: minutes(split.clip.length), subjects: split.subjects, bySource };
}
