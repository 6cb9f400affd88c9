import { readMaybeGzippedText } from './read-text.js';

/** A BVH channel as written in the file. */
export type BvhChannel = 'Xposition' | 'Yposition' | 'Zposition' | 'Xrotation' | 'Yrotation' | 'Zrotation';

const CHANNELS: ReadonlySet<string> = new Set([
  'Xposition',
  'Yposition',
  'Zposition',
  'Xrotation',
  'Yrotation',
  'Zrotation',
]);

export interface BvhJoint {
  /** The joint's name; an end site is named `<parent>/End Site`. */
  name: string;
  /** Index of the parent in `BvhSkeleton.joints`, -1 for the root. */
  parent: number;
  /** Position of this joint's origin in the parent's frame, in file units. */
  offset: [number, number, number];
  channels: BvhChannel[];
  /** Index of this joint's first channel within a frame's values. */
  channelStart: number;
  isEndSite: boolean;
}

export interface BvhSkeleton {
  /** Parents always come before their children. */
  joints: BvhJoint[];
  channelsPerFrame: number;
}

export interface Bvh {
  skeleton: BvhSkeleton;
  frameCount: number;
  /** Seconds per frame as declared in the header. */
  frameTime: number;
  /** `frameCount * channelsPerFrame` channel values, frame-major, as in the file. */
  values: Float64Array;
}

export class BvhParseError extends Error {
  override name = 'BvhParseError';
}

/** Parses BVH text (HIERARCHY + MOTION). Rotation channels stay in degrees, as in the file. */
export function parseBvh(text: string): Bvh {
  const motionAt = text.search(/^\s*MOTION\s*$/m);
  if (motionAt < 0) throw new BvhParseError('no MOTION section');
  const skeleton = parseHierarchy(text.slice(0, motionAt));
  const motion = parseMotion(text.slice(motionAt), skeleton.channelsPerFrame);
  return { skeleton, ...motion };
}

export function readBvhFile(path: string): Bvh {
  try {
    return parseBvh(readMaybeGzippedText(path));
  } catch (e) {
    throw new BvhParseError(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

function parseHierarchy(text: string): BvhSkeleton {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  let at = 0;
  const next = (what: string): string => {
    if (at >= tokens.length) throw new BvhParseError(`hierarchy ends early, expected ${what}`);
    return tokens[at++];
  };
  const expect = (word: string): void => {
    const t = next(word);
    if (t !== word) throw new BvhParseError(`expected "${word}" in hierarchy, found "${t}"`);
  };
  const number = (what: string): number => {
    const t = next(what);
    const v = Number(t);
    if (!Number.isFinite(v)) throw new BvhParseError(`expected a number for ${what}, found "${t}"`);
    return v;
  };

  const joints: BvhJoint[] = [];
  let channelsPerFrame = 0;

  // Recursive descent over `NAME { OFFSET x y z CHANNELS n ... (JOINT ...|End Site {...})* }`.
  const parseJointBody = (name: string, parent: number, isEndSite: boolean): void => {
    expect('{');
    expect('OFFSET');
    const offset: [number, number, number] = [number('OFFSET x'), number('OFFSET y'), number('OFFSET z')];
    const joint: BvhJoint = { name, parent, offset, channels: [], channelStart: channelsPerFrame, isEndSite };
    const index = joints.length;
    joints.push(joint);
    for (;;) {
      const t = next('"}", CHANNELS, JOINT or End Site');
      if (t === '}') return;
      if (t === 'CHANNELS') {
        if (isEndSite) throw new BvhParseError(`end site under "${joints[parent].name}" has CHANNELS`);
        const n = number(`channel count of "${name}"`);
        for (let i = 0; i < n; i++) {
          const c = next(`channel of "${name}"`);
          if (!CHANNELS.has(c)) throw new BvhParseError(`unknown channel "${c}" on joint "${name}"`);
          joint.channels.push(c as BvhChannel);
        }
        channelsPerFrame += n;
      } else if (t === 'JOINT') {
        if (isEndSite) throw new BvhParseError(`end site under "${joints[parent].name}" has a child`);
        parseJointBody(next('joint name'), index, false);
      } else if (t === 'End') {
        expect('Site');
        parseJointBody(`${name}/End Site`, index, true);
      } else {
        throw new BvhParseError(`unexpected "${t}" in joint "${name}"`);
      }
    }
  };

  expect('HIERARCHY');
  expect('ROOT');
  parseJointBody(next('root name'), -1, false);
  if (at !== tokens.length)
    throw new BvhParseError(`unexpected "${tokens[at]}" after the root joint (only one ROOT is supported)`);
  return { joints, channelsPerFrame };
}

function parseMotion(text: string, channelsPerFrame: number): Omit<Bvh, 'skeleton'> {
  const frames = /Frames:\s*(\d+)/.exec(text);
  const time = /Frame Time:\s*(\S+)/.exec(text);
  if (!frames || !time) throw new BvhParseError('MOTION section lacks "Frames:" or "Frame Time:"');
  const frameCount = Number(frames[1]);
  const frameTime = Number(time[1]);
  if (!(frameTime > 0)) throw new BvhParseError(`bad Frame Time "${time[1]}"`);
  const body = text.slice(time.index + time[0].length);
  const tokens = body.split(/\s+/).filter((t) => t.length > 0);
  const expected = frameCount * channelsPerFrame;
  if (tokens.length !== expected) {
    throw new BvhParseError(
      `header declares ${frameCount} frames x ${channelsPerFrame} channels = ${expected} values, ` +
        `the file has ${tokens.length} (${(tokens.length / channelsPerFrame).toFixed(2)} frames)`,
    );
  }
  const values = new Float64Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = Number(tokens[i]);
    if (!Number.isFinite(v)) {
      throw new BvhParseError(`value "${tokens[i]}" in frame ${Math.floor(i / channelsPerFrame)} is not a number`);
    }
    values[i] = v;
  }
  return { frameCount, frameTime, values };
}

export function findJoint(skeleton: BvhSkeleton, name: string): number {
  return skeleton.joints.findIndex((j) => j.name === name);
}

/**
 * A copy of the skeleton with one more end site under `parentName` (no channels, so the frame
 * values still line up). Used to name a point the file does not have, e.g. a head-top point.
 */
export function withEndSite(
  skeleton: BvhSkeleton,
  parentName: string,
  name: string,
  offset: [number, number, number],
): BvhSkeleton {
  const parent = findJoint(skeleton, parentName);
  if (parent < 0) throw new BvhParseError(`no joint "${parentName}" to attach "${name}" to`);
  const site: BvhJoint = {
    name,
    parent,
    offset,
    channels: [],
    channelStart: skeleton.channelsPerFrame,
    isEndSite: true,
  };
  return { joints: [...skeleton.joints, site], channelsPerFrame: skeleton.channelsPerFrame };
}
