import { keypointFormat } from '../pose/formats.js';
import { fail, framesInOrder, numbersToDetection, parseImageSizeText, type Detection, type KeypointFile } from './detections.js';

/**
 * The keypoint CSV layout `diffpose lift` reads:
 *
 *   # format: coco17            optional comment lines before the header; these two keys are
 *   # imageSize: 640x480        read (--format and --image-size override them), others ignored
 *   frame,person,x0,y0,s0,x1,y1,s1,...
 *   0,0,312.5,200.1,0.93,...
 *
 * One row per detected person per frame. `frame` is the frame's id (numbers are put in numeric
 * order, anything else is taken in order of first appearance); `person` labels the detection
 * within its frame and must be unique there, but it is NOT taken as an identity across frames:
 * lift forms tracks itself. Then x, y (pixels) and score in [0, 1] for each keypoint of the
 * format (default coco17). Blank lines are skipped.
 */
export function parseKeypointCsv(file: string, text: string, formatFlag?: string): KeypointFile {
  const lines = text.split(/\r?\n/);
  const meta = new Map<string, string>();
  let at = 0;
  for (; at < lines.length && (lines[at].trim() === '' || lines[at].trimStart().startsWith('#')); at++) {
    const m = /^\s*#\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(lines[at]);
    if (m) meta.set(m[1], m[2]);
  }
  if (at >= lines.length) fail(file, 'no header row "frame,person,x0,y0,s0,..."');
  const header = lines[at].split(',').map((s) => s.trim());
  if (header[0] !== 'frame' || header[1] !== 'person') fail(file, `line ${at + 1}: the header must start with "frame,person", got "${lines[at].slice(0, 40)}"`);
  const format = keypointFormat(formatFlag ?? meta.get('format') ?? 'coco17');
  const columns = 2 + 3 * format.keypoints;
  if (header.length !== columns) {
    const got = (header.length - 2) % 3 === 0 ? `${(header.length - 2) / 3} keypoints` : `${header.length} columns (not frame, person and x, y, score triples)`;
    fail(file, `line ${at + 1}: the header has ${got}, but format ${format.name} has ${format.keypoints} (${columns} columns); pass --format to say which layout this is`);
  }
  const imageSizeText = meta.get('imageSize');
  const imageSize = imageSizeText === undefined ? undefined : parseImageSizeText(imageSizeText, `${file}: "# imageSize:"`);
  const perFrame = new Map<number | string, Detection[]>();
  const labels = new Map<number | string, Set<string>>();
  for (let i = at + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',').map((s) => s.trim());
    const where = `line ${i + 1}`;
    if (cells.length !== columns) fail(file, `${where}: ${cells.length} columns, expected ${columns} like the header`);
    const id: number | string = /^-?\d+(\.\d+)?$/.test(cells[0]) ? Number(cells[0]) : cells[0];
    if (!labels.has(id)) { labels.set(id, new Set()); perFrame.set(id, []); }
    if (labels.get(id)!.has(cells[1])) fail(file, `${where}: person "${cells[1]}" appears twice in frame ${cells[0]}`);
    labels.get(id)!.add(cells[1]);
    perFrame.get(id)!.push(numbersToDetection(file, where, cells.slice(2), format.keypoints, i + 1));
  }
  if (perFrame.size === 0) fail(file, 'no data rows after the header');
  return { format: format.name, imageSize, frames: framesInOrder(perFrame) };
}
