import { formatsWithKeypoints, keypointFormat, type KeypointFormat } from './formats.js';
import {
  fail,
  fpsValue,
  csvPersonId,
  frameId,
  parseImageSizeText,
  type FoundDetection,
  type RawKeypointFile,
} from './keypoint-file.js';
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
 * order, anything else is taken in order of first appearance; a streamed file must list its
 * frames in order); `person` is the person's identity across frames (kept in the output;
 * `lift --track boxes` ignores it and tracks by position), unique within a frame. Then x, y
 * (pixels) and score in [0, 1] for each keypoint of the format; a missing keypoint is 0,0,0, an
 * empty cell or nan. Without a format the keypoint count decides (17: the joint order the
 * skeleton fits, COCO or Human3.6M). Blank lines are skipped.
 */
export function parseKeypointCsv(file: string, text: string, declared?: KeypointFormat): RawKeypointFile {
  const lines = text.split(/\r?\n/);
  const reader = new CsvReader(file, declared);
  const found: FoundDetection[] = [];
  const frameOrder: Array<number | string> = [];
  const seen = new Set<number | string>();
  lines.forEach((line, i) => {
    const row = reader.line(line, i + 1);
    if (!row) return;
    if (!seen.has(row.frame)) {
      seen.add(row.frame);
      frameOrder.push(row.frame);
    }
    found.push(row);
  });
  const header = reader.end();
  return {
    layout: 'CSV',
    format: header.format?.name,
    imageSize: header.imageSize,
    fps: header.fps,
    found,
    frameOrder,
  };
}

/** What the comment lines and the header row say. */
export interface CsvHeader {
  /** The declared format (--format or # format:), if any. */
  format?: KeypointFormat;
  /** The format the rows are counted with: the declared one, else the first with the header's keypoint count. */
  counting: KeypointFormat;
  imageSize?: [number, number];
  fps?: number;
  columns: number;
  /** Column of x0 (2, or 3 after a score column). */
  first: number;
  scoreColumn: boolean;
}

/** Reads a keypoint CSV line by line (the whole-file reader and the streaming one share it). */
export class CsvReader {
  private readonly meta = new Map<string, string>();
  private parsed: CsvHeader | undefined;
  private rows = 0;

  constructor(
    private readonly file: string,
    private readonly declared?: KeypointFormat,
  ) {}

  get header(): CsvHeader | undefined {
    return this.parsed;
  }

  /** Feeds line number `n` (1-based); returns the detection of a data row. */
  line(text: string, n: number): FoundDetection | undefined {
    const file = this.file;
    // Lines end with LF or CRLF; a CR inside one means CR-only line endings (classic Mac), which
    // would otherwise read as one long line (a comment swallowing the file, or a header of
    // nonsense columns).
    if (text.replace(/\r$/, '').includes('\r'))
      fail(file, `line ${n}: a carriage return (CR) inside the line: end lines with LF or CRLF, not CR alone`);
    if (!this.parsed) {
      if (text.trim() === '') return undefined;
      if (text.trimStart().startsWith('#')) {
        const m = /^\s*#\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(text);
        if (m) this.meta.set(m[1], m[2]);
        return undefined;
      }
      this.parsed = this.parseHeader(text.replace(/\r$/, ''), n);
      return undefined;
    }
    if (text.trim() === '') return undefined;
    const h = this.parsed;
    const cells = text.replace(/\r$/, '').split(',');
    const where = `line ${n}`;
    if (cells.length !== h.columns)
      fail(file, `${where}: ${cells.length} columns, expected ${h.columns} like the header`);
    const frame = frameId(cells[0]);
    if (frame === undefined) fail(file, `${where}: empty frame`);
    const d = readKeypointValues({ file, where, value: cells.slice(h.first), expect: h.counting, input: n });
    const person = csvPersonId(cells[1]);
    if (person !== undefined) d.id = person;
    if (h.scoreColumn) {
      const s = Number(cells[2]);
      if (cells[2].trim() === '' || !Number.isFinite(s))
        fail(file, `${where}: the person score "${cells[2].trim()}" is not a number`);
      d.score = s;
    }
    this.rows++;
    return { frame, d, where };
  }

  /** After the last line: the header (an error when there was none, or no data row). */
  end(): CsvHeader {
    if (!this.parsed) fail(this.file, 'no header row "frame,person,x0,y0,s0,..."');
    if (this.rows === 0) fail(this.file, 'no data rows after the header');
    return this.parsed;
  }

  private parseHeader(line: string, n: number): CsvHeader {
    const file = this.file;
    const header = line.split(',').map((s) => s.trim());
    if (header[0] !== 'frame' || header[1] !== 'person')
      fail(file, `line ${n}: the header must start with "frame,person", got "${line.slice(0, 40)}"`);
    const scoreColumn = header[2] === 'score';
    const first = scoreColumn ? 3 : 2;
    const metaFormat = this.meta.get('format');
    const format = this.declared ?? (metaFormat !== undefined ? keypointFormat(metaFormat) : undefined);
    const values = header.length - first;
    if (values % 3 !== 0 || values === 0)
      fail(
        file,
        `line ${n}: the header has ${header.length} columns (not frame, person${scoreColumn ? ', score' : ''} and x, y, score triples)`,
      );
    if (format && values !== 3 * format.keypoints) {
      fail(
        file,
        `line ${n}: the header has ${values / 3} keypoints, but format ${format.name} has ${format.keypoints} (${first + 3 * format.keypoints} columns); pass --format to say which layout this is`,
      );
    }
    // The header fixes the count: without a declared format any format with that many keypoints reads the rows.
    const counting = format ?? formatsWithKeypoints(values / 3)[0];
    if (!counting)
      fail(file, `line ${n}: the header has ${values / 3} keypoints, and no known format has that many; pass --format`);
    const imageSizeText = this.meta.get('imageSize');
    const imageSize =
      imageSizeText === undefined ? undefined : parseImageSizeText(imageSizeText, `${file}: "# imageSize:"`);
    const fpsText = this.meta.get('fps');
    const fps = fpsText === undefined ? undefined : fpsValue(`${file}: "# fps:"`, Number(fpsText));
    return { format, counting, imageSize, fps, columns: header.length, first, scoreColumn };
  }
}
