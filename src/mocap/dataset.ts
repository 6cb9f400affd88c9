import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AsfSkeleton } from './asf.js';
import { readAsfFile } from './asf.js';
import { readAmcFile } from './amc.js';
import { readBvhFile } from './bvh.js';
import type { ClipEntry, Split } from './clip-catalog.js';
import { listClips } from './clip-catalog.js';
import { ClipDefect, amcMissingDataFrames, bvhReferenceFrames, floorDefect, trimBadEnds } from './clip-defects.js';
import type { H36mClip } from './h36m-mapping.js';
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
  /** Source frames kept, after cutting defective frames off the ends. */
  sourceFrames: number;
  /** How the file's lengths were read (e.g. "cm"). */
  unit: string;
  /** What was cut and why (see clip-defects.ts); empty for a clean clip. */
  cuts: string[];
}

export class ClipError extends Error {
  override name = 'ClipError';
}

const LEFT_ANKLE = 6,
  RIGHT_ANKLE = 3;

/**
 * Reads, maps, cleans and resamples one clip. `skeletons` caches parsed ASF files across the
 * clips of a subject. A file that cannot be read is a `ClipError` naming it; a clip that reads
 * but cannot be used (clip-defects.ts) is a `ClipDefect` naming it.
 */
export function loadClip(entry: ClipEntry, skeletons: Map<string, AsfSkeleton> = new Map()): LoadedClip {
  const named = (e: unknown): string => {
    const message = (e as Error).message;
    return `clip ${entry.name}: ${message.includes(entry.motionPath) ? message : `${entry.motionPath}: ${message}`}`;
  };
  try {
    let mapped: H36mClip;
    let fps: number;
    let keep = { first: 0, end: 0 };
    const cuts: string[] = [];
    if (entry.format === 'bvh') {
      const bvh = readBvhFile(entry.motionPath);
      mapped = bvhToH36m(bvh);
      fps = entry.fpsOverride ?? roundedRate(bvh.frameTime);
      const reference = bvhReferenceFrames(bvh);
      keep = { first: reference, end: bvh.frameCount };
      if (reference > 0)
        cuts.push(`dropped ${reference} leading T-pose reference frame(s) (root rotation written as 0 0 0)`);
    } else {
      const path = entry.skeletonPath!;
      let skeleton = skeletons.get(path);
      if (!skeleton) {
        skeleton = readAsfFile(path);
        skeletons.set(path, skeleton);
      }
      const motion = readAmcFile(entry.motionPath, skeleton);
      mapped = asfAmcToH36m(skeleton, motion);
      fps = entry.fpsOverride!;
      const missing = amcMissingDataFrames(skeleton, motion);
      keep = trimBadEnds(missing);
      const cut = motion.frameCount - (keep.end - keep.first);
      if (cut > 0)
        cuts.push(
          `cut ${keep.first} leading and ${motion.frameCount - keep.end} trailing frames with no data (bones written as exact zeros)`,
        );
    }
    const stride = JOINTS * 3;
    const frames = keep.end - keep.first;
    const poses = mapped.poses.subarray(keep.first * stride, keep.end * stride);
    const firstBad = poses.findIndex((v) => !Number.isFinite(v));
    if (firstBad >= 0)
      throw new ClipError(`non-finite position in frame ${keep.first + Math.floor(firstBad / stride)}`);
    const floor = floorDefect(poses, frames, LEFT_ANKLE, RIGHT_ANKLE);
    if (floor) throw new ClipDefect(floor);
    const resampled = resamplePoses(poses, frames, fps, PREPARED_FPS);
    return { entry, ...resampled, sourceFps: fps, sourceFrames: frames, unit: mapped.unit, cuts };
  } catch (e) {
    if (e instanceof ClipDefect) throw new ClipDefect(named(e), { cause: e });
    throw new ClipError(named(e), { cause: e });
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
  /** Clips left out and frames cut, each with the reason and the clips concerned. */
  warnings: string[];
  seconds: number;
}

export interface PrepareOptions {
  mocapDir: string;
  outDir: string;
  /** `<source>/<subject>` folders held out as the test split; default: the data README's. */
  testSubjects?: readonly string[];
  /** Progress lines (one per subject); default: none. */
  log?: (line: string) => void;
}

/**
 * Reads every clip of the mocap folder, splits it as the data README says, and writes
 * `train.safetensors` and `test.safetensors` to `outDir`. Throws on the first clip that fails
 * to read: a silently smaller dataset is worse than a stopped run. Clips with a known defect
 * (clip-defects.ts) are cut or left out, and every such case is listed in `warnings`.
 */
export function prepareData(options: PrepareOptions): PrepareSummary {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const entries = listClips(options.mocapDir, options.testSubjects);
  const skeletons = new Map<string, AsfSkeleton>();
  const loaded: Record<Split, LoadedClip[]> = { train: [], test: [] };
  const cutsByReason = new Map<string, string[]>();
  const leftOut: string[] = [];
  let lastSubject = '';
  for (const entry of entries) {
    const subject = `${entry.source}/${entry.subject}`;
    if (subject !== lastSubject) {
      log(`reading ${subject} (${entry.split})`);
      lastSubject = subject;
    }
    let clip: LoadedClip;
    try {
      clip = loadClip(entry, skeletons);
    } catch (e) {
      if (!(e instanceof ClipDefect)) throw e;
      leftOut.push(`left out ${e.message}`);
      continue;
    }
    for (const cut of clip.cuts) cutsByReason.set(cut, [...(cutsByReason.get(cut) ?? []), entry.name]);
    loaded[entry.split].push(clip);
  }
  const warnings = [
    ...leftOut,
    ...[...cutsByReason].map(([reason, clips]) => `${reason}: ${clips.length} clip(s): ${listSome(clips)}`),
  ];

  mkdirSync(options.outDir, { recursive: true });
  const files = { train: join(options.outDir, 'train.safetensors'), test: join(options.outDir, 'test.safetensors') };
  const splits = {} as Record<Split, SplitSummary>;
  for (const split of ['train', 'test'] as const) {
    const prepared = assembleSplit(
      loaded[split].map((c) => ({
        info: { name: c.entry.name, source: c.entry.source, subject: c.entry.subject },
        poses: c.poses,
      })),
    );
    writePreparedSplit(files[split], prepared);
    splits[split] = summarise(prepared);
  }
  return {
    mocapDir: options.mocapDir,
    outDir: options.outDir,
    files,
    splits,
    warnings,
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
  return {
    clips: split.clips.length,
    frames: split.clip.length,
    minutes: minutes(split.clip.length),
    subjects: split.subjects,
    bySource,
  };
}

function listSome(names: string[], max = 6): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length - max} more)`;
}
