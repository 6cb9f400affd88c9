import { NUM_JOINTS } from './skeleton.js';

const J = NUM_JOINTS;

/** A pinhole camera in the model's uv units (docs/formats.md: uv = p / w * 2 - [1, h / w]). */
export interface UvCamera {
  /** Focal length in uv units: pixels x 2 / image width. */
  focal: number;
  /** Principal point in uv units. */
  center: readonly [number, number];
}

/** Camera intrinsics in pixels; defaults: focal = max(width, height), the image centre. */
export interface Intrinsics {
  focal?: number;
  center?: readonly [number, number];
}

export function uvCamera(imageSize: readonly [number, number], intrinsics: Intrinsics = {}): UvCamera {
  const [w, h] = imageSize;
  const focal = intrinsics.focal ?? Math.max(w, h);
  const [cx, cy] = intrinsics.center ?? [w / 2, h / 2];
  return { focal: (focal * 2) / w, center: [(cx / w) * 2 - 1, (cy / w) * 2 - h / w] };
}

/** Solves the 3x3 system A x = b (row-major), or undefined when it is singular. */
function solve3(a: number[], b: number[]): [number, number, number] | undefined {
  const det = (m: number[]) =>
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  const d = det(a);
  if (!(Math.abs(d) > 1e-12)) return undefined;
  const col = (i: number) => a.map((v, k) => (k % 3 === i ? b[Math.floor(k / 3)] : v));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/**
 * The root position t (camera frame, metres) that best reprojects a root-relative pose onto its
 * 2D keypoints: minimises sum_j w_j |project(P_j + t) - uv_j|^2. Starts from the closed-form
 * solution of the linearised equations f (X_j + t_x) = (u_j - c_u)(Z_j + t_z) (and likewise for
 * v), then refines with Gauss-Newton steps on the true reprojection error. Returns NaNs when the
 * keypoints do not determine a root in front of the camera (e.g. all weights zero).
 * pose [17, 3], uv [17, 2], weights [17] (e.g. 1 / sigma^2 of each joint's 2D).
 */
export function fitRoot(
  pose: ArrayLike<number>,
  uv: ArrayLike<number>,
  weights: ArrayLike<number>,
  cam: UvCamera,
  steps = 4,
): [number, number, number] {
  const f = cam.focal,
    [cu, cv] = cam.center;
  // Normal equations of the linear system, rows (f, 0, -(u - cu)) . t = (u - cu) Z - f X, (0, f, -(v - cv)) . t = (v - cv) Z - f Y.
  const ata = new Array<number>(9).fill(0),
    atb = [0, 0, 0];
  const addRow = (row: [number, number, number], rhs: number, w: number) => {
    for (let r = 0; r < 3; r++) {
      atb[r] += w * row[r] * rhs;
      for (let c = 0; c < 3; c++) ata[r * 3 + c] += w * row[r] * row[c];
    }
  };
  for (let j = 0; j < J; j++) {
    const w = weights[j];
    if (!(w > 0)) continue;
    const X = pose[3 * j],
      Y = pose[3 * j + 1],
      Z = pose[3 * j + 2];
    const du = uv[2 * j] - cu,
      dv = uv[2 * j + 1] - cv;
    addRow([f, 0, -du], du * Z - f * X, w);
    addRow([0, f, -dv], dv * Z - f * Y, w);
  }
  let t = solve3(ata, atb);
  if (!t || !(t[2] > 0)) return [NaN, NaN, NaN];
  for (let s = 0; s < steps; s++) {
    // Gauss-Newton on r = project(P + t) - uv; the Jacobian rows are (f/Z, 0, -f X/Z^2) and (0, f/Z, -f Y/Z^2).
    let h00 = 0,
      h02 = 0,
      h11 = 0,
      h12 = 0,
      h22 = 0,
      g0 = 0,
      g1 = 0,
      g2 = 0;
    for (let j = 0; j < J; j++) {
      const w = weights[j];
      if (!(w > 0)) continue;
      const X = pose[3 * j] + t[0],
        Y = pose[3 * j + 1] + t[1],
        Z = pose[3 * j + 2] + t[2];
      if (!(Z > 1e-6)) return [NaN, NaN, NaN];
      const a = f / Z,
        bu = (-f * X) / (Z * Z),
        bv = (-f * Y) / (Z * Z);
      const ru = (f * X) / Z + cu - uv[2 * j],
        rv = (f * Y) / Z + cv - uv[2 * j + 1];
      h00 += w * a * a;
      h02 += w * a * bu;
      h11 += w * a * a;
      h12 += w * a * bv;
      h22 += w * (bu * bu + bv * bv);
      g0 += w * a * ru;
      g1 += w * a * rv;
      g2 += w * (bu * ru + bv * rv);
    }
    const step = solve3([h00, 0, h02, 0, h11, h12, h02, h12, h22], [g0, g1, g2]);
    if (!step) break;
    t = [t[0] - step[0], t[1] - step[1], t[2] - step[2]];
  }
  return t[2] > 0 ? t : [NaN, NaN, NaN];
}

/** fitRoot for every pose: poses [N, 17, 3], uv [N, 17, 2], weights [N, 17] -> [N, 3]. */
export function fitRoots(
  poses: Float32Array,
  uv: Float32Array,
  weights: Float32Array,
  count: number,
  cam: UvCamera,
): Float32Array {
  const out = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    out.set(
      fitRoot(
        poses.subarray(i * J * 3, (i + 1) * J * 3),
        uv.subarray(i * J * 2, (i + 1) * J * 2),
        weights.subarray(i * J, (i + 1) * J),
        cam,
      ),
      i * 3,
    );
  }
  return out;
}

/** Frames of the centred window a sequence's root trajectory is averaged over (0.23 s at 30 fps). */
export const ROOT_SMOOTHING_FRAMES = 7;

/**
 * A track's root trajectory [T, 3] smoothed by a centred moving average of `window` frames (odd;
 * shrinking at the track's ends), over the frames that have a root: a NaN root (no fit) stays NaN
 * and is left out of its neighbours' averages. Per-frame fits jitter mostly in depth, where the 2D
 * says least; the pose is placed by its neighbours too.
 */
export function smoothRoots(root: Float32Array, frames: number, window = ROOT_SMOOTHING_FRAMES): Float32Array {
  const half = (window - 1) / 2;
  const out = new Float32Array(root.length);
  for (let t = 0; t < frames; t++) {
    if (!Number.isFinite(root[3 * t])) {
      out.set(root.subarray(3 * t, 3 * t + 3), 3 * t);
      continue;
    }
    const s = [0, 0, 0];
    let n = 0;
    for (let u = Math.max(0, t - half); u <= Math.min(frames - 1, t + half); u++) {
      if (!Number.isFinite(root[3 * u])) continue;
      for (let c = 0; c < 3; c++) s[c] += root[3 * u + c];
      n++;
    }
    for (let c = 0; c < 3; c++) out[3 * t + c] = s[c] / n;
  }
  return out;
}
