import { H36M_BONES, H36M_JOINTS, NUM_JOINTS } from '../pose/skeleton.js';
import {
  IDENTITY,
  frameFrom,
  norm,
  qconj,
  qmul,
  qrotate,
  quatFromMatrix,
  scale,
  sub,
  swing,
  unit,
  type Quat,
  type Vec3,
} from './rotation.js';

/**
 * A skeleton with constant bone lengths and the rotations that pose it, solved from lifted joint
 * positions: what animation files (BVH, glTF) carry. World frame: metres, Y up, the camera
 * looking down -Z (camera x right, y down, z forward become x, -y, -z).
 */
export interface Rig {
  /** The 17 Human3.6M joints, then the helper joints (HELPER_JOINTS). */
  names: readonly string[];
  /** Every joint, each after its parent. */
  order: number[];
  /** Parent joint, -1 for the pelvis (the root). */
  parents: number[];
  children: number[][];
  /** Each joint's offset from its parent in the rest pose (a T-pose; the root's is 0). */
  offsets: Vec3[];
}

export interface Motion {
  frames: number;
  fps: number;
  /** The first frame's time in the video, seconds (default 0): glTF keys start there; BVH has no start time. */
  start?: number;
  /** Per frame, the root's world position. */
  root: Vec3[];
  /** Per frame and joint, the joint's rotation relative to its parent (the root's: to the world). */
  local: Quat[][];
}

const J = NUM_JOINTS;
const PELVIS = 0,
  R_HIP = 1,
  L_HIP = 4,
  SPINE = 7,
  THORAX = 8,
  NECK = 9,
  L_SHOULDER = 11,
  R_SHOULDER = 14;

/**
 * Zero-length joints at the pelvis and the thorax, one per bone that does not move rigidly with
 * them: the lower back bends against the hips, and the neck and the shoulders (clavicles) move
 * against the chest. Each turns its one bone on its own, so every joint lands where it was lifted.
 */
export const HELPER_JOINTS = [
  { name: 'lower_back', parent: PELVIS, child: SPINE },
  { name: 'neck_base', parent: THORAX, child: NECK },
  { name: 'left_clavicle', parent: THORAX, child: L_SHOULDER },
  { name: 'right_clavicle', parent: THORAX, child: R_SHOULDER },
] as const;
const RIG_JOINTS = J + HELPER_JOINTS.length;

/**
 * Rest directions of single-child bones (T-pose, facing +Z): legs down, spine and head up, arms
 * out sideways (the person's left is +X).
 */
const REST_DIRECTION: Record<number, Vec3> = {
  [R_HIP]: [0, -1, 0],
  2: [0, -1, 0],
  [L_HIP]: [0, -1, 0],
  5: [0, -1, 0],
  [SPINE]: [0, 1, 0],
  [NECK]: [0, 1, 0],
  [L_SHOULDER]: [1, 0, 0],
  12: [1, 0, 0],
  [R_SHOULDER]: [-1, 0, 0],
  15: [-1, 0, 0],
};

/**
 * The pelvis and the thorax have several bones: their rotation is the frame of the right-to-left
 * axis (hips, shoulders; exact) and, square to it, the direction to the spine or the neck. The
 * hips hang on the pelvis directly; everything else leaving these two joints goes through a
 * helper joint.
 */
const BRANCH_FRAME: Record<number, { other: number; from: number; to: number }> = {
  [PELVIS]: { other: SPINE, from: R_HIP, to: L_HIP },
  [THORAX]: { other: NECK, from: R_SHOULDER, to: L_SHOULDER },
};

export function cameraToWorld(p: ArrayLike<number>, i: number): Vec3 {
  return [p[i], -p[i + 1], -p[i + 2]];
}

function joint(poses: ArrayLike<number>, f: number, j: number): Vec3 {
  return cameraToWorld(poses, (f * J + j) * 3);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function branchFrame(j: number, at: (k: number) => Vec3): number[] {
  const b = BRANCH_FRAME[j];
  return frameFrom(sub(at(b.to), at(b.from)), sub(at(b.other), at(j)));
}

/** The branch joint whose frame a bone's rest direction is measured in, if any. */
function branchOf(rig: { parents: number[] }, j: number): number | undefined {
  for (let p = rig.parents[j]; p >= 0; p = rig.parents[p]) {
    if (BRANCH_FRAME[p]) return p;
    if (p < J) return undefined;
  }
  return undefined;
}

/** Row-major 3x3 matrix transposed times a vector: the vector in the frame's coordinates. */
function inFrame(m: number[], v: Vec3): Vec3 {
  return [
    m[0] * v[0] + m[3] * v[1] + m[6] * v[2],
    m[1] * v[0] + m[4] * v[1] + m[7] * v[2],
    m[2] * v[0] + m[5] * v[1] + m[8] * v[2],
  ];
}

/**
 * The rig of a track: every bone the median of its lengths over the frames; the bones leaving
 * the pelvis and the thorax keep their median directions in those joints' frames (hips and
 * shoulders are not always square to the spine), the others take the T-pose directions.
 * poses: [T, 17, 3] camera frame, metres.
 */
export function buildRig(poses: ArrayLike<number>, frames: number): Rig {
  if (frames < 1) throw new RangeError('a rig needs at least one frame');
  const parents = new Array<number>(RIG_JOINTS).fill(-1);
  for (const [p, c] of H36M_BONES) parents[c] = p;
  HELPER_JOINTS.forEach((h, i) => {
    parents[J + i] = h.parent;
    parents[h.child] = J + i;
  });
  const children: number[][] = Array.from({ length: RIG_JOINTS }, () => []);
  parents.forEach((p, c) => {
    if (p >= 0) children[p].push(c);
  });
  const order: number[] = [];
  const visit = (j: number) => {
    order.push(j);
    children[j].forEach(visit);
  };
  visit(PELVIS);
  const rig: Rig = {
    names: [...H36M_JOINTS, ...HELPER_JOINTS.map((h) => h.name)],
    order,
    parents,
    children,
    offsets: [],
  };
  // A helper joint sits on its parent; its child's bone starts at the real joint above.
  const from = (c: number) => (parents[c] >= J ? parents[parents[c]] : parents[c]);
  rig.offsets = Array.from({ length: RIG_JOINTS }, (_, c): Vec3 => {
    if (parents[c] < 0 || c >= J) return [0, 0, 0];
    const p = from(c);
    const lengths: number[] = [];
    for (let f = 0; f < frames; f++) lengths.push(norm(sub(joint(poses, f, c), joint(poses, f, p))));
    const length = median(lengths);
    const branch = branchOf(rig, c);
    if (branch === undefined) return scale(REST_DIRECTION[p], length);
    const sum: Vec3 = [0, 0, 0];
    for (let f = 0; f < frames; f++) {
      const at = (k: number) => joint(poses, f, k);
      const local = inFrame(branchFrame(branch, at), unit(sub(at(c), at(p))));
      sum[0] += local[0];
      sum[1] += local[1];
      sum[2] += local[2];
    }
    // At rest the branch joint's frame is square to the world: right-to-left along +X, the spine or
    // the neck up (+Y), so the rest pose is a T-pose facing +Z.
    const d = unit(sum);
    return scale([d[1], d[0], -d[2]], length);
  });
  return rig;
}

/**
 * Joint rotations that pose the rig like each frame. The pelvis and the thorax: the rotation of
 * their frame (above). Any other joint with a child: its parent's rotation followed by the
 * smallest rotation (swing) that points the bone at its child — so no joint twists about its
 * own bone beyond what its parent does (positions say nothing about that twist). Wrists, ankles
 * and the head keep their parent's rotation. `root`: per frame the pelvis position in the camera
 * frame (metres), e.g. a fitted trajectory; default the origin.
 */
export function solveMotion(
  rig: Rig,
  poses: ArrayLike<number>,
  frames: number,
  fps: number,
  root?: ArrayLike<number>,
): Motion {
  const motion: Motion = { frames, fps, root: [], local: [] };
  const restFrames: Record<number, number[]> = {};
  for (const j of Object.keys(BRANCH_FRAME).map(Number)) restFrames[j] = branchFrame(j, (k) => restPosition(rig, k));

  for (let f = 0; f < frames; f++) {
    const at = (k: number) => joint(poses, f, k);
    const global: Quat[] = new Array(rig.order.length);
    const local: Quat[] = new Array(rig.order.length);
    for (const j of rig.order) {
      const parent = rig.parents[j] >= 0 ? global[rig.parents[j]] : IDENTITY;
      let g: Quat;
      if (restFrames[j]) {
        const obs = branchFrame(j, at),
          rest = restFrames[j];
        // G = F_obs F_rest^T.
        const m = new Array<number>(9).fill(0);
        for (let r = 0; r < 3; r++)
          for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) m[r * 3 + c] += obs[r * 3 + k] * rest[c * 3 + k];
        g = quatFromMatrix(m);
      } else if (rig.children[j].length === 1) {
        const c = rig.children[j][0];
        // A helper joint turns the bone that starts at its (real) parent joint.
        const base = j >= J ? rig.parents[j] : j;
        g = qmul(swing(qrotate(parent, rig.offsets[c]), sub(at(c), at(base))), parent);
      } else {
        g = parent;
      }
      global[j] = g;
      local[j] = qmul(qconj(parent), g);
    }
    motion.local.push(local);
    motion.root.push(root ? cameraToWorld(root, f * 3) : [0, 0, 0]);
  }
  return motion;
}

/** A joint's world position in the rest pose, root at the origin. */
function restPosition(rig: Rig, j: number): Vec3 {
  let p: Vec3 = [0, 0, 0];
  for (let k = j; k >= 0; k = rig.parents[k])
    p = [p[0] + rig.offsets[k][0], p[1] + rig.offsets[k][1], p[2] + rig.offsets[k][2]];
  return p;
}

/** World joint positions [T, 17, 3] of a rig posed by a motion (forward kinematics). */
export function posedJoints(rig: Rig, motion: Motion): Float64Array {
  const out = new Float64Array(motion.frames * J * 3);
  for (let f = 0; f < motion.frames; f++) {
    const global: Quat[] = new Array(rig.order.length);
    const pos: Vec3[] = new Array(rig.order.length);
    for (const j of rig.order) {
      const p = rig.parents[j];
      global[j] = p >= 0 ? qmul(global[p], motion.local[f][j]) : motion.local[f][j];
      if (p < 0) pos[j] = motion.root[f];
      else {
        const o = qrotate(global[p], rig.offsets[j]);
        pos[j] = [pos[p][0] + o[0], pos[p][1] + o[1], pos[p][2] + o[2]];
      }
      if (j < J) out.set(pos[j], (f * J + j) * 3);
    }
  }
  return out;
}
