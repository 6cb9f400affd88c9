import { InputError } from '../errors.js';
import type { KeypointFormat } from '../pose/formats.js';

/* What every keypoint file reader produces, and the checks they share. */

/** One detected person in one frame, as read from a file. */
export interface Detection {
  /** Where it is in the file: index in a COCO results list or a plain file's frames, data row of a CSV (1-based line number). */
  input: number;
  /** [K, 2] pixels. */
  keypoints: Float32Array;
  /** [K] in [0, 1]. */
  confidence: Float32Array;
}

export interface FrameDetections {
  /** image_id for COCO results, the frame column of a CSV, the index in a plain file. */
  id: number | string;
  detections: Detection[];
}

/** A keypoint file read into frames in time order, each with any number of detections. */
export interface KeypointFile {
  format: string;
  imageSize?: [number, number];
  frames: FrameDetections[];
}

export function fail(file: string, msg: string): never {
  throw new InputError(`${file}: ${msg}`);
}

/** Reads K keypoints of `[x, y, score]` (flat or nested) into a detection, checking the count and values. */
export function readDetection(file: string, where: string, kps: unknown, format: KeypointFormat, input: number): Detection {
  const k = format.keypoints;
  const flat: unknown[] | undefined = Array.isArray(kps) ? (kps.length > 0 && Array.isArray(kps[0]) ? (kps as unknown[][]).flat() : kps) : undefined;
  if (!flat) fail(file, `${where}: "keypoints" is missing or not a list`);
  if (flat.length !== 3 * k) {
    const got = flat.length % 3 === 0 ? `${flat.length / 3} keypoints` : `${flat.length} numbers (not x, y, score triples)`;
    fail(file, `${where}: ${got}, but format ${format.name} has ${k} (${3 * k} numbers); pass --format to say which layout this is`);
  }
  return numbersToDetection(file, where, flat, k, input);
}

/** `[x0, y0, s0, x1, ...]` (numbers or numeric strings) to a detection. */
export function numbersToDetection(file: string, where: string, flat: readonly unknown[], k: number, input: number): Detection {
  const keypoints = new Float32Array(2 * k), confidence = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    const [x, y, c] = [flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]].map((v) => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? Number(v) : NaN));
    if (![x, y, c].every(Number.isFinite)) fail(file, `${where}: keypoint ${i} is not three finite numbers`);
    if (c < 0 || c > 1) fail(file, `${where}: keypoint ${i} score ${c} is outside [0, 1]`);
    keypoints[2 * i] = x;
    keypoints[2 * i + 1] = y;
    confidence[i] = c;
  }
  return { input, keypoints, confidence };
}

/**
 * Frames in time order: by numeric id when every id is a number (image_ids of a video are
 * usually its frame numbers, but results files are not always sorted), else in the order each
 * id first appears.
 */
export function framesInOrder(perFrame: Map<number | string, Detection[]>): FrameDetections[] {
  const frames = [...perFrame].map(([id, detections]) => ({ id, detections }));
  if (frames.every((f) => typeof f.id === 'number')) frames.sort((a, b) => (a.id as number) - (b.id as number));
  return frames;
}

export function parseImageSizeText(text: string, what: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m || !(Number(m[1]) > 0 && Number(m[2]) > 0)) throw new InputError(`${what} must be WIDTHxHEIGHT (pixels, both > 0), got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}
