import { varyProportions } from '../pose/body-proportions.js';
import { randomCameraView, rootRelative } from '../pose/camera.js';
import { detectorNoise } from '../pose/detector-noise.js';
import { Rng } from '../pose/rng.js';
import type { PreparedSplit } from './prepared-file.js';

/**
 * The fixed evaluation inputs of docs/camera-model.md ("Test set"): seed 20231, one camera and
 * one detector-noise draw per example, every 3rd frame of each 30 fps test clip (frames 0, 3,
 * 6, ... counted from each clip's start), clips in file order. The same split and seed always
 * give the same examples, so every evaluation sees the same inputs.
 */
export const TEST_SEED = 20231;
export const TEST_FRAME_STRIDE = 3;

export interface Examples {
  count: number;
  /** count * 17 * 2, pixels (detector output: noisy, with outliers). */
  keypoints: Float32Array;
  /** count * 17. */
  confidence: Float32Array;
  /** count * 2: [width, height] of each example's image, pixels. */
  imageSize: Float32Array;
  /** count * 17 * 3: camera frame (OpenCV), root-relative, metres. */
  poses3d: Float32Array;
  /** Per example, the clip index (into the split's clip list). */
  clip: Int32Array;
  /** Per example, the frame index within the split. */
  frame: Int32Array;
}

/**
 * Builds the examples for frames `frames` of a split's poses, one camera each, in order, from
 * `rng`; with `varyProportions` each pose first gets another person's proportions (the truth too).
 */
export function makeExamples(
  poses: Float32Array,
  frames: readonly number[],
  clipOf: (frame: number) => number,
  rng: Rng,
  options: { varyProportions?: boolean } = {},
): Examples {
  const n = frames.length;
  const ex: Examples = {
    count: n,
    keypoints: new Float32Array(n * 34),
    confidence: new Float32Array(n * 17),
    imageSize: new Float32Array(n * 2),
    poses3d: new Float32Array(n * 51),
    clip: new Int32Array(n),
    frame: new Int32Array(n),
  };
  frames.forEach((f, i) => {
    const world = poses.subarray(f * 51, f * 51 + 51);
    const view = randomCameraView(rng, options.varyProportions ? varyProportions(world, rng) : world);
    const detected = detectorNoise(rng, view.projected);
    ex.keypoints.set(detected.keypoints, i * 34);
    ex.confidence.set(detected.confidence, i * 17);
    ex.imageSize[i * 2] = view.camera.width;
    ex.imageSize[i * 2 + 1] = view.camera.height;
    ex.poses3d.set(rootRelative(view.pointsCamera), i * 51);
    ex.clip[i] = clipOf(f);
    ex.frame[i] = f;
  });
  return ex;
}

/** Every `stride`-th frame of each clip, counted from the clip's first frame. */
export function strideFrames(clip: Int32Array, stride: number): number[] {
  const frames: number[] = [];
  let clipStart = 0;
  for (let f = 0; f < clip.length; f++) {
    if (f > 0 && clip[f] !== clip[f - 1]) clipStart = f;
    if ((f - clipStart) % stride === 0) frames.push(f);
  }
  return frames;
}

/** The fixed-seed test set from the prepared test split (see the top of this file). */
export function makeTestExamples(testPoses: Pick<PreparedSplit, 'poses' | 'clip'>): Examples {
  const frames = strideFrames(testPoses.clip, TEST_FRAME_STRIDE);
  return makeExamples(testPoses.poses, frames, (f) => testPoses.clip[f], new Rng(TEST_SEED));
}
