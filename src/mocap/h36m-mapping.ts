import type { AmcMotion } from './amc.js';
import type { AsfSkeleton } from './asf.js';
import { asfWorldPositions } from './asf-kinematics.js';
import type { Bvh, BvhSkeleton } from './bvh.js';
import { findJoint, withEndSite } from './bvh.js';
import { bvhRestPositions, bvhWorldPositions } from './bvh-kinematics.js';
import { asfMetresPerUnit, checkThigh, detectLengthUnit } from './units.js';

/**
 * How the 17 Human3.6M joints are made from each mocap skeleton. Each joint is the mean of the
 * listed points. The same anatomical choice is made in every format:
 *
 * - pelvis (0): midpoint of the two hip joints. Not the mocap root: the ASF root sits ~10 cm
 *   above the hip joints and the daz BVH `hip` ~3 cm below them, so the root would put the
 *   pelvis at different heights per source. H3.6M's pelvis is level with its hips, and 2D
 *   inputs (e.g. COCO in src/pose/formats.ts) also make the pelvis as the hips' midpoint.
 * - hips, knees, ankles, shoulders, elbows, wrists: the joint centres (BVH joint origins, ASF
 *   bone starts) of thigh/femur, shin/tibia, foot, upper arm, forearm/radius, hand/wrist.
 * - thorax (8): midpoint of the two shoulders. The files' own "neck base" points disagree by
 *   ~12 cm relative to the shoulders (daz `neck` is ~5 cm above shoulder level, ASF
 *   `lowerneck` ~7 cm below), while H3.6M's thorax is level with its shoulders and 2D inputs
 *   make it as the shoulders' midpoint too.
 * - spine (7): middle of the mid-back segment: daz `abdomen`-`chest` midpoint, ASF
 *   `upperback` bone midpoint. Both land near halfway between pelvis and thorax, as in H3.6M,
 *   while still following the real spine's bend.
 * - neck/nose (9): the head joint (base of the skull, top of the neck): daz `head` origin,
 *   ASF `head` start (= `upperneck` end). ~12-13 cm above the shoulders in both.
 * - head (10): a point on the head's own up axis above the skull base. ASF: `head` end
 *   (1.5-1.8 units = 9-10 cm along the head bone); BVH in ASF naming: the head's End Site (the
 *   same point). The daz skeleton has no head-top site, so one is added on the head's local +Y
 *   (up in the rest pose, as the ASF head direction) at the height of the eyes above the head
 *   joint (8 cm), which is the same part of the head.
 */

/** Point names are BVH joint names (a joint's origin), or `<joint>/End Site`. */
const DAZ_HEAD_TOP = 'head/top (virtual)';
const DAZ_BVH: string[][] = [
  ['lThigh', 'rThigh'],
  ['rThigh'],
  ['rShin'],
  ['rFoot'],
  ['lThigh'],
  ['lShin'],
  ['lFoot'],
  ['abdomen', 'chest'],
  ['lShldr', 'rShldr'],
  ['head'],
  [DAZ_HEAD_TOP],
  ['lShldr'],
  ['lForeArm'],
  ['lHand'],
  ['rShldr'],
  ['rForeArm'],
  ['rHand'],
];

/**
 * BVH converted from CMU ASF (cmu-bvh/subject-16): joints carry ASF bone names and a joint's
 * origin is that bone's start, so this is the ASF table written with origins.
 */
const CMU_BVH: string[][] = [
  ['lfemur', 'rfemur'],
  ['rfemur'],
  ['rtibia'],
  ['rfoot'],
  ['lfemur'],
  ['ltibia'],
  ['lfoot'],
  ['upperback', 'thorax'],
  ['lhumerus', 'rhumerus'],
  ['head'],
  ['head/End Site'],
  ['lhumerus'],
  ['lradius'],
  ['lwrist'],
  ['rhumerus'],
  ['rradius'],
  ['rwrist'],
];

/** ASF points: `<bone>.start` (= parent's end, or the root) and `<bone>.end`. */
const ASF: string[][] = [
  ['lfemur.start', 'rfemur.start'],
  ['rfemur.start'],
  ['rtibia.start'],
  ['rfoot.start'],
  ['lfemur.start'],
  ['ltibia.start'],
  ['lfoot.start'],
  ['upperback.start', 'upperback.end'],
  ['lhumerus.start', 'rhumerus.start'],
  ['head.start'],
  ['head.end'],
  ['lhumerus.start'],
  ['lradius.start'],
  ['lwrist.start'],
  ['rhumerus.start'],
  ['rradius.start'],
  ['rwrist.start'],
];

/** Indices of the H36M joints used to measure a thigh (left hip to left knee). */
const LEFT_HIP = 4,
  LEFT_KNEE = 5;

export type BvhNaming = 'daz' | 'cmu-asf';

export interface H36mClip {
  /** frames * 17 * 3, world frame (+Y up), metres, at the clip's own frame rate. */
  poses: Float32Array;
  frameCount: number;
  /** How file lengths were read, e.g. "cm". */
  unit: string;
}

export class MappingError extends Error {
  override name = 'MappingError';
}

export function bvhNaming(skeleton: BvhSkeleton): BvhNaming {
  if (findJoint(skeleton, 'lThigh') >= 0) return 'daz';
  if (findJoint(skeleton, 'lfemur') >= 0) return 'cmu-asf';
  throw new MappingError('BVH joint names are neither the daz names (lThigh, ...) nor the CMU ASF names (lfemur, ...)');
}

/** The 17 H3.6M joints of every frame of a BVH clip, in metres. */
export function bvhToH36m(bvh: Bvh): H36mClip {
  const naming = bvhNaming(bvh.skeleton);
  let skeleton = bvh.skeleton;
  if (naming === 'daz') skeleton = withEndSite(skeleton, 'head', DAZ_HEAD_TOP, [0, dazEyeHeight(skeleton), 0]);
  const table = naming === 'daz' ? DAZ_BVH : CMU_BVH;
  const sources = resolve(table, (name) => findJoint(skeleton, name));

  const rest = gather(bvhRestPositions(skeleton), 1, skeleton.joints.length, sources, 1);
  const unit = detectLengthUnit(distance(rest, LEFT_HIP, LEFT_KNEE));
  const poses = gather(bvhWorldPositions(bvh, skeleton), bvh.frameCount, skeleton.joints.length, sources, unit.metres);
  return { poses, frameCount: bvh.frameCount, unit: unit.name };
}

/** The 17 H3.6M joints of every frame of an ASF/AMC clip, in metres. */
export function asfAmcToH36m(skeleton: AsfSkeleton, motion: AmcMotion): H36mClip {
  const metres = asfMetresPerUnit(skeleton.lengthUnit);
  const femur = skeleton.bones.find((b) => b.name === 'lfemur');
  if (!femur) throw new MappingError('ASF skeleton has no "lfemur" bone');
  checkThigh(femur.length * metres, `lfemur of ${femur.length} units at ${metres} m per unit`);

  const { pointNames, positions, frameCount } = asfWorldPositions(skeleton, motion);
  const endIndex = new Map(pointNames.map((n, i) => [n, i]));
  const parentOf = new Map(skeleton.bones.map((b) => [b.name, b.parent]));
  const sources = resolve(ASF, (name) => {
    const [bone, end] = name.split('.');
    if (!parentOf.has(bone)) return -1;
    return endIndex.get(end === 'end' ? bone : parentOf.get(bone)!) ?? -1;
  });
  return { poses: gather(positions, frameCount, pointNames.length, sources, metres), frameCount, unit: 'ASF' };
}

/** Eye height above the daz head joint, from the eye joints' offsets. */
function dazEyeHeight(skeleton: BvhSkeleton): number {
  const eyes = ['leftEye', 'rightEye'].map((n) => findJoint(skeleton, n));
  if (eyes.some((e) => e < 0)) throw new MappingError('daz BVH without leftEye/rightEye: no way to place the head top');
  return eyes.reduce((sum, e) => sum + skeleton.joints[e].offset[1], 0) / eyes.length;
}

function resolve(table: string[][], lookup: (name: string) => number): number[][] {
  return table.map((names) =>
    names.map((name) => {
      const i = lookup(name);
      if (i < 0) throw new MappingError(`the skeleton has no point "${name}" needed for the H3.6M joints`);
      return i;
    }),
  );
}

/** Means of the source points of each H3.6M joint, scaled to metres, as float32. */
function gather(
  positions: Float64Array,
  frames: number,
  pointsPerFrame: number,
  sources: number[][],
  scale: number,
): Float32Array {
  const out = new Float32Array(frames * sources.length * 3);
  for (let f = 0; f < frames; f++) {
    for (let j = 0; j < sources.length; j++) {
      const src = sources[j];
      for (let a = 0; a < 3; a++) {
        let sum = 0;
        for (const p of src) sum += positions[(f * pointsPerFrame + p) * 3 + a];
        out[(f * sources.length + j) * 3 + a] = (sum / src.length) * scale;
      }
    }
  }
  return out;
}

function distance(pose: Float32Array, a: number, b: number): number {
  return Math.hypot(pose[a * 3] - pose[b * 3], pose[a * 3 + 1] - pose[b * 3 + 1], pose[a * 3 + 2] - pose[b * 3 + 2]);
}
