import { InputError } from '../errors.js';
import { FORMATS, toH36m } from './formats.js';
import type { Detection, KeypointFile } from './keypoint-file.js';
import { NUM_JOINTS } from './skeleton.js';

/** One person followed across frames. */
export interface KeypointTrack {
  /** 0, 1, ... in order of first appearance (left to right among people appearing together). */
  person: number;
  /** The caller's id for this person (CSV person column, track_id, ...), when tracks come from the file's ids. */
  id?: string | number;
  /** The frame id of each of the track's frames. */
  frames: Array<number | string>;
  /** Each frame's time in seconds, when the file gives times. */
  times?: number[];
  /** Each frame's detection's place in the input file (see Detection.input). */
  inputs: number[];
  /** [frames, K, 2] pixels; NaN where a keypoint is missing. */
  keypoints: Float32Array;
  /** [frames, K]. */
  confidence: Float32Array;
}

/**
 * How detections become tracks: 'ids' groups them by the file's person ids (every detection
 * must have one), 'boxes' follows box positions from frame to frame, 'auto' (default) uses the
 * ids when every detection has one, else boxes.
 */
export type TrackMode = 'auto' | 'ids' | 'boxes';
export const TRACK_MODES: readonly TrackMode[] = ['auto', 'ids', 'boxes'];

/**
 * A detection joins a track when its box centre is within this many person-heights of the
 * track's last box centre: people move well under their own height between video frames, while
 * two people are rarely closer than that.
 */
export const TRACK_GATE = 0.75;

/** Defaults of the person filter (`lift --min-person-score`, `--min-keypoint-score`). */
export const MIN_PERSON_SCORE = 0.2;
export const MIN_KEYPOINT_SCORE = 0.02;

interface Box { x: number; y: number; size: number }

/** The keypoints of the format that make the 17 H36M joints (the rest: hands, feet, face details, are not used). */
function usedKeypoints(format: string): number[] {
  return [...new Set(FORMATS[format].sources.flatMap((s) => s.map(([k]) => k)))].sort((a, b) => a - b);
}

/**
 * A detection's person score: the file's own (COCO score, MMPose bbox_score, CSV score
 * column), else the mean confidence of the keypoints the lift uses, missing ones and those under
 * `minKeypointScore` counting 0.
 */
export function personScore(d: Detection, format: string, minKeypointScore: number): number {
  if (d.score !== undefined) return d.score;
  const used = usedKeypoints(format);
  return used.reduce((s, k) => s + (d.confidence[k] >= minKeypointScore ? d.confidence[k] : 0), 0) / used.length;
}

/**
 * Drops the detections that are not people to lift: person score under `minPersonScore`, or
 * fewer than two used keypoints at `minKeypointScore` or more. Returns the file without them and
 * how many went. Frames left empty stay (they are simply not in any track).
 */
export function dropWeakDetections(file: KeypointFile, minPersonScore: number, minKeypointScore: number): { file: KeypointFile; dropped: number } {
  const used = usedKeypoints(file.format);
  let dropped = 0;
  const frames = file.frames.map((f) => {
    const keep = f.detections.filter((d) => {
      const detected = used.filter((k) => d.confidence[k] > 0 && d.confidence[k] >= minKeypointScore).length;
      const ok = detected >= 2 && personScore(d, file.format, minKeypointScore) >= minPersonScore;
      if (!ok) dropped++;
      return ok;
    });
    return { ...f, detections: keep };
  });
  return { file: { ...file, frames }, dropped };
}

/** Centre and size (the larger side) of the box around a detection's detected H36M joints (all when none is). */
function boxOf(d: Detection, format: string): Box {
  const m = toH36m(FORMATS[format], 1, d.keypoints, d.confidence);
  const ok = (j: number) => m.confidence![j] > 0 && Number.isFinite(m.keypoints[2 * j]) && Number.isFinite(m.keypoints[2 * j + 1]);
  const use = Array.from({ length: NUM_JOINTS }, (_, j) => j).filter(ok);
  if (use.length === 0) return { x: NaN, y: NaN, size: 1 };
  const xs = use.map((j) => m.keypoints[2 * j]), ys = use.map((j) => m.keypoints[2 * j + 1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, size: Math.max(x1 - x0, y1 - y0, 1) };
}

interface Building { box: Box; id?: string | number; frames: Array<number | string>; times: Array<number | undefined>; detections: Detection[] }

/**
 * Splits the detections of a file into one track per person: by the file's person ids, or by
 * boxes (see TrackMode). By boxes, frames are visited in order; in each, the (track, detection)
 * pairs closer than TRACK_GATE are matched greedily, nearest first (so the order of detections
 * within a frame never matters), and every detection left over starts a new track. A track that
 * misses frames keeps its last box and may be picked up again.
 */
export function trackPeople(file: KeypointFile, mode: TrackMode = 'auto'): KeypointTrack[] {
  const all = file.frames.flatMap((f) => f.detections);
  const withIds = all.filter((d) => d.id !== undefined).length;
  if (mode === 'ids' && withIds < all.length) throw new InputError(`--track ids: ${all.length - withIds} of ${all.length} detections have no person id`);
  const byIds = mode === 'ids' || (mode === 'auto' && all.length > 0 && withIds === all.length);
  const tracks = byIds ? tracksByIds(file) : tracksByBoxes(file);
  const k = FORMATS[file.format].keypoints;
  return tracks.map((t, person) => {
    const keypoints = new Float32Array(t.detections.length * k * 2), confidence = new Float32Array(t.detections.length * k);
    t.detections.forEach((d, i) => { keypoints.set(d.keypoints, i * k * 2); confidence.set(d.confidence, i * k); });
    const track: KeypointTrack = { person, frames: t.frames, inputs: t.detections.map((d) => d.input), keypoints, confidence };
    if (byIds) track.id = t.id;
    if (t.times.every((s) => s !== undefined)) track.times = t.times as number[];
    return track;
  });
}

function tracksByIds(file: KeypointFile): Building[] {
  const tracks = new Map<string | number, Building>();
  for (const frame of file.frames) {
    // Among people first seen in the same frame: left to right.
    const fresh = frame.detections.filter((d) => !tracks.has(d.id!)).map((d) => ({ d, box: boxOf(d, file.format) })).sort((a, b) => a.box.x - b.box.x);
    for (const { d, box } of fresh) tracks.set(d.id!, { box, id: d.id, frames: [], times: [], detections: [] });
    for (const d of frame.detections) {
      const t = tracks.get(d.id!)!;
      t.frames.push(frame.id);
      t.times.push(frame.time);
      t.detections.push(d);
    }
  }
  return [...tracks.values()];
}

function tracksByBoxes(file: KeypointFile): Building[] {
  const tracks: Building[] = [];
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
      const t = tracks[p.t];
      t.box = boxes[p.d];
      t.frames.push(frame.id);
      t.times.push(frame.time);
      t.detections.push(frame.detections[p.d]);
    }
    const fresh = boxes.map((b, d) => ({ b, d })).filter(({ d }) => !takenDetection.has(d)).sort((a, b) => a.b.x - b.b.x);
    for (const { b, d } of fresh) tracks.push({ box: b, frames: [frame.id], times: [frame.time], detections: [frame.detections[d]] });
  }
  return tracks;
}
