import { formatsWithKeypoints, keypointFormat, type KeypointFormat } from './formats.js';
import { fail, fpsValue, frameId, parseImageSizeText, type FoundDetection, type RawKeypointFile } from './keypoint-file.js';
import { readKeypointValues } from './keypoint-values.js';

/**
 * The keypoint CSV layout `diffpose lift` reads:
 *
 *   # format: coco17            optional comment lines before the header; these keys are read
 *   # imageSize: 640x480        (--format and --image-size override them), others ignored
 *   # fps: 30
 *   frame,person,x0,y0,s0,x1,y1,s1,...        (or frame,person,score,x0,... with a person score)
 *   0,alice,312.5,200.1,0.93,...
 *
 * One row per detected person per frame. `frame` is the frame's id (numbers are put in numeric
 * order, anything else is taken in order of first appearance); `person` is the person's identity
 * across frames (kept in the output; `lift --track boxes` ignores it and tracks by position), unique
 * within a frame. Then x, y (pixels) and score in [0, 1] for each keypoint of the format; a missing
 * keypoint is 0,0,0, an empty cell or nan. Without a format the keypoint count decides (17: the
 * joint order the skeleton fits, COCO or Human3.6M). Blank lines are skipped.
 */
export function parseKeypointCsv(file: string, text: string, declared?: KeypointFormat): RawKeypointFile {
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
  const scoreColumn = header[2] === 'score';
  const first = scoreColumn ? 3 : 2;
  const metaFormat = meta.get('format');
  const format = declared ?? (metaFormat !== undefined ? keypointFormat(metaFormat) : undefined);
  const values = header.length - first;
  if (values % 3 !== 0 || values === 0) fail(file, `line ${at + 1}: the header has ${header.length} columns (not frame, person${scoreColumn ? ', score' : ''} and x, y, score triples)`);
  if (format && values !== 3 * format.keypoints) {
    fail(file, `line ${at + 1}: the header has ${values / 3} keypoints, but format ${format.name} has ${format.keypoints} (${first + 3 * format.keypoints} columns); pass --format to say which layout this is`);
  }
  // The header fixes the count: without a declared format any format with that many keypoints reads the rows.
  const counting = format ?? formatsWithKeypoints(values / 3)[0];
  if (!counting) fail(file, `line ${at + 1}: the header has ${values / 3} keypoints, and no known format has that many; pass --format`);
  const imageSizeText = meta.get('imageSize');
  const imageSize = imageSizeText === undefined ? undefined : parseImageSizeText(imageSizeText, `${file}: "# imageSize:"`);
  const fpsText = meta.get('fps');
  const fps = fpsText === undefined ? undefined : fpsValue(`${file}: "# fps:"`, Number(fpsText));
  const found: FoundDetection[] = [];
  const frameOrder: Array<number | string> = [];
  const seen = new Set<number | string>();
  for (let i = at + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',');
    const where = `line ${i + 1}`;
    if (cells.length !== header.length) fail(file, `${where}: ${cells.length} columns, expected ${header.length} like the header`);
    const frame = frameId(cells[0]);
    if (frame === undefined) fail(file, `${where}: empty frame`);
    if (!seen.has(frame)) { seen.add(frame); frameOrder.push(frame); }
    const d = readKeypointValues({ file, where, value: cells.slice(first), expect: counting, input: i + 1 });
    const person = frameId(cells[1]);
    if (person !== undefined) d.id = person;
    if (scoreColumn) {
      const s = Number(cells[2]);
      if (cells[2].trim() === '' || !Number.isFinite(s)) fail(file, `${where}: the person score "${cells[2].trim()}" is not a number`);
      d.score = s;
    }
    found.push({ frame, d, where });
  }
  if (found.length === 0) fail(file, 'no data rows after the header');
  return { layout: 'CSV', format: format?.name, imageSize, fps, found, frameOrder };
}
