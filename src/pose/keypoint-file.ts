import { InputError } from '../errors.js';
import type { FormatName } from './formats.js';

/*
 * What every keypoint file reader produces (src/pose/read-keypoints.ts) and the small helpers the
 * readers share. Pure code (no Node APIs): the browser demo uses the same readers.
 */

/** One detected person in one frame, as read from a file. */
export interface Detection {
  /**
   * Where it is in the file: index in a COCO / MediaPipe results list or in a plain file's
   * frames or detections, 1-based line number of a CSV row, index of the file in an OpenPose folder.
   */
  input: number;
  /** [K, 2] pixels (or normalised, see KeypointFile.normalised); NaN where the keypoint is missing. */
  keypoints: Float32Array;
  /** [K] in [0, 1]; 0 where the keypoint is missing. */
  confidence: Float32Array;
  /** The caller's identity for this person (CSV person column, COCO / MMPose track_id, OpenPose person_id, plain JSON id), when the file gives one. */
  id?: string | number;
  /** The detector's score for the whole person, when the file gives one. */
  score?: number;
}

export interface FrameDetections {
  /** The frame's label in the file: image_id, CSV frame column, OpenPose file number, plain JSON frame key; else the index. */
  id: number | string;
  /** Seconds from the start of the video, when the file says (MediaPipe timestampMs, plain JSON time). */
  time?: number;
  detections: Detection[];
}

/** A keypoint file read into frames in time order, each with any number of detections. */
export interface KeypointFile {
  /** Keypoint format name (src/pose/formats.ts). */
  format: FormatName;
  /** The file's layout in words, e.g. "OpenPose *_keypoints.json folder". */
  layout: string;
  imageSize?: [number, number];
  /** Frames per second, when the file says. */
  fps?: number;
  /** Coordinates in [0, 1] of the image (MediaPipe landmarks); converted with the image size before lifting. */
  normalised?: boolean;
  /** What the reader assumed (format chosen from the keypoint count, ...), to be said to the user. */
  assumed: string[];
  frames: FrameDetections[];
}

/** A detection as a reader found it, with its frame and where it is (for messages). */
export interface FoundDetection {
  frame: number | string;
  time?: number;
  d: Detection;
  where: string;
}

/** What a layout reader returns before the format is settled (read-keypoints.ts finishes it). */
export interface RawKeypointFile {
  layout: string;
  /** The format the file declares, or its layout implies. */
  format?: FormatName;
  imageSize?: [number, number];
  fps?: number;
  normalised?: boolean;
  found: FoundDetection[];
  /** Frame ids in file order, including frames with nobody in them. */
  frameOrder: Array<number | string>;
  assumed?: string[];
}

/** Options every reader takes. */
export interface ReadOptions {
  /** --format: overrides what the file says or implies. */
  format?: string;
}

export function fail(file: string, msg: string): never {
  throw new InputError(`${file}: ${msg}`);
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A number from a file: numbers and numeric strings; null, "", "nan" and "NaN" (how JSON and
 * CSV writers spell a missing value) give NaN; anything else is undefined (an error for the caller).
 */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || /^nan$/i.test(t)) return NaN;
    // Decimal only: Number() would also read "0x10" as 16 and "0b1" as 1.
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$|^[-+]?Infinity$/i.test(t)) return undefined;
    const n = Number(t);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

/**
 * Stores keypoint i of a detection from its x, y and score, the missing-keypoint conventions
 * applied: NaN in x or y, a score of 0 (or NaN) and (0, 0) all mean "not detected" and are
 * stored as position NaN, confidence 0. Scores must be in [0, 1]; x and y finite or NaN.
 */
export function setKeypoint(
  file: string,
  where: string,
  d: Pick<Detection, 'keypoints' | 'confidence'>,
  i: number,
  x: number | undefined,
  y: number | undefined,
  c: number | undefined,
): void {
  if (x === undefined || y === undefined || c === undefined)
    fail(file, `${where}: keypoint ${i} is not three finite numbers (x, y, score)`);
  if ((!Number.isNaN(x) && !Number.isFinite(x)) || (!Number.isNaN(y) && !Number.isFinite(y)))
    fail(file, `${where}: keypoint ${i} has an infinite coordinate`);
  if (c < 0 || c > 1 || c === Infinity) fail(file, `${where}: keypoint ${i} score ${c} is outside [0, 1]`);
  const missing = Number.isNaN(x) || Number.isNaN(y) || Number.isNaN(c) || c === 0 || (x === 0 && y === 0);
  d.keypoints[2 * i] = missing ? NaN : x;
  d.keypoints[2 * i + 1] = missing ? NaN : y;
  d.confidence[i] = missing ? 0 : c;
}

/**
 * Frames in time order: by numeric id when every id is a number (image_ids of a video are
 * usually its frame numbers, but results files are not always sorted), else in the order each
 * id first appears.
 */
export function framesInOrder(
  perFrame: Map<number | string, Detection[]>,
  times?: Map<number | string, number>,
): FrameDetections[] {
  const frames: FrameDetections[] = [...perFrame].map(([id, detections]) =>
    times?.has(id) ? { id, time: times.get(id), detections } : { id, detections },
  );
  if (frames.every((f) => typeof f.id === 'number')) frames.sort((a, b) => (a.id as number) - (b.id as number));
  return frames;
}

export function parseImageSizeText(text: string, what: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m || !(Number(m[1]) > 0 && Number(m[2]) > 0))
    throw new InputError(`${what} must be WIDTHxHEIGHT (pixels, both > 0), got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

/** A JSON `imageSize` value: [width, height], both positive numbers. */
export function imageSizeValue(file: string, v: unknown, key = 'imageSize'): [number, number] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0))
    fail(file, `"${key}" must be [width, height] in pixels`);
  return [v[0], v[1]];
}

/** A JSON `fps` value: a positive finite number. */
export function fpsValue(file: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(file, '"fps" must be a positive number');
  return v;
}

/** A person id from a file: a string or a finite number; -1 and [-1] (OpenPose's "no id") count as none. */
export function personId(v: unknown): string | number | undefined {
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v) && v !== -1) return v;
  return undefined;
}

/** A frame id from a file: an integer, or a non-empty string; numeric strings become numbers. */
export function frameId(v: unknown): number | string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') return /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v.trim()) : v.trim();
  return undefined;
}

/**
 * A person id written as text (a CSV cell): a number where the text is that number's own
 * spelling ("7" is 7), else the text ("007", "1.10", "0x10"): two people whose ids are written
 * differently stay two people, and each keeps the id the file gave it.
 */
export function csvPersonId(v: string): number | string | undefined {
  const text = v.trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && String(n) === text ? n : text;
}

/** The file with coordinates in [0, 1] of the image (MediaPipe landmarks, --normalised) scaled to pixels. */
export function toPixels(file: KeypointFile, [w, h]: readonly [number, number]): KeypointFile {
  const frames = file.frames.map((f) => ({
    ...f,
    detections: f.detections.map((d) => ({ ...d, keypoints: d.keypoints.map((v, i) => v * (i % 2 === 0 ? w : h)) })),
  }));
  return { ...file, frames, normalised: false };
}
