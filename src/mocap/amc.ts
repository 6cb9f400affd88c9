import type { AsfSkeleton } from './asf.js';
import { readMaybeGzippedText } from './read-text.js';

/**
 * AMC motion laid out against an ASF skeleton: each frame is the root's channels (in the ASF
 * root `order`) followed by every bone's dof values (bones in `skeleton.bones` order, each in
 * its `dof` order). Bones without dof take no space.
 */
export interface AmcMotion {
  frameCount: number;
  angleInDegrees: boolean;
  channelsPerFrame: number;
  /** Where each bone's values start within a frame (absent for bones without dof). */
  channelStart: Map<string, number>;
  values: Float64Array;
}

export class AmcParseError extends Error {
  override name = 'AmcParseError';
}

/** The channel layout a skeleton implies (see `AmcMotion`). */
export function amcLayout(skeleton: AsfSkeleton): { channelStart: Map<string, number>; channelsPerFrame: number } {
  const channelStart = new Map<string, number>([['root', 0]]);
  let n = skeleton.root.order.length;
  for (const bone of skeleton.bones) {
    if (bone.dof.length === 0) continue;
    channelStart.set(bone.name, n);
    n += bone.dof.length;
  }
  return { channelStart, channelsPerFrame: n };
}

/**
 * Parses AMC text. Every frame must give every bone that has dof, with exactly its dof count
 * of values: a short or missing line would otherwise silently read as a zero angle.
 */
export function parseAmc(text: string, skeleton: AsfSkeleton): AmcMotion {
  const { channelStart, channelsPerFrame } = amcLayout(skeleton);
  const counts = new Map<string, number>([['root', skeleton.root.order.length]]);
  for (const bone of skeleton.bones) if (bone.dof.length > 0) counts.set(bone.name, bone.dof.length);

  let angleInDegrees = skeleton.angleInDegrees;
  const frames: Float64Array[] = [];
  let current: Float64Array | undefined;
  let seen = new Set<string>();
  const finishFrame = (): void => {
    if (!current) return;
    if (seen.size !== counts.size) {
      const missing = [...counts.keys()].filter((b) => !seen.has(b));
      throw new AmcParseError(`frame ${frames.length} lacks ${missing.join(', ')}`);
    }
    frames.push(current);
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    if (line.startsWith(':')) {
      if (/^:RADIANS/i.test(line)) angleInDegrees = false;
      if (/^:DEGREES/i.test(line)) angleInDegrees = true;
      continue;
    }
    const tokens = line.split(/\s+/);
    if (tokens.length === 1 && /^\d+$/.test(tokens[0])) {
      finishFrame();
      const number = Number(tokens[0]);
      if (number !== frames.length + 1)
        throw new AmcParseError(`line ${i + 1}: frame ${number} follows frame ${frames.length}`);
      current = new Float64Array(channelsPerFrame);
      seen = new Set();
      continue;
    }
    if (!current) throw new AmcParseError(`line ${i + 1}: bone data before the first frame number`);
    const [bone, ...rest] = tokens;
    const start = channelStart.get(bone);
    const count = counts.get(bone);
    if (start === undefined || count === undefined)
      throw new AmcParseError(`line ${i + 1}: bone "${bone}" has no dof in the skeleton`);
    if (rest.length !== count)
      throw new AmcParseError(`line ${i + 1}: bone "${bone}" has ${rest.length} values, its dof needs ${count}`);
    if (seen.has(bone))
      throw new AmcParseError(`line ${i + 1}: bone "${bone}" given twice in frame ${frames.length + 1}`);
    seen.add(bone);
    for (let k = 0; k < count; k++) {
      const v = Number(rest[k]);
      if (!Number.isFinite(v))
        throw new AmcParseError(`line ${i + 1}: value "${rest[k]}" of "${bone}" is not a number`);
      current[start + k] = v;
    }
  }
  finishFrame();
  if (frames.length === 0) throw new AmcParseError('no frames');

  const values = new Float64Array(frames.length * channelsPerFrame);
  frames.forEach((f, i) => values.set(f, i * channelsPerFrame));
  return { frameCount: frames.length, angleInDegrees, channelsPerFrame, channelStart, values };
}

export function readAmcFile(path: string, skeleton: AsfSkeleton): AmcMotion {
  try {
    return parseAmc(readMaybeGzippedText(path), skeleton);
  } catch (e) {
    throw new AmcParseError(`${path}: ${(e as Error).message}`, { cause: e });
  }
}
