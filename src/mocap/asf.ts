import type { Axis } from './rotation.js';
import { readMaybeGzippedText } from './read-text.js';

/** A degree of freedom an AMC line may carry for a bone. */
export type AsfDof = 'rx' | 'ry' | 'rz' | 'tx' | 'ty' | 'tz' | 'l';

export interface AsfBone {
  name: string;
  /** Unit vector from the bone's start to its end, in the world frame of the rest pose. */
  direction: [number, number, number];
  /** In ASF length units (see `AsfSkeleton.lengthUnit`). */
  length: number;
  /** The `axis` line: angles (degrees or radians as `angleInDegrees` says) and their order. */
  axisAngles: [number, number, number];
  axisOrder: Axis[];
  /** The `dof` line, in the order values appear on the bone's AMC lines. */
  dof: AsfDof[];
  /** Name of the parent bone, or 'root'. */
  parent: string;
}

export interface AsfSkeleton {
  /** `:units length`: file lengths are inches divided by this (Acclaim convention). */
  lengthUnit: number;
  angleInDegrees: boolean;
  root: {
    /** Channel order of the root's AMC line, e.g. TX TY TZ RX RY RZ. */
    order: Array<'tx' | 'ty' | 'tz' | 'rx' | 'ry' | 'rz'>;
    axisOrder: Axis[];
  };
  /** Parents before children (hierarchy order, then bonedata order). */
  bones: AsfBone[];
}

export class AsfParseError extends Error {
  override name = 'AsfParseError';
}

/** Parses an Acclaim ASF skeleton. Only the sections needed for kinematics are interpreted. */
export function parseAsf(text: string): AsfSkeleton {
  const sections = splitSections(text);
  const units = sections.get('units') ?? [];
  let lengthUnit = 1;
  let angleInDegrees = true;
  for (const line of units) {
    const [key, value] = line;
    if (key === 'length') lengthUnit = Number(value);
    if (key === 'angle') {
      if (value !== 'deg' && value !== 'rad') throw new AsfParseError(`unknown angle unit "${value}"`);
      angleInDegrees = value === 'deg';
    }
  }
  if (!(lengthUnit > 0)) throw new AsfParseError('bad ":units length"');

  const rootLines = sections.get('root');
  if (!rootLines) throw new AsfParseError('no :root section');
  const rootOrder = rootLines
    .find((l) => l[0] === 'order')
    ?.slice(1)
    .map((t) => t.toLowerCase());
  const rootAxis = rootLines.find((l) => l[0] === 'axis')?.[1];
  if (!rootOrder || rootOrder.some((t) => !/^[tr][xyz]$/.test(t)))
    throw new AsfParseError('bad or missing root "order"');
  if (!rootAxis) throw new AsfParseError('missing root "axis"');
  // `position` and `orientation` of :root are not read: CMU and HDM05 write zeros there and
  // give the root's full placement on every AMC frame.

  const bones = parseBoneData(sections.get('bonedata') ?? []);
  const parents = parseHierarchy(sections.get('hierarchy') ?? []);
  for (const bone of bones.values()) {
    const parent = parents.get(bone.name);
    if (parent === undefined) throw new AsfParseError(`bone "${bone.name}" is not in :hierarchy`);
    bone.parent = parent;
  }
  for (const [child, parent] of parents) {
    if (!bones.has(child)) throw new AsfParseError(`:hierarchy names "${child}", which has no bonedata`);
    if (parent !== 'root' && !bones.has(parent))
      throw new AsfParseError(`:hierarchy names parent "${parent}", which has no bonedata`);
  }

  return {
    lengthUnit,
    angleInDegrees,
    root: { order: rootOrder as AsfSkeleton['root']['order'], axisOrder: parseAxisOrder(rootAxis) },
    bones: topologicalOrder([...bones.values()]),
  };
}

export function readAsfFile(path: string): AsfSkeleton {
  try {
    return parseAsf(readMaybeGzippedText(path));
  } catch (e) {
    throw new AsfParseError(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Lines of each `:section`, split into tokens, comments (`#`) and blank lines dropped. */
function splitSections(text: string): Map<string, string[][]> {
  const sections = new Map<string, string[][]>();
  let current: string[][] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line.length === 0) continue;
    if (line.startsWith(':')) {
      const [name, ...rest] = line.slice(1).split(/\s+/);
      current = [];
      sections.set(name, current);
      if (rest.length > 0) current.push(rest);
      continue;
    }
    current?.push(line.split(/\s+/));
  }
  return sections;
}

function parseAxisOrder(text: string): Axis[] {
  const order = text.toLowerCase().split('') as Axis[];
  if (order.length !== 3 || new Set(order).size !== 3 || order.some((a) => !'xyz'.includes(a))) {
    throw new AsfParseError(`bad axis order "${text}"`);
  }
  return order;
}

function parseBoneData(lines: string[][]): Map<string, AsfBone> {
  const bones = new Map<string, AsfBone>();
  let bone: Partial<AsfBone> | undefined;
  const num = (t: string | undefined, what: string): number => {
    const v = Number(t);
    if (t === undefined || !Number.isFinite(v))
      throw new AsfParseError(`bad ${what} "${t}" in bone "${bone?.name ?? '?'}"`);
    return v;
  };
  for (const tokens of lines) {
    const [key, ...args] = tokens;
    if (key === 'begin') {
      bone = { dof: [] };
      continue;
    }
    if (!bone) continue;
    switch (key) {
      case 'name':
        bone.name = args[0];
        break;
      case 'direction':
        bone.direction = [num(args[0], 'direction'), num(args[1], 'direction'), num(args[2], 'direction')];
        break;
      case 'length':
        bone.length = num(args[0], 'length');
        break;
      case 'axis':
        bone.axisAngles = [num(args[0], 'axis'), num(args[1], 'axis'), num(args[2], 'axis')];
        bone.axisOrder = parseAxisOrder(args[3] ?? 'XYZ');
        break;
      case 'dof':
        for (const d of args) {
          if (!['rx', 'ry', 'rz', 'tx', 'ty', 'tz', 'l'].includes(d))
            throw new AsfParseError(`unknown dof "${d}" in bone "${bone.name}"`);
          bone.dof!.push(d as AsfDof);
        }
        break;
      case 'end': {
        const { name, direction, length, axisAngles, axisOrder } = bone;
        if (!name || !direction || length === undefined || !axisAngles || !axisOrder) {
          throw new AsfParseError(`bone "${name ?? '?'}" lacks name, direction, length or axis`);
        }
        if (bones.has(name)) throw new AsfParseError(`bone "${name}" defined twice`);
        const norm = Math.hypot(...direction);
        if (Math.abs(norm - 1) > 1e-3)
          throw new AsfParseError(`bone "${name}" direction is not a unit vector (norm ${norm})`);
        bones.set(name, { name, direction, length, axisAngles, axisOrder, dof: bone.dof!, parent: '' });
        bone = undefined;
        break;
      }
      default:
        break; // id, limits, bodymass, cofmass: not needed for kinematics
    }
  }
  return bones;
}

/** `:hierarchy` lines are `parent child child ...` between begin and end. */
function parseHierarchy(lines: string[][]): Map<string, string> {
  const parents = new Map<string, string>();
  for (const [parent, ...children] of lines) {
    if (parent === 'begin' || parent === 'end') continue;
    for (const child of children) {
      if (parents.has(child)) throw new AsfParseError(`bone "${child}" has two parents in :hierarchy`);
      parents.set(child, parent);
    }
  }
  return parents;
}

function topologicalOrder(bones: AsfBone[]): AsfBone[] {
  const placed = new Set<string>(['root']);
  const ordered: AsfBone[] = [];
  while (ordered.length < bones.length) {
    const before = ordered.length;
    for (const b of bones) {
      if (!placed.has(b.name) && placed.has(b.parent)) {
        ordered.push(b);
        placed.add(b.name);
      }
    }
    if (ordered.length === before)
      throw new AsfParseError('the :hierarchy has a cycle or a bone not connected to root');
  }
  return ordered;
}
