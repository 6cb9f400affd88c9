import { readFileSync } from 'node:fs';
import { serializeSafetensors, writeSafetensors } from './safetensors-write.js';

/**
 * The prepared-mocap file (`data/prepared/{train,test}.safetensors`, docs/formats.md):
 * `poses` F32 [F, 17, 3] (world frame, +Y up, metres, 30 fps, not root-centred), `clip` and
 * `subject` I32 [F], and the clip and subject lists as JSON in `__metadata__`.
 */

export const PREPARED_FPS = 30;
export const JOINTS = 17;

export interface PreparedClip {
  name: string;
  source: string;
  subject: string;
  frames: number;
}

export interface PreparedSplit {
  /** frames * 17 * 3. */
  poses: Float32Array;
  /** Per frame, index into `clips`. */
  clip: Int32Array;
  /** Per frame, index into `subjects`. */
  subject: Int32Array;
  clips: PreparedClip[];
  subjects: string[];
}

/** Concatenates clips (each `frames * 17 * 3` at 30 fps) in the given order into one split. */
export function assembleSplit(clips: ReadonlyArray<{ info: Omit<PreparedClip, 'frames'>; poses: Float32Array }>): PreparedSplit {
  const subjects = [...new Set(clips.map((c) => c.info.subject))];
  const total = clips.reduce((n, c) => n + c.poses.length / (JOINTS * 3), 0);
  const split: PreparedSplit = {
    poses: new Float32Array(total * JOINTS * 3),
    clip: new Int32Array(total),
    subject: new Int32Array(total),
    clips: [],
    subjects,
  };
  let at = 0;
  clips.forEach((c, i) => {
    const frames = c.poses.length / (JOINTS * 3);
    if (!Number.isInteger(frames)) throw new Error(`clip ${c.info.name}: ${c.poses.length} values are not whole 17-joint poses`);
    split.poses.set(c.poses, at * JOINTS * 3);
    split.clip.fill(i, at, at + frames);
    split.subject.fill(subjects.indexOf(c.info.subject), at, at + frames);
    split.clips.push({ ...c.info, frames });
    at += frames;
  });
  return split;
}

function tensorsAndMetadata(split: PreparedSplit): Parameters<typeof serializeSafetensors> {
  const frames = split.clip.length;
  return [
    {
      poses: { dtype: 'F32', shape: [frames, JOINTS, 3], data: split.poses },
      clip: { dtype: 'I32', shape: [frames], data: split.clip },
      subject: { dtype: 'I32', shape: [frames], data: split.subject },
    },
    {
      'diffpose.clips': JSON.stringify(split.clips),
      'diffpose.subjects': JSON.stringify(split.subjects),
      'diffpose.source': 'prepare-data (src/mocap): CMU and HDM05 mocap as 17 Human3.6M joints, ' +
        'world frame +Y up, metres, 30 fps; joint definitions in src/mocap/h36m-mapping.ts',
    },
  ];
}

export function writePreparedSplit(path: string, split: PreparedSplit): void {
  writeSafetensors(path, ...tensorsAndMetadata(split));
}

/** Reads a file written by `writePreparedSplit` (only this layout: F32 poses, I32 indices). */
export function readPreparedSplit(path: string): PreparedSplit {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__: Record<string, string> };
  const dataStart = 8 + headerLen;
  const read = <T extends Float32Array | Int32Array>(name: string, dtype: string, make: (n: number) => T): T => {
    const e = header[name];
    if (!e || e.dtype !== dtype) throw new Error(`${path}: tensor "${name}" missing or not ${dtype}`);
    const n = (e.data_offsets[1] - e.data_offsets[0]) / 4;
    const out = make(n);
    for (let i = 0; i < n; i++) {
      const at = dataStart + e.data_offsets[0] + i * 4;
      out[i] = dtype === 'F32' ? view.getFloat32(at, true) : view.getInt32(at, true);
    }
    return out;
  };
  const meta = header.__metadata__ ?? {};
  return {
    poses: read('poses', 'F32', (n) => new Float32Array(n)),
    clip: read('clip', 'I32', (n) => new Int32Array(n)),
    subject: read('subject', 'I32', (n) => new Int32Array(n)),
    clips: JSON.parse(meta['diffpose.clips'] ?? '[]') as PreparedClip[],
    subjects: JSON.parse(meta['diffpose.subjects'] ?? '[]') as string[],
  };
}
