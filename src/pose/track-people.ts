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

/** A person's keypoint box: centre and the larger side, pixels. */
export interface PersonBox {
  x: number;
  y: number;
  size: number;
}
type Box = PersonBox;

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
 * Whether a detection is not a person to lift: person score under `minPersonScore`, or fewer
 * than two used keypoints at `minKeypointScore` or more.
 */
export function isWeakDetection(
  d: Detection,
  format: string,
  minPersonScore: number,
  minKeypointScore: number,
): boolean {
  const detected = usedKeypoints(format).filter(
    (k) => d.confidence[k] > 0 && d.confidence[k] >= minKeypointScore,
  ).length;
  return detected < 2 || personScore(d, format, minKeypointScore) < minPersonScore;
}

/** The file without its weak detections (isWeakDetection), and how many went. Frames left empty stay. */
export function dropWeakDetections(
  file: KeypointFile,
  minPersonScore: number,
  minKeypointScore: number,
): { file: KeypointFile; dropped: number } {
  let dropped = 0;
  const frames = file.frames.map((f) => {
    const keep = f.detections.filter((d) => !isWeakDetection(d, file.format, minPersonScore, minKeypointScore));
    dropped += f.detections.length - keep.length;
    return { ...f, detections: keep };
  });
  return { file: { ...file, frames }, dropped };
}

/** Centre and size (the larger side) of the box around a detection's detected H36M joints (all when none is). */
/**
 * The box of a detection's Human3.6M joints with confidence above 0 and at least `minConfidence`
 * (centre NaN when fewer than `minJoints` are).
 */
export function boxOf(
  d: Pick<Detection, 'keypoints' | 'confidence'>,
  format: string,
  minConfidence = 0,
  minJoints = 1,
): Box {
  const m = toH36m(FORMATS[format], 1, d.keypoints, d.confidence);
  const ok = (j: number) =>
    m.confidence![j] > 0 &&
    m.confidence![j] >= minConfidence &&
    Number.isFinite(m.keypoints[2 * j]) &&
    Number.isFinite(m.keypoints[2 * j + 1]);
  const use = Array.from({ length: NUM_JOINTS }, (_, j) => j).filter(ok);
  if (use.length < minJoints || use.length === 0) return { x: NaN, y: NaN, size: 1 };
  const xs = use.map((j) => m.keypoints[2 * j]),
    ys = use.map((j) => m.keypoints[2 * j + 1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, size: Math.max(x1 - x0, y1 - y0, 1) };
}

/** Where a frame's detections went: the index of each one's track (new tracks get the next indices). */
export interface Assignment {
  track: number;
  detection: Detection;
}

/**
 * Frame-by-frame tracking (so a long file can be tracked as it streams): by the file's person
 * ids, or by boxes. By boxes, the (track, detection) pairs of a frame closer than TRACK_GATE are
 * matched greedily, nearest first (so the order of detections within a frame never matters), and
 * every detection left over starts a new track, left to right. A track that misses frames keeps
 * its last box and may be picked up again. Tracks are numbered in order of first appearance.
 */
export class PeopleTracker {
  private readonly boxes: Box[] = [];
  private readonly byId = new Map<string | number, number>();
  /** Each track's id (by ids) in track order. */
  readonly ids: Array<string | number | undefined> = [];

  constructor(
    private readonly format: string,
    readonly byIds: boolean,
  ) {}

  get count(): number {
    return this.boxes.length;
  }

  push(detections: readonly Detection[]): Assignment[] {
    const boxes = detections.map((d) => boxOf(d, this.format));
    const track = new Array<number>(detections.length).fill(-1);
    if (this.byIds) {
      detections.forEach((d, k) => {
        if (d.id === undefined)
          throw new InputError(
            `tracking by person ids, but a detection has none (input ${d.input}): pass --track boxes`,
          );
        const t = this.byId.get(d.id);
        if (t !== undefined) track[k] = t;
      });
    } else {
      const pairs: Array<{ t: number; d: number; distance: number }> = [];
      this.boxes.forEach((tb, t) =>
        boxes.forEach((b, d) => {
          const distance = Math.hypot(b.x - tb.x, b.y - tb.y) / Math.max(b.size, tb.size);
          if (distance < TRACK_GATE) pairs.push({ t, d, distance });
        }),
      );
      pairs.sort((a, b) => a.distance - b.distance || a.t - b.t || a.d - b.d);
      const takenTrack = new Set<number>();
      for (const p of pairs) {
        if (takenTrack.has(p.t) || track[p.d] >= 0) continue;
        takenTrack.add(p.t);
        track[p.d] = p.t;
      }
    }
    // New people, left to right.
    const fresh = boxes
      .map((b, d) => ({ b, d }))
      .filter(({ d }) => track[d] < 0)
      .sort((a, b) => a.b.x - b.b.x);
    for (const { d } of fresh) {
      track[d] = this.boxes.length;
      this.boxes.push(boxes[d]);
      this.ids.push(detections[d].id);
      if (this.byIds) this.byId.set(detections[d].id!, track[d]);
    }
    track.forEach((t, d) => {
      this.boxes[t] = boxes[d];
    });
    return detections.map((detection, d) => ({ track: track[d], detection }));
  }
}

/** Whether to track by ids: 'ids', or 'auto' when every detection has one. */
export function tracksByIds(mode: TrackMode, detections: readonly Detection[]): boolean {
  const withIds = detections.filter((d) => d.id !== undefined).length;
  if (mode === 'ids' && withIds < detections.length)
    throw new InputError(
      `--track ids: ${detections.length - withIds} of ${detections.length} detections have no person id`,
    );
  return mode === 'ids' || (mode === 'auto' && detections.length > 0 && withIds === detections.length);
}

/** Splits the detections of a file into one track per person (see PeopleTracker and TrackMode). */
export function trackPeople(file: KeypointFile, mode: TrackMode = 'auto'): KeypointTrack[] {
  const byIds = tracksByIds(
    mode,
    file.frames.flatMap((f) => f.detections),
  );
  const tracker = new PeopleTracker(file.format, byIds);
  const tracks: Array<{ frames: Array<number | string>; times: Array<number | undefined>; detections: Detection[] }> =
    [];
  for (const frame of file.frames) {
    for (const { track, detection } of tracker.push(frame.detections)) {
      tracks[track] ??= { frames: [], times: [], detections: [] };
      tracks[track].frames.push(frame.id);
      tracks[track].times.push(frame.time);
      tracks[track].detections.push(detection);
    }
  }
  const k = FORMATS[file.format].keypoints;
  return tracks.map((t, person) => {
    const keypoints = new Float32Array(t.detections.length * k * 2),
      confidence = new Float32Array(t.detections.length * k);
    t.detections.forEach((d, i) => {
      keypoints.set(d.keypoints, i * k * 2);
      confidence.set(d.confidence, i * k);
    });
    const track: KeypointTrack = {
      person,
      frames: t.frames,
      inputs: t.detections.map((d) => d.input),
      keypoints,
      confidence,
    };
    if (byIds) track.id = tracker.ids[person];
    if (t.times.every((s) => s !== undefined)) track.times = t.times as number[];
    return track;
  });
}
