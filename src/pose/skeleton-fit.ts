import { H36M_BONES, NUM_JOINTS } from './skeleton.js';

/*
 * A mean-skeleton prior in 2D: an upright adult (H36M joints, metres) seen from 12 directions
 * around the vertical axis, orthographic, and a weighted similarity fit (scale, in-plane rotation,
 * shift) of those views to observed 2D joints. Used to place missing joints where they cannot drag
 * the pose (missing-joints.ts) and to tell whether keypoints fit the declared joint order
 * (sanity.ts).
 */

/** An upright adult, H36M order, metres, +Y up, facing +z, the person's left = +x; arms hanging, knees slightly bent. */
export const MEAN_SKELETON: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0.95, 0], // pelvis
  [-0.12, 0.95, 0],
  [-0.12, 0.52, 0.02],
  [-0.12, 0.09, 0], // right hip, knee, ankle
  [0.12, 0.95, 0],
  [0.12, 0.52, 0.02],
  [0.12, 0.09, 0], // left hip, knee, ankle
  [0, 1.18, -0.02],
  [0, 1.42, 0],
  [0, 1.55, 0.03],
  [0, 1.68, 0], // spine, thorax, skull base, head
  [0.18, 1.42, 0],
  [0.2, 1.14, 0],
  [0.21, 0.88, 0.02], // left shoulder, elbow, wrist
  [-0.18, 1.42, 0],
  [-0.2, 1.14, 0],
  [-0.21, 0.88, 0.02], // right shoulder, elbow, wrist
];

const VIEWS = 12;

/**
 * The least spread (weighted RMS distance from their centroid, metres) the used joints must have
 * in a template view for that view to be fitted. Joints that nearly coincide in a view (the
 * pelvis and both hips seen from the side) fix no scale: a least-squares fit then blows a
 * millimetre of template up to the pixels' spread (scale 1e4+ px/m, fill-ins at 1e14 px) and,
 * the residual being measured in metres, that degenerate fit even wins.
 */
const MIN_TEMPLATE_SPREAD = 0.05;

/** The skeleton seen from `VIEWS` directions (camera turned about the vertical axis), image axes (x right, y down), metres. */
export const TEMPLATE_VIEWS: Float64Array[] = Array.from({ length: VIEWS }, (_, v) => {
  const a = (2 * Math.PI * v) / VIEWS;
  const out = new Float64Array(NUM_JOINTS * 2);
  MEAN_SKELETON.forEach(([x, y, z], j) => {
    // Facing the camera (view 0) the person's left (+x) is on the image's right.
    out[2 * j] = x * Math.cos(a) + z * Math.sin(a);
    out[2 * j + 1] = -y;
  });
  return out;
});

/** p ≈ [[a, -b], [b, a]] t + [tx, ty]: scale sqrt(a² + b²) image units per metre. */
export interface SimilarityFit {
  view: number;
  a: number;
  b: number;
  tx: number;
  ty: number;
  /** Weighted RMS distance of the observed joints from the fitted template, in metres (pixels / scale). */
  residual: number;
}

/**
 * The best similarity fit of any template view to the joints with weight > 0 (positions of the
 * others are ignored; they may be NaN). Undefined when fewer than 2 joints have weight or they
 * are too close together in every view to fix a scale (MIN_TEMPLATE_SPREAD).
 */
export function fitSkeleton(points: ArrayLike<number>, weights: ArrayLike<number>): SimilarityFit | undefined {
  let best: SimilarityFit | undefined;
  for (let v = 0; v < VIEWS; v++) {
    const f = fitView(TEMPLATE_VIEWS[v], points, weights);
    if (f && (!best || f.residual < best.residual)) best = { ...f, view: v };
  }
  return best;
}

function fitView(t: Float64Array, p: ArrayLike<number>, w: ArrayLike<number>): Omit<SimilarityFit, 'view'> | undefined {
  let sw = 0,
    tmx = 0,
    tmy = 0,
    pmx = 0,
    pmy = 0,
    used = 0;
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (!(w[j] > 0)) continue;
    sw += w[j];
    used++;
    tmx += w[j] * t[2 * j];
    tmy += w[j] * t[2 * j + 1];
    pmx += w[j] * p[2 * j];
    pmy += w[j] * p[2 * j + 1];
  }
  if (used < 2) return undefined;
  tmx /= sw;
  tmy /= sw;
  pmx /= sw;
  pmy /= sw;
  let num_a = 0,
    num_b = 0,
    den = 0;
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (!(w[j] > 0)) continue;
    const tx = t[2 * j] - tmx,
      ty = t[2 * j + 1] - tmy,
      px = p[2 * j] - pmx,
      py = p[2 * j + 1] - pmy;
    num_a += w[j] * (tx * px + ty * py);
    num_b += w[j] * (tx * py - ty * px);
    den += w[j] * (tx * tx + ty * ty);
  }
  if (!(den > sw * MIN_TEMPLATE_SPREAD ** 2)) return undefined;
  const a = num_a / den,
    b = num_b / den;
  const scale = Math.hypot(a, b);
  if (!(scale > 0)) return undefined;
  const tx = pmx - (a * tmx - b * tmy),
    ty = pmy - (b * tmx + a * tmy);
  let err = 0;
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (!(w[j] > 0)) continue;
    const [fx, fy] = apply({ a, b, tx, ty }, t, j);
    err += w[j] * ((p[2 * j] - fx) ** 2 + (p[2 * j + 1] - fy) ** 2);
  }
  return { a, b, tx, ty, residual: Math.sqrt(err / sw) / scale };
}

function apply(f: { a: number; b: number; tx: number; ty: number }, t: Float64Array, j: number): [number, number] {
  return [f.a * t[2 * j] - f.b * t[2 * j + 1] + f.tx, f.b * t[2 * j] + f.a * t[2 * j + 1] + f.ty];
}

/** Where the fitted template puts joint j. */
export function templatePoint(fit: SimilarityFit, j: number): [number, number] {
  return apply(fit, TEMPLATE_VIEWS[fit.view], j);
}

/** Neighbours of each joint along the skeleton's bones. */
export const JOINT_NEIGHBOURS: number[][] = (() => {
  const n: number[][] = Array.from({ length: NUM_JOINTS }, () => []);
  for (const [a, b] of H36M_BONES) {
    n[a].push(b);
    n[b].push(a);
  }
  return n;
})();
