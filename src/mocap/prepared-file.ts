import { NUM_JOINTS } from '../pose/skeleton.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseSafetensors, serializeSafetensors } from '../model/safetensors.js';

/**
 * The prepared-mocap file (`data/prepared/{train,test}.safetensors`, docs/formats.md):
 * `poses` F32 [F, 17, 3] (world frame, +Y up, metres, 30 fps, not root-centred), `clip` and
 * `subject` I32 [F], and the clip and subject lists as JSON in `__metadata__`.
 */

export const PREPARED_FPS = 30;
/** The 17 Human3.6M joints (src/pose/skeleton.ts). */
export const JOINTS = NUM_JOINTS;

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
export function assembleSplit(
  clips: ReadonlyArray<{ info: Omit<PreparedClip, 'frames'>; poses: Float32Array }>,
): PreparedSplit {
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
    if (!Number.isInteger(frames))
      throw new Error(`clip ${c.info.name}: ${c.poses.length} values are not whole 17-joint poses`);
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
      poses: { shape: [frames, JOINTS, 3], data: split.poses },
      clip: { shape: [frames], data: split.clip },
      subject: { shape: [frames], data: split.subject },
    },
    {
      'diffpose.clips': JSON.stringify(split.clips),
      'diffpose.subjects': JSON.stringify(split.subjects),
      'diffpose.source':
        'prepare-data (src/mocap): CMU and HDM05 mocap as 17 Human3.6M joints, ' +
        'world frame +Y up, metres, 30 fps; joint definitions in src/mocap/h36m-mapping.ts',
    },
  ];
}

export function writePreparedSplit(path: string, split: PreparedSplit): void {
  writeFileSync(path, serializeSafetensors(...tensorsAndMetadata(split)));
}

/** Reads a file written by `writePreparedSplit`, validated by the weights' safetensors parser. */
export function readPreparedSplit(path: string): PreparedSplit {
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), { ints: true });
  const poses = file.tensors.get('poses')?.data;
  const clip = file.ints.get('clip')?.data;
  const subject = file.ints.get('subject')?.data;
  if (!poses || !clip || !subject) throw new Error(`${path}: needs tensors poses (F32), clip and subject (I32)`);
  return {
    poses,
    clip,
    subject,
    clips: JSON.parse(file.metadata['diffpose.clips'] ?? '[]') as PreparedClip[],
    subjects: JSON.parse(file.metadata['diffpose.subjects'] ?? '[]') as string[],
  };
}
