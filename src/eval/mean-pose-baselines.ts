import type { PreparedSplit } from '../mocap/prepared-file.js';
import { makeExamples, strideFrames } from '../mocap/test-examples.js';
import { Rng } from '../pose/rng.js';

/**
 * Trivial baselines that ignore the input: one constant pose, computed from the TRAINING
 * split, predicted for every test example. Two versions, because no single constant is fair
 * to both metrics:
 *
 * - `camera`: the mean root-relative camera-frame pose of training frames seen through the
 *   same random camera model as the test set (docs/camera-model.md, its own seed). It is the
 *   constant with the least expected squared error, so the fair floor for MPJPE. Averaging
 *   over a uniform camera yaw washes out the body's facing direction, so its shape is not a
 *   person's and its P-MPJPE is not meaningful.
 * - `canonical`: the mean root-relative pose after turning every training pose to face the
 *   camera (hips left-right along +x) and upright (OpenCV: y down), without scaling. Its shape
 *   is a real average person, so it is the fair floor for P-MPJPE (which removes orientation
 *   and size); for MPJPE it is only right for people facing the camera.
 */
export interface MeanPoses {
  camera: Float64Array;
  canonical: Float64Array;
  /** Training frames averaged. */
  frames: number;
}

/** A seed unrelated to the test set's 20231, so the baseline does not see the test cameras. */
export const BASELINE_SEED = 7;
/** Every 10th training frame: the mean is stable long before all 70k are used. */
export const BASELINE_STRIDE = 10;

const PELVIS = 0,
  RIGHT_HIP = 1,
  LEFT_HIP = 4;

export function meanPoseBaselines(train: Pick<PreparedSplit, 'poses' | 'clip'>): MeanPoses {
  const frames = strideFrames(train.clip, BASELINE_STRIDE);
  const views = makeExamples(train.poses, frames, (f) => train.clip[f], new Rng(BASELINE_SEED));
  const camera = new Float64Array(51);
  const canonical = new Float64Array(51);
  frames.forEach((f, i) => {
    for (let k = 0; k < 51; k++) camera[k] += views.poses3d[i * 51 + k] / frames.length;
    const c = canonicalPose(train.poses.subarray(f * 51, f * 51 + 51));
    for (let k = 0; k < 51; k++) canonical[k] += c[k] / frames.length;
  });
  return { camera, canonical, frames: frames.length };
}

/**
 * World pose (+Y up) -> root-relative, turned about the vertical so that the hips' left-right
 * axis is world +X (the person faces world +Z), then into a camera frame looking at the
 * person's front: (x, y, z) -> (x, -y, -z), a 180 degree turn about x (OpenCV: y down, z away).
 */
export function canonicalPose(world: ArrayLike<number>): Float64Array {
  const hx = world[LEFT_HIP * 3] - world[RIGHT_HIP * 3];
  const hz = world[LEFT_HIP * 3 + 2] - world[RIGHT_HIP * 3 + 2];
  const yaw = Math.atan2(hz, hx); // angle of the hip axis from +X, about +Y
  const c = Math.cos(yaw),
    s = Math.sin(yaw);
  const out = new Float64Array(51);
  for (let j = 0; j < 17; j++) {
    const x = world[j * 3] - world[PELVIS * 3];
    const y = world[j * 3 + 1] - world[PELVIS * 3 + 1];
    const z = world[j * 3 + 2] - world[PELVIS * 3 + 2];
    // Rotation about +Y by +yaw maps the direction (cos yaw, 0, sin yaw) onto +X.
    out[j * 3] = c * x + s * z;
    out[j * 3 + 1] = -y;
    out[j * 3 + 2] = -(-s * x + c * z);
  }
  return out;
}
