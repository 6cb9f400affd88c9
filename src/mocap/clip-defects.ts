import type { AmcMotion } from './amc.js';
import type { AsfSkeleton } from './asf.js';
import type { Bvh } from './bvh.js';

/**
 * Known ways the source files are broken, found by looking at the data (see the report of
 * prepare-data). Each detector says which frames to keep or why a clip cannot be used; the
 * caller lists every use in its warnings, so nothing is dropped silently.
 */

export class ClipDefect extends Error {
  override name = 'ClipDefect';
}

/**
 * Leading frames of a BVH whose root rotation is written as exactly zero. The cgspeed
 * conversions of CMU start every take with a T-pose reference frame written this way (and a few
 * takes hold it for some more frames, e.g. subject-09/09_10), which jumps to the real first
 * pose within one frame. Real frames never have all three root angles exactly 0.
 */
export function bvhReferenceFrames(bvh: Bvh): number {
  const root = bvh.skeleton.joints[0];
  const rotations: number[] = [];
  root.channels.forEach((c, i) => {
    if (c.endsWith('rotation')) rotations.push(root.channelStart + i);
  });
  if (rotations.length === 0) return 0;
  let n = 0;
  while (n < bvh.frameCount && rotations.every((k) => bvh.values[n * bvh.skeleton.channelsPerFrame + k] === 0)) n++;
  return n;
}

/** Bones with two or more rotation dofs all written as exactly zero in one frame, beyond which a frame has no data. */
const ZEROED_BONES_FOR_MISSING = 3;

/**
 * Frames of an AMC where several multi-dof bones are exactly zero: the exporter had no data
 * for them and wrote the rest pose (cmu-asfamc/03/03_02 begins with 50 such frames, arms and
 * spine in a T-pose while the legs walk). Real angles are never exactly zero on 3 bones at once.
 */
export function amcMissingDataFrames(skeleton: AsfSkeleton, motion: AmcMotion): boolean[] {
  const bones = skeleton.bones
    .filter((b) => b.dof.length >= 2)
    .map((b) => ({ start: motion.channelStart.get(b.name)!, count: b.dof.length }));
  const missing: boolean[] = [];
  for (let f = 0; f < motion.frameCount; f++) {
    const base = f * motion.channelsPerFrame;
    let zeroed = 0;
    for (const b of bones) {
      let allZero = true;
      for (let k = 0; k < b.count && allZero; k++) allZero = motion.values[base + b.start + k] === 0;
      if (allZero) zeroed++;
    }
    missing.push(zeroed >= ZEROED_BONES_FOR_MISSING);
  }
  return missing;
}

/**
 * The frame range left after cutting bad frames off both ends. Bad frames in the middle
 * would need the clip cut in two, which no file needs so far: that is an error.
 */
export function trimBadEnds(bad: readonly boolean[]): { first: number; end: number } {
  let first = 0,
    end = bad.length;
  while (first < end && bad[first]) first++;
  while (end > first && bad[end - 1]) end--;
  const interior = bad.slice(first, end).filter((b) => b).length;
  if (first === end) throw new ClipDefect('every frame is bad');
  if (interior > 0) throw new ClipDefect(`${interior} bad frames in the middle of the clip`);
  return { first, end };
}

/** Lowest plausible ankle-joint height: the floor is y = 0 and an ankle is ~8 cm above it. */
const MIN_ANKLE_HEIGHT_M = -0.2;

/**
 * The world frame puts the floor at y = 0. A clip whose lower ankle is well below it in most
 * frames was exported with a wrong root height (cgspeed subject-07/07_12 and subject-09/09_10
 * are ~0.8 m under the floor); its camera heights would be wrong, so it cannot be used.
 */
export function floorDefect(
  poses: Float32Array,
  frames: number,
  leftAnkle: number,
  rightAnkle: number,
): string | undefined {
  const lowest: number[] = [];
  for (let f = 0; f < frames; f++) {
    lowest.push(Math.min(poses[(f * 17 + leftAnkle) * 3 + 1], poses[(f * 17 + rightAnkle) * 3 + 1]));
  }
  lowest.sort((a, b) => a - b);
  const median = lowest[Math.floor(frames / 2)];
  if (median < MIN_ANKLE_HEIGHT_M) {
    return `the lower ankle is at y = ${median.toFixed(2)} m in the median frame (floor y = 0): wrong root height`;
  }
  return undefined;
}
