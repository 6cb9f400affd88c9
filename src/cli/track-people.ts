import { FORMATS, toH36m } from '../pose/formats.js';
import { NUM_JOINTS } from '../pose/skeleton.js';
import type { Detection, KeypointFile } from './detections.js';

/** One person followed across frames. */
export interface KeypointTrack {
  /** 0, 1, ... in order of first appearance (left to right among people appearing together). */
  person: number;
  /** The frame id of each of the track's frames. */
  frames: Array<number | string>;
  /** Each frame's detection's place in the input file (see Detection.input). */
  inputs: number[];
  /** [frames, K, 2] pixels. */
  keypoints: Float32Array;
  /** [frames, K]. */
  confidence: Float32Array;
}

/**
 * A detection joins a track when its box centre is within this many person-heights of the
 * track's last box centre: people move well under their own height between video frames, while
 * two people are rarely closer than that.
 */
export const TRACK_GATE = 0.75;

interface Box { x: number; y: number; size: number }

/** Centre and size (the larger side) of the box around a detection's H36M joints with score > 0 (all when none has). */
function boxOf(d: Detection, format: string): Box {
  const m = toH36m(FORMATS[format], 1, d.keypoints, d.confidence);
  const use = Array.from({ length: NUM_JOINTS }, (_, j) => j).filter((j) => m.confidence![j] > 0);
  const joints = use.length > 0 ? use : Array.from({ length: NUM_JOINTS }, (_, j) => j);
  const xs = joints.map((j) => m.keypoints[2 * j]), ys = joints.map((j) => m.keypoints[2 * j + 1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, size: Math.max(x1 - x0, y1 - y0, 1) };
}

/**
 * Splits the detections of a file into one track per person. Frames are visited in order; in
 * each, the (track, detection) pairs closer than TRACK_GATE are matched greedily, nearest first
 * (so the order of detections within a frame never matters), and every detection left over
 * starts a new track. A track that misses frames keeps its last box and may be picked up again.
 */
export function trackPeople(file: KeypointFile): KeypointTrack[] {
  const tracks: Array<{ box: Box; frames: Array<number | string>; detections: Detection[] }> = [];
  for (const frame of file.frames) {
    const boxes = frame.detections.map((d) => boxOf(d, file.format));
    const pairs: Array<{ t: number; d: number; distance: number }> = [];
    tracks.forEach((track, t) => boxes.forEach((b, d) => {
      const distance = Math.hypot(b.x - track.box.x, b.y - track.box.y) / Math.max(b.size, track.box.size);
      if (distance < TRACK_GATE) pairs.push({ t, d, distance });
    }));
    pairs.sort((a, b) => a.distance - b.distance || a.t - b.t || a.d - b.d);
    const takenTrack = new Set<number>(), takenDetection = new Set<number>();
    for (const p of pairs) {
      if (takenTrack.has(p.t) || takenDetection.has(p.d)) continue;
      takenTrack.add(p.t);
      takenDetection.add(p.d);
      tracks[p.t].box = boxes[p.d];
      tracks[p.t].frames.push(frame.id);
      tracks[p.t].detections.push(frame.detections[p.d]);
    }
    const fresh = boxes.map((b, d) => ({ b, d })).filter(({ d }) => !takenDetection.has(d)).sort((a, b) => a.b.x - b.b.x);
    for (const { b, d } of fresh) tracks.push({ box: b, frames: [frame.id], detections: [frame.detections[d]] });
  }
  return tracks.map((t, person) => {
    const k = FORMATS[file.format].keypoints;
    const keypoints = new Float32Array(t.detections.length * k * 2), confidence = new Float32Array(t.detections.length * k);
    t.detections.forEach((d, i) => { keypoints.set(d.keypoints, i * k * 2); confidence.set(d.confidence, i * k); });
    return { person, frames: t.frames, inputs: t.detections.map((d) => d.input), keypoints, confidence };
  });
}
