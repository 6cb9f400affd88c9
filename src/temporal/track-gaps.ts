import { TRACK_GATE, boxOf, type PersonBox } from '../pose/track-people.js';
import type { Detection } from '../pose/keypoint-file.js';

/**
 * The most missing frames a track's temporal context bridges. A track that reappears after a
 * longer gap starts over (edge padding, as a new track), in streams and in the CLI's file lifts:
 * its frames before the gap are another moment, often another place. Measured
 * (27 test-split tracks, a gap at frame 32, MPJPE of the frames within 17 of it; lavapipe,
 * shipped weights, docs/temporal-model.md §17): bridging and starting over tie up to 2 missing
 * frames, starting over wins from 4 (offline 59.8 against 60.1 mm) and by far at 30 (58.2
 * against 64.5; causal 62.4 against 66.4).
 */
export const MAX_BRIDGED_GAP = 2;

/** Whether a track last seen at frame `last` continues its context at frame `frame`. */
export function bridgesGap(last: number, frame: number): boolean {
  return frame - last - 1 <= MAX_BRIDGED_GAP;
}

/**
 * Whether a track's person moved from `a` to `b` (consecutive frames of the track) farther than
 * TRACK_GATE of their size: no one does between video frames, so it is another person under the
 * same id (a tracker's swap) and the track starts over, as after a gap. False when either box is
 * unknown (no confident joint).
 */
export function jumps(a: PersonBox | undefined, b: PersonBox): boolean {
  if (!a || !Number.isFinite(a.x) || !Number.isFinite(b.x)) return false;
  return Math.hypot(b.x - a.x, b.y - a.y) / Math.max(a.size, b.size) >= TRACK_GATE;
}

/**
 * The box `jumps` compares: of the joints with confidence 0.3 or more, when at least 6 are. A
 * detector's guesses for hidden joints (low confidence, anywhere) would move a box built from
 * every joint: on the engine's legs-hidden test tracks (garbage legs at confidence under 0.1),
 * boxes of every joint above 0 "jumped" 91 times in 6661 steps; these boxes moved at most 0.29 of
 * their size (0.19 with every joint in the picture), against the gate's 0.75
 * (bench/track-jumps.ts).
 */
export function jumpBox(d: Pick<Detection, 'keypoints' | 'confidence'>, format: string): PersonBox {
  return boxOf(d, format, 0.3, 6);
}
