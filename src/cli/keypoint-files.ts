import { InputError } from '../errors.js';
import { keypointFormat } from '../pose/formats.js';

/** One person's 2D keypoints over a sequence of frames, as read from a file. */
export interface KeypointTrack {
  /** Person / track id within the file (0 for single-person inputs). */
  person: number;
  /** Frame ids (image_id for COCO results, index otherwise). */
  frames: Array<number | string>;
  /** [frames, K, 2] pixels. */
  keypoints: Float32Array;
  /** [frames, K]. */
  confidence: Float32Array;
}

export interface KeypointFile {
  format: string;
  imageSize?: [number, number];
  tracks: KeypointTrack[];
}

function fail(file: string, msg: string): never {
  throw new InputError(`${file}: ${msg}`);
}

/** Reads `[x, y, score] per keypoint` rows into the track arrays, checking the count. */
function pushKeypoints(file: string, where: string, kps: unknown, k: number, xy: number[], conf: number[]): void {
  const flat: unknown[] = Array.isArray(kps) && kps.length > 0 && Array.isArray(kps[0]) ? (kps as unknown[][]).flat() : (kps as unknown[]);
  if (!Array.isArray(flat) || flat.length !== 3 * k) {
    fail(file, `${where}: expected ${k} keypoints of [x, y, score] (${3 * k} numbers), got ${Array.isArray(flat) ? flat.length : typeof flat} numbers`);
  }
  for (let i = 0; i < k; i++) {
    const [x, y, c] = [flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]].map(Number);
    if (![x, y, c].every(Number.isFinite)) fail(file, `${where}: keypoint ${i} is not three finite numbers`);
    if (c < 0 || c > 1) fail(file, `${where}: keypoint ${i} score ${c} is outside [0, 1]`);
    xy.push(x, y);
    conf.push(c);
  }
}

/**
 * Parses the plain per-frame JSON `{imageSize, format, frames: [{keypoints: [[x, y, score], ...]}]}`
 * or a COCO keypoint results list `[{image_id, category_id, keypoints: [x, y, s, ...], score}]`.
 * COCO results with several detections per image become one track per person, in detection order.
 */
export function parseKeypointJson(file: string, text: string, formatFlag?: string): KeypointFile {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { fail(file, `not valid JSON: ${(e as Error).message}`); }
  if (Array.isArray(doc)) return parseCocoResults(file, doc, formatFlag ?? 'coco17');
  if (typeof doc !== 'object' || doc === null) fail(file, 'expected a JSON object with "frames" or a COCO results list');
  const o = doc as { imageSize?: unknown; format?: unknown; frames?: unknown };
  const format = keypointFormat(formatFlag ?? (typeof o.format === 'string' ? o.format : 'h36m17'));
  if (!Array.isArray(o.frames) || o.frames.length === 0) fail(file, '"frames" must be a non-empty array');
  let imageSize: [number, number] | undefined;
  if (o.imageSize !== undefined) {
    if (!Array.isArray(o.imageSize) || o.imageSize.length !== 2) fail(file, '"imageSize" must be [width, height]');
    imageSize = [Number(o.imageSize[0]), Number(o.imageSize[1])];
  }
  const xy: number[] = [], conf: number[] = [];
  o.frames.forEach((f: unknown, i: number) => pushKeypoints(file, `frame ${i}`, (f as { keypoints?: unknown })?.keypoints, format.keypoints, xy, conf));
  return {
    format: format.name, imageSize,
    tracks: [{ person: 0, frames: o.frames.map((_: unknown, i: number) => i), keypoints: Float32Array.from(xy), confidence: Float32Array.from(conf) }],
  };
}

function parseCocoResults(file: string, list: unknown[], formatName: string): KeypointFile {
  const format = keypointFormat(formatName);
  if (list.length === 0) fail(file, 'the COCO results list is empty');
  // Detections grouped per image in file order; the i-th detection of an image joins track i.
  const order: Array<number | string> = [];
  const perImage = new Map<number | string, unknown[]>();
  list.forEach((d, i) => {
    const id = (d as { image_id?: unknown })?.image_id;
    if (typeof id !== 'number' && typeof id !== 'string') fail(file, `result ${i}: missing image_id`);
    if (!perImage.has(id)) { perImage.set(id, []); order.push(id); }
    perImage.get(id)!.push(d);
  });
  const people = Math.max(...[...perImage.values()].map((v) => v.length));
  const tracks: KeypointTrack[] = [];
  for (let p = 0; p < people; p++) {
    const xy: number[] = [], conf: number[] = [], frames: Array<number | string> = [];
    for (const id of order) {
      const d = perImage.get(id)![p] as { keypoints?: unknown } | undefined;
      if (!d) continue;
      pushKeypoints(file, `image ${id} person ${p}`, d.keypoints, format.keypoints, xy, conf);
      frames.push(id);
    }
    tracks.push({ person: p, frames, keypoints: Float32Array.from(xy), confidence: Float32Array.from(conf) });
  }
  return { format: format.name, tracks };
}
