import { keypointFormat } from './formats.js';
import { CsvReader } from './keypoint-csv.js';
import {
  fail,
  type FoundDetection,
  type FrameDetections,
  type KeypointFile,
  type ReadOptions,
} from './keypoint-file.js';
import { finish } from './read-keypoints.js';

/**
 * A keypoint CSV read as it streams, for files too long to hold: the first `headFrames` frames
 * are read ahead to settle the format (and for the sanity checks), the rest come one frame at a
 * time with bounded memory. Rows must be grouped by frame in time order (numeric frame ids
 * increasing); within that the reader is the whole-file one (keypoint-csv.ts).
 */
export interface KeypointStream {
  /** The file as far as read ahead: format, image size, fps, assumptions and the first frames. */
  head: KeypointFile;
  /** The frames after the head, in order. */
  rest: AsyncIterable<FrameDetections>;
}

export const HEAD_FRAMES = 100;

/** Lines of text from chunks (strings or bytes, UTF-8), without their line ends. */
async function* lines(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, at);
      rest = rest.slice(at + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== '') yield rest;
}

export async function openCsvStream(
  name: string,
  chunks: AsyncIterable<string | Uint8Array>,
  options: ReadOptions = {},
  headFrames = HEAD_FRAMES,
): Promise<KeypointStream> {
  const declared = options.format !== undefined ? keypointFormat(options.format) : undefined;
  const reader = new CsvReader(name, declared);
  const it = lines(chunks)[Symbol.asyncIterator]();
  let n = 0;
  let last: number | string | undefined;
  /** The rows of the frame being gathered. */
  let current: FoundDetection[] = [];

  /** Feeds lines until a frame is complete (the first row of the next one read) or the input ends; undefined at the end. */
  async function nextFrame(): Promise<FoundDetection[] | undefined> {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        const done = current;
        current = [];
        return done.length ? done : undefined;
      }
      const row = reader.line(r.value, ++n);
      if (!row) continue;
      if (current.length && row.frame !== current[0].frame) {
        if (typeof row.frame === 'number' && typeof last === 'number' && row.frame < last) {
          fail(
            name,
            `${row.where}: frame ${row.frame} after frame ${last}: a streamed CSV must list its frames in order (sort it by frame)`,
          );
        }
        const done = current;
        current = [row];
        last = row.frame;
        return done;
      }
      if (!current.length) last = row.frame;
      if (current.some((f) => f.d.id !== undefined && f.d.id === row.d.id))
        fail(name, `${row.where}: person "${row.d.id}" appears twice in frame ${row.frame}`);
      current.push(row);
    }
  }

  const found: FoundDetection[] = [];
  const frameOrder: Array<number | string> = [];
  for (let f = 0; f < headFrames; f++) {
    const rows = await nextFrame();
    if (!rows) break;
    frameOrder.push(rows[0].frame);
    found.push(...rows);
  }
  const header = reader.end();
  const head = finish(
    name,
    {
      layout: 'CSV (streamed)',
      format: header.format?.name,
      imageSize: header.imageSize,
      fps: header.fps,
      found,
      frameOrder,
    },
    declared,
  );
  const rest = {
    async *[Symbol.asyncIterator]() {
      for (let rows = await nextFrame(); rows; rows = await nextFrame())
        yield { id: rows[0].frame, detections: rows.map((r) => r.d) };
    },
  };
  return { head, rest };
}
