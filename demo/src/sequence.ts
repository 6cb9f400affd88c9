import { readKeypointText } from '../../src/pose/read-keypoints.js';
import { trackPeople } from '../../src/pose/track-people.js';
import type { DiffPose, LiftResult, SequenceOptions } from '../../src/diffpose.js';
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

/** Which model lifts: the temporal one over the whole track (centred or causal windows), or each frame alone. */
export type DemoModel = 'offline' | 'causal' | 'frame';
export const DEMO_MODELS: readonly DemoModel[] = ['offline', 'causal', 'frame'];

export interface LiftSettings {
  hypotheses: number;
  timesteps: number[];
  seed: number;
  model: DemoModel;
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
export function liftOptionsFor(seq: Sequence, s: LiftSettings): SequenceOptions & { samples: true } {
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

/** The demo's one lift call per sequence (the browser test makes the same in Node). */
export function liftSequenceWith(
  model: DiffPose,
  seq: Sequence,
  s: LiftSettings,
): Promise<LiftResult & { samples: Float32Array }> {
  const options = liftOptionsFor(seq, s);
  return s.model === 'frame'
    ? model.lift(seq.keypoints, options)
    : model.liftSequence(seq.keypoints, { ...options, causal: s.model === 'causal', fps: seq.example.fps });
}
