import { readKeypointText } from '../../src/pose/read-keypoints.js';
import { trackPeople } from '../../src/pose/track-people.js';
import type { LiftOptions } from '../../src/lift-options.js';
import type { FormatName } from '../../src/pose/formats.js';
import type { DemoExample } from './example-list.js';

/** One person's 2D keypoint sequence as the demo lifts it. */
export interface Sequence {
  example: DemoExample;
  format: FormatName;
  imageSize: [number, number];
  frames: number;
  /** [frames, K, 2] pixels and [frames, K] scores, in the file's format. */
  keypoints: Float32Array;
  confidence: Float32Array;
}

export interface LiftSettings {
  hypotheses: number;
  timesteps: number[];
  seed: number;
}

/** Reads an example file with the library's keypoint readers (src/pose) (pure code, no Node APIs) and keeps its first person. */
export function sequenceFromText(example: DemoExample, text: string): Sequence {
  const file = readKeypointText(example.file, text);
  const [track] = trackPeople(file);
  return {
    example,
    format: file.format,
    imageSize: file.imageSize ?? example.imageSize,
    frames: track.frames.length,
    keypoints: track.keypoints,
    confidence: track.confidence,
  };
}

/** The options of the demo's one lift call per sequence; the browser test gives Node the same. */
export function liftOptionsFor(seq: Sequence, s: LiftSettings): LiftOptions {
  return {
    imageSize: seq.imageSize,
    format: seq.format,
    confidence: seq.confidence,
    hypotheses: s.hypotheses,
    timesteps: s.timesteps,
    seed: s.seed,
    samples: true,
  };
}
