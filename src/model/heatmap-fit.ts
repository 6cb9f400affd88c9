/**
 * Per-joint 2D Gaussian mixtures fitted to detector heatmaps by weighted EM: the CPU reference
 * of shaders/heatmap-fit.wgsl (the descriptor is src/kernels/heatmap-fit.ts), which runs one
 * workgroup of HEATMAP_FIT.lanes invocations per (pose, joint) with the same start, steps and rules.
 *
 * A heatmap is read as a density of where the joint is: pixel (x, y) (column, row; the centre of
 * pixel x is at heatmap coordinate x) carries mass max(value, 0), and non-finite values carry
 * none (the host refuses them before any GPU work; the kernel's rule only matters for callers'
 * buffers). The fit, per joint:
 *
 * 1. Start: the local maxima (a pixel with mass > 0, strictly above its 8-neighbours before it
 *    in row-major order and at least as high as those after it, so a plateau has one) at least
 *    seedFraction of the heatmap's maximum, highest first (ties: lower index), at most K. Each
 *    starts a component at its pixel with variance varianceInit on both axes and a weight
 *    proportional to its value; fewer maxima than K leave the other components at weight 0 (a
 *    unimodal heatmap gives one Gaussian whatever K: the extra ones would only split its blob).
 * 2. A uniform background component over the heatmap (weight backgroundInit at the start) soaks
 *    up the low floor real detectors leave everywhere, which would otherwise pull every
 *    component's variance to the size of the map; it is dropped at the end and the Gaussians'
 *    weights renormalised.
 * 3. `iterations` EM steps, each one pass over the pixels accumulating, per component, the
 *    responsibility-weighted mass and first and second moments about its current mean (centred,
 *    so that f32 sums stay accurate on 128-pixel maps); variances are floored at varianceFloor
 *    (a single bright pixel cannot collapse a component), and a component whose share of the
 *    mass falls under minShare keeps its parameters and gets weight 0.
 * 4. A flat heatmap (all pixels equal, including all zero) gives one component at the centre of
 *    the box with the standard deviation of a uniform over it (width / sqrt(12), height / sqrt(12)).
 *
 * Output per component: weight (the Gaussians' weights sum to 1), mean x, mean y, std x, std y in
 * image pixels, mapped through the person's box [left, top, right, bottom]: heatmap coordinate x
 * is image x = left + (x + 0.5) (right - left) / width. Unused components (weight 0) repeat the
 * heaviest component's mean and std, so every value is usable.
 */

/** The fit's fixed settings; the kernel gets the same numbers (the u32s through the WGSL prelude, the rest as parameters). */
export const HEATMAP_FIT = {
  /** Invocations per (pose, joint) workgroup of the kernel. */
  lanes: 64,
  /** Components per joint at most. */
  maxComponents: 5,
  /** EM steps. */
  iterations: 12,
  /** A local maximum seeds a component when it is at least this fraction of the heatmap's maximum. */
  seedFraction: 0.1,
  /** Starting variance of a seeded component, heatmap pixels squared (std 2: a typical detector's blob). */
  varianceInit: 4,
  /** Variance floor, heatmap pixels squared (std 0.5). */
  varianceFloor: 0.25,
  /** Starting weight of the uniform background component. */
  backgroundInit: 0.1,
  /** A component with less than this share of the mass is dropped (weight 0). */
  minShare: 1e-6,
  /** Default std of the detector's training target, heatmap pixels (HRNet's and SimpleBaseline's on 64 x 48 maps). */
  targetSigma: 2,
  /**
   * Floor of a component's variance once the target kernel is off, heatmap pixels squared (std
   * 0.1): a blob as narrow as the kernel says "sure", not "exact"; sub-pixel fits of real
   * heatmaps are good to about a tenth of a pixel.
   */
  beliefFloor: 0.01,
} as const;

/** Largest targetSigma taken, heatmap pixels: a kernel wider than this would be most of the map. */
export const MAX_TARGET_SIGMA = 64;

/**
 * A fitted component's variance (heatmap pixels squared, one axis) with the target kernel of
 * variance `targetVariance` taken off (rule 5), in f32 steps as the kernel computes it.
 */
export function beliefVariance(v: number, targetVariance: number): number {
  if (!(targetVariance > 0)) return v;
  return Math.max(Math.fround(Math.fround(v) - targetVariance), HEATMAP_FIT.beliefFloor);
}

/** Values per fitted component: weight, mean x, mean y, std x, std y. */
export const FIT_STRIDE = 5;

/** Where fitted means and stds go: out = value * scale + offset (image pixels: scale 1, offsets 0). */
export interface FitOutputMap {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export interface HeatmapFitArgs {
  /** [poses, joints, height, width]. */
  heatmaps: Float32Array;
  poses: number;
  joints: number;
  width: number;
  height: number;
  /** Components per joint, 1..HEATMAP_FIT.maxComponents. */
  components: number;
  /** [poses, 4]: left, top, right, bottom in image pixels. */
  boxes: Float32Array;
  /** Default: image pixels. */
  map?: FitOutputMap;
  /** Std of the detector's training target, heatmap pixels; default HEATMAP_FIT.targetSigma, 0: keep the blobs' variances. */
  targetSigma?: number;
}

/** One joint's mixture in heatmap pixels, before the box and the output map. */
interface Mixture {
  weight: number[];
  mx: number[];
  my: number[];
  vx: number[];
  vy: number[];
  /** The flat-map fallback (rule 4): no target kernel to take off. */
  flat?: boolean;
}

/** The mass a heatmap value carries: max(value, 0), nothing for NaN or an infinity. */
export function pixelMass(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** Pixels of heatmap `m` (row-major, w x h) that seed components, best first (the rule in the header). */
export function heatmapSeeds(m: Float64Array, w: number, h: number, K: number, max: number): number[] {
  const found: number[] = [];
  // In f32 as the kernel computes it, so that a value on the threshold is a seed in both.
  const threshold = Math.fround(Math.fround(HEATMAP_FIT.seedFraction) * max);
  for (let p = 0; p < w * h; p++) {
    const v = m[p];
    if (!(v > 0) || !(v >= threshold)) continue;
    const x = p % w,
      y = (p - x) / w;
    let peak = true;
    for (let dy = -1; dy <= 1 && peak; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const qx = x + dx,
          qy = y + dy;
        if ((dx === 0 && dy === 0) || qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
        const q = qy * w + qx;
        if (q < p ? !(v > m[q]) : !(v >= m[q])) {
          peak = false;
          break;
        }
      }
    }
    if (peak) found.push(p);
  }
  found.sort((a, b) => m[b] - m[a] || a - b);
  return found.slice(0, K);
}

/** EM on one joint's masses (heatmap pixels). */
export function fitMixture(m: Float64Array, w: number, h: number, K: number): Mixture {
  const F = HEATMAP_FIT;
  let total = 0,
    max = -Infinity,
    min = Infinity;
  for (const v of m) {
    total += v;
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  const mix: Mixture = { weight: [], mx: [], my: [], vx: [], vy: [] };
  const flat = () => {
    mix.weight = [1];
    mix.mx = [(w - 1) / 2];
    mix.my = [(h - 1) / 2];
    mix.vx = [(w * w) / 12];
    mix.vy = [(h * h) / 12];
    mix.flat = true;
    return mix;
  };
  if (!(max > min)) return flat();
  const seeds = heatmapSeeds(m, w, h, K, max);
  let seedSum = 0;
  for (const p of seeds) seedSum += m[p];
  for (const p of seeds) {
    mix.weight.push(((1 - F.backgroundInit) * m[p]) / seedSum);
    mix.mx.push(p % w);
    mix.my.push(Math.floor(p / w));
    mix.vx.push(F.varianceInit);
    mix.vy.push(F.varianceInit);
  }
  const C = seeds.length;
  let background: number = F.backgroundInit;
  const backgroundDensity = 1 / (w * h);
  const d = new Float64Array(C);
  for (let it = 0; it < F.iterations; it++) {
    const s0 = new Float64Array(C),
      sx = new Float64Array(C),
      sy = new Float64Array(C),
      sxx = new Float64Array(C),
      syy = new Float64Array(C);
    const norm = mix.weight.map((wt, k) => wt / (2 * Math.PI * Math.sqrt(mix.vx[k] * mix.vy[k])));
    for (let p = 0; p < w * h; p++) {
      const v = m[p];
      if (!(v > 0)) continue;
      const x = p % w,
        y = (p - x) / w;
      let sum = background * backgroundDensity;
      for (let k = 0; k < C; k++) {
        const dx = x - mix.mx[k],
          dy = y - mix.my[k];
        d[k] = norm[k] * Math.exp(-0.5 * ((dx * dx) / mix.vx[k] + (dy * dy) / mix.vy[k]));
        sum += d[k];
      }
      if (!(sum > 0)) continue;
      const r = v / sum;
      for (let k = 0; k < C; k++) {
        const q = r * d[k],
          dx = x - mix.mx[k],
          dy = y - mix.my[k];
        s0[k] += q;
        sx[k] += q * dx;
        sy[k] += q * dy;
        sxx[k] += q * dx * dx;
        syy[k] += q * dy * dy;
      }
    }
    let gaussians = 0;
    for (let k = 0; k < C; k++) {
      if (!(s0[k] > F.minShare * total)) {
        mix.weight[k] = 0;
        continue;
      }
      const ex = sx[k] / s0[k],
        ey = sy[k] / s0[k];
      mix.mx[k] += ex;
      mix.my[k] += ey;
      mix.vx[k] = Math.max(sxx[k] / s0[k] - ex * ex, F.varianceFloor);
      mix.vy[k] = Math.max(syy[k] / s0[k] - ey * ey, F.varianceFloor);
      mix.weight[k] = s0[k] / total;
      gaussians += s0[k];
    }
    background = Math.max(0, 1 - gaussians / total);
  }
  const sum = mix.weight.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return flat();
  mix.weight = mix.weight.map((wt) => wt / sum);
  return mix;
}

/** [poses, joints, K, FIT_STRIDE]: the fitted mixtures, mapped through the boxes and `map`. */
export function fitHeatmapsRef(a: HeatmapFitArgs): Float32Array {
  const { width: w, height: h, components: K } = a;
  const map = a.map ?? { scale: 1, offsetX: 0, offsetY: 0 };
  const target = a.targetSigma ?? HEATMAP_FIT.targetSigma;
  // In f32, as the kernel gets it.
  const targetVariance = Math.fround(Math.fround(target) * Math.fround(target));
  const out = new Float32Array(a.poses * a.joints * K * FIT_STRIDE);
  const m = new Float64Array(w * h);
  for (let n = 0; n < a.poses; n++) {
    const [left, top, right, bottom] = a.boxes.subarray(n * 4, n * 4 + 4);
    const bx = (right - left) / w,
      by = (bottom - top) / h;
    for (let j = 0; j < a.joints; j++) {
      const base = (n * a.joints + j) * w * h;
      for (let p = 0; p < w * h; p++) m[p] = pixelMass(a.heatmaps[base + p]);
      const mix = fitMixture(m, w, h, K);
      let heaviest = 0;
      for (let k = 1; k < mix.weight.length; k++) if (mix.weight[k] > mix.weight[heaviest]) heaviest = k;
      const tv = mix.flat ? 0 : targetVariance;
      for (let k = 0; k < K; k++) {
        const c = k < mix.weight.length ? k : heaviest;
        const o = ((n * a.joints + j) * K + k) * FIT_STRIDE;
        out[o] = k < mix.weight.length ? mix.weight[k] : 0;
        out[o + 1] = (left + (mix.mx[c] + 0.5) * bx) * map.scale + map.offsetX;
        out[o + 2] = (top + (mix.my[c] + 0.5) * by) * map.scale + map.offsetY;
        out[o + 3] = Math.sqrt(beliefVariance(mix.vx[c], tv)) * bx * map.scale;
        out[o + 4] = Math.sqrt(beliefVariance(mix.vy[c], tv)) * by * map.scale;
      }
    }
  }
  return out;
}
