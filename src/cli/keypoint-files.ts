import { keypointFormat } from '../pose/formats.js';
import { fail, framesInOrder, readDetection, type Detection, type KeypointFile } from './detections.js';
import { parseKeypointCsv } from './keypoint-csv.js';

export type { Detection, FrameDetections, KeypointFile } from './detections.js';

/**
 * Reads a keypoint file of any supported kind: a CSV (by the `.csv` extension), a COCO keypoint
 * results list (a JSON array) or the plain per-frame JSON object. `formatFlag` overrides the
 * format the file says or implies (COCO results and CSV: coco17; plain JSON: its `format`, else h36m17).
 */
export function readKeypointText(file: string, text: string, formatFlag?: string): KeypointFile {
  if (/\.csv$/i.test(file)) return parseKeypointCsv(file, text, formatFlag);
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { fail(file, `not valid JSON (${(e as Error).message})`); }
  if (Array.isArray(doc)) return parseCocoResults(file, doc, formatFlag);
  if (typeof doc !== 'object' || doc === null) fail(file, 'expected a COCO results list or a JSON object with "frames"');
  return parsePlainJson(file, doc as Record<string, unknown>, formatFlag);
}

/** `{imageSize?, format?, frames: [{keypoints: [[x, y, score], ...]}]}`: one person per frame. */
function parsePlainJson(file: string, o: Record<string, unknown>, formatFlag?: string): KeypointFile {
  if (o.format !== undefined && typeof o.format !== 'string') fail(file, '"format" must be a string');
  const format = keypointFormat(formatFlag ?? (o.format as string | undefined) ?? 'h36m17');
  if (!Array.isArray(o.frames) || o.frames.length === 0) fail(file, '"frames" must be a non-empty list');
  let imageSize: [number, number] | undefined;
  if (o.imageSize !== undefined) {
    const s = o.imageSize;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => typeof v === 'number' && v > 0)) fail(file, '"imageSize" must be [width, height] in pixels');
    imageSize = [s[0], s[1]];
  }
  const frames = o.frames.map((f: unknown, i: number) => ({
    id: i, detections: [readDetection(file, `frame ${i}`, (f as { keypoints?: unknown } | null)?.keypoints, format, i)],
  }));
  return { format: format.name, imageSize, frames };
}

/** `[{image_id, category_id, keypoints: [x, y, s, ...], score}]`: any number of people per image. */
function parseCocoResults(file: string, list: unknown[], formatFlag?: string): KeypointFile {
  const format = keypointFormat(formatFlag ?? 'coco17');
  if (list.length === 0) fail(file, 'the COCO results list is empty');
  const perFrame = new Map<number | string, Detection[]>();
  list.forEach((d, i) => {
    const r = d as { image_id?: unknown; keypoints?: unknown } | null;
    const id = r?.image_id;
    if (typeof id !== 'number' && typeof id !== 'string') fail(file, `result ${i}: missing image_id`);
    if (!perFrame.has(id)) perFrame.set(id, []);
    perFrame.get(id)!.push(readDetection(file, `result ${i} (image_id ${id})`, r?.keypoints, format, i));
  });
  return { format: format.name, frames: framesInOrder(perFrame) };
}
