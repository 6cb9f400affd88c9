import { NUM_JOINTS } from './skeleton.js';
import type { Rng } from './rng.js';

/**
 * Random virtual cameras around a world-frame mocap pose, exactly as docs/camera-model.md
 * specifies (implemented the same way in train/camera.py). World frame: metres, +Y up.
 * Camera frame: OpenCV (x right, y down, z forward).
 */

/** The 17 Human3.6M joints (src/pose/skeleton.ts). */
export const JOINTS = NUM_JOINTS;
const PELVIS = 0;

/** Image sizes [width, height], equally likely: VGA, 720p, 1080p, Human3.6M-like, portrait phone. */
export const IMAGE_SIZES: ReadonlyArray<readonly [number, number]> = [
  [640, 480],
  [1280, 720],
  [1920, 1080],
  [1000, 1000],
  [720, 1280],
];

export const CAMERA_MODEL = {
  distance: [2.5, 7.0] as const, // horizontal distance to the pelvis, m
  height: [0.4, 2.4] as const, // camera height above the floor, m
  lookAtHeightStd: 0.15, // m, added to the pelvis height
  rollStdDeg: 2,
  fovDeg: [40, 80] as const, // horizontal
  principalPointStd: 0.01, // times the image width, per axis
  minDepth: 0.5, // m
  marginFraction: 0.02, // of the image width, on every side
  maxTries: 50,
} as const;

export interface Camera {
  /** World-to-camera rotation, row-major: rows are the camera's x, y, z axes in world coordinates. */
  rotation: Float64Array;
  /** Camera centre in the pose's centred world frame (pelvis x and z subtracted). */
  position: [number, number, number];
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

export interface CameraView {
  camera: Camera;
  /** The horizontal shift applied to the world pose before the camera: -(pelvis x), -(pelvis z). */
  centring: [number, number];
  /** 17 * 3, camera frame, metres, NOT root-relative. */
  pointsCamera: Float64Array;
  /** 17 * 2 pixels: the exact projections. */
  projected: Float64Array;
  /** Draws made; `maxTries + 1` means no draw passed and the last one was moved back. */
  tries: number;
}

/**
 * Draws a camera for one pose (17 * 3, world frame), redrawing until every joint is in front
 * (z >= 0.5 m) and inside the image with a 2%-of-width margin; after 50 failed draws it takes
 * the 50th with the horizontal distance doubled, whether or not that passes.
 *
 * Draw order per try (so that other implementations can match a stream): yaw, distance,
 * height, look-at offset, roll, image size, field of view, principal point x, then y.
 */
export function randomCameraView(rng: Rng, poseWorld: ArrayLike<number>): CameraView {
  const centring: [number, number] = [-poseWorld[PELVIS * 3], -poseWorld[PELVIS * 3 + 2]];
  const centred = new Float64Array(JOINTS * 3);
  for (let j = 0; j < JOINTS; j++) {
    centred[j * 3] = poseWorld[j * 3] + centring[0];
    centred[j * 3 + 1] = poseWorld[j * 3 + 1];
    centred[j * 3 + 2] = poseWorld[j * 3 + 2] + centring[1];
  }
  const pelvisHeight = centred[PELVIS * 3 + 1];
  let draw: CameraDraw | undefined;
  for (let tries = 1; tries <= CAMERA_MODEL.maxTries; tries++) {
    draw = drawCamera(rng, pelvisHeight);
    const view = look(draw, centred);
    if (isInView(view.camera, view.pointsCamera, view.projected)) return { ...view, centring, tries };
  }
  const far = look({ ...draw!, distance: draw!.distance * 2 }, centred);
  return { ...far, centring, tries: CAMERA_MODEL.maxTries + 1 };
}

/** The random quantities of one camera draw. */
export interface CameraDraw {
  yaw: number;
  distance: number;
  height: number;
  lookAtHeight: number;
  roll: number;
  width: number;
  imageHeight: number;
  fovRad: number;
  cx: number;
  cy: number;
}

export function drawCamera(rng: Rng, pelvisHeight: number): CameraDraw {
  const m = CAMERA_MODEL;
  const yaw = rng.uniformIn(0, 2 * Math.PI);
  const distance = rng.uniformIn(m.distance[0], m.distance[1]);
  const height = rng.uniformIn(m.height[0], m.height[1]);
  const lookAtHeight = pelvisHeight + rng.normal(0, m.lookAtHeightStd);
  const roll = rng.normal(0, (m.rollStdDeg * Math.PI) / 180);
  const [width, imageHeight] = IMAGE_SIZES[rng.int(IMAGE_SIZES.length)];
  const fovRad = (rng.uniformIn(m.fovDeg[0], m.fovDeg[1]) * Math.PI) / 180;
  const cx = width / 2 + rng.normal(0, m.principalPointStd * width);
  const cy = imageHeight / 2 + rng.normal(0, m.principalPointStd * width);
  return { yaw, distance, height, lookAtHeight, roll, width, imageHeight, fovRad, cx, cy };
}

/** Places the drawn camera and views the centred pose through it. */
export function look(draw: CameraDraw, centredPose: ArrayLike<number>): Omit<CameraView, 'centring' | 'tries'> {
  const position: [number, number, number] = [
    draw.distance * Math.sin(draw.yaw),
    draw.height,
    draw.distance * Math.cos(draw.yaw),
  ];
  const rotation = lookAtRotation(position, [0, draw.lookAtHeight, 0], draw.roll);
  const f = draw.width / 2 / Math.tan(draw.fovRad / 2);
  const camera: Camera = {
    rotation,
    position,
    fx: f,
    fy: f,
    cx: draw.cx,
    cy: draw.cy,
    width: draw.width,
    height: draw.imageHeight,
  };
  const pointsCamera = toCameraFrame(camera, centredPose);
  return { camera, pointsCamera, projected: project(camera, pointsCamera) };
}

/**
 * Rows x, y, z of a camera at `eye` looking at `target` with world +Y as up, then rolled by
 * `roll` about its optical axis. z = forward; x = forward x up (right); y = z x x (down).
 */
export function lookAtRotation(eye: readonly number[], target: readonly number[], roll: number): Float64Array {
  const z = normalize([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
  const x = normalize(cross(z, [0, 1, 0]));
  const y = cross(z, x);
  const c = Math.cos(roll),
    s = Math.sin(roll);
  const xr = [0, 1, 2].map((i) => c * x[i] + s * y[i]);
  const yr = [0, 1, 2].map((i) => -s * x[i] + c * y[i]);
  return new Float64Array([...xr, ...yr, ...z]);
}

/** World (centred) points to the camera frame: `R (p - position)`. */
export function toCameraFrame(camera: Camera, points: ArrayLike<number>): Float64Array {
  const n = points.length / 3;
  const out = new Float64Array(n * 3);
  const R = camera.rotation;
  for (let i = 0; i < n; i++) {
    const dx = points[i * 3] - camera.position[0];
    const dy = points[i * 3 + 1] - camera.position[1];
    const dz = points[i * 3 + 2] - camera.position[2];
    for (let r = 0; r < 3; r++) out[i * 3 + r] = R[r * 3] * dx + R[r * 3 + 1] * dy + R[r * 3 + 2] * dz;
  }
  return out;
}

/** Pinhole projection to pixels: u = fx x / z + cx, v = fy y / z + cy. */
export function project(camera: Camera, pointsCamera: ArrayLike<number>): Float64Array {
  const n = pointsCamera.length / 3;
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const [x, y, z] = [pointsCamera[i * 3], pointsCamera[i * 3 + 1], pointsCamera[i * 3 + 2]];
    out[i * 2] = (camera.fx * x) / z + camera.cx;
    out[i * 2 + 1] = (camera.fy * y) / z + camera.cy;
  }
  return out;
}

/** The acceptance rule: every point at z >= 0.5 m and inside the image shrunk by 2% of the width. */
export function isInView(camera: Camera, pointsCamera: ArrayLike<number>, projected: ArrayLike<number>): boolean {
  const margin = CAMERA_MODEL.marginFraction * camera.width;
  const n = pointsCamera.length / 3;
  for (let i = 0; i < n; i++) {
    if (pointsCamera[i * 3 + 2] < CAMERA_MODEL.minDepth) return false;
    const u = projected[i * 2],
      v = projected[i * 2 + 1];
    if (u < margin || u > camera.width - margin || v < margin || v > camera.height - margin) return false;
  }
  return true;
}

/** Camera-frame points made relative to the root (joint 0), as the model's 3D target. */
export function rootRelative(pointsCamera: ArrayLike<number>): Float64Array {
  const out = new Float64Array(pointsCamera.length);
  for (let i = 0; i < out.length; i++) out[i] = pointsCamera[i] - pointsCamera[PELVIS * 3 + (i % 3)];
  return out;
}

function cross(a: readonly number[], b: readonly number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(a: readonly number[]): number[] {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
