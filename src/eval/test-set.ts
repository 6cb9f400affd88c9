import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readPreparedSplit, type PreparedSplit } from '../mocap/prepared-file.js';
import { makeTestExamples, type Examples } from '../mocap/test-examples.js';

/** The fixed test examples with the source folder (cmu-bvh, ...) of each. */
export interface TestSet {
  examples: Examples;
  /** Per example, the clip's source folder. */
  source: string[];
  /** Examples before `limit` was applied. */
  total: number;
}

/** Reads `<dir>/<split>.safetensors` (written by `diffpose prepare-data`), with an error that says how to make it. */
export function readSplit(dir: string, split: 'train' | 'test'): PreparedSplit {
  const path = join(dir, `${split}.safetensors`);
  if (!existsSync(path))
    throw new InputError(
      `no prepared ${split} split at ${path}: run "diffpose prepare-data" first, or pass --data DIR`,
    );
  try {
    return readPreparedSplit(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** `count` indices evenly spaced over [0, n): a deterministic subset spanning every clip and source. */
export function evenlySpaced(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1)));
}

function subset(ex: Examples, keep: number[]): Examples {
  const pick = <T extends Float32Array | Int32Array>(a: T, width: number): T => {
    const out = new (a.constructor as new (n: number) => T)(keep.length * width);
    keep.forEach((k, i) => out.set(a.subarray(k * width, (k + 1) * width), i * width));
    return out;
  };
  return {
    count: keep.length,
    keypoints: pick(ex.keypoints, 34),
    confidence: pick(ex.confidence, 17),
    imageSize: pick(ex.imageSize, 2),
    poses3d: pick(ex.poses3d, 51),
    clip: pick(ex.clip, 1),
    frame: pick(ex.frame, 1),
  };
}

/**
 * The fixed-seed test set of docs/camera-model.md built from the prepared test split; with
 * `limit`, that many examples evenly spaced over it (as train/train.py's --eval-size does).
 */
export function loadTestSet(split: PreparedSplit, limit?: number): TestSet {
  const all = makeTestExamples(split);
  const examples = limit === undefined ? all : subset(all, evenlySpaced(all.count, limit));
  return { examples, total: all.count, source: Array.from(examples.clip, (c) => split.clips[c]?.source ?? 'unknown') };
}
