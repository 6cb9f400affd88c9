import { Rng } from '../pose/rng.js';
import { renderHeatmap, type HeatmapBlob } from '../pose/heatmap-render.js';
import { NOISE_MODEL } from '../pose/detector-noise.js';
import { NUM_JOINTS } from '../pose/skeleton.js';

/**
 * Simulated detector heatmaps for one person (the evaluation's "ambiguous heatmaps"; mirrored by
 * train/diffpose/heatmaps.py for training): a top-down detector's 48 x 64 maps over the
 * person's box, one Gaussian blob per joint at its detected keypoint. Like a real detector's,
 * the blob is the detector's belief convolved with its training target (a Gaussian of std
 * `sigma`, 2 heatmap px, HRNet's): the belief is the Gaussian error the detector-noise model
 * (src/pose/detector-noise.ts) gives the joint's confidence c, std confidenceScale x person
 * height x -ln c (c = exp(-std / (0.03 height)) inverted), so the blob's std is
 * sqrt(belief² + sigma²) — 2.0-2.1 px for most joints, which is why the fit takes the kernel
 * off (src/model/heatmap-fit.ts rule 5). Plus the two failure modes a single keypoint per joint
 * cannot express:
 *  - left/right confusion: a limb joint's map also peaks at its partner's detection (second
 *    mode 0.3-1 of the first); in swapProbability's `wrongFirst` share the partner's peak is the
 *    higher one, so the argmax reports the wrong side;
 *  - occlusion: an unsure joint (low confidence, or occlusionProbability) gets a wide, flat blob
 *    (std occlusionSigma as rendered: a belief of 3.5-7.7 px through the kernel).
 * Every map also carries a floor (floorFraction of its peak), as real network outputs do.
 */
export const HEATMAP_SIM = {
  width: 48,
  height: 64,
  /** Box margin around the keypoints, a fraction of the larger side (top-down crops add 25%). */
  margin: 0.25,
  /** The detector's training target's std, heatmap pixels (HRNet's): a sure joint's blob std. */
  sigma: 2,
  swapProbability: 0.15,
  swapRatio: [0.3, 1] as const,
  wrongFirst: 0.4,
  /** Joints under this confidence are occluded; others are with occlusionProbability. */
  occludedBelow: 0.4,
  occlusionProbability: 0.05,
  /** Std of an occluded joint's blob, heatmap pixels. */
  occlusionSigma: [4, 8] as const,
  floorFraction: 0.01,
} as const;

/** Left/right partner of each Human3.6M joint (-1: on the midline). */
export const LR_PARTNER: readonly number[] = [-1, 4, 5, 6, 1, 2, 3, -1, -1, -1, -1, 14, 15, 16, 11, 12, 13];

/** One person's simulated heatmaps [17, height, width] and box [left, top, right, bottom]. */
export interface SimulatedHeatmaps {
  heatmaps: Float32Array;
  box: Float32Array;
}

/** The person's box: the keypoints' bounds plus the margin, widened or heightened to the maps' aspect. */
export function personBox(keypoints: ArrayLike<number>): Float32Array {
  const s = HEATMAP_SIM;
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (let j = 0; j < NUM_JOINTS; j++) {
    x0 = Math.min(x0, keypoints[2 * j]);
    x1 = Math.max(x1, keypoints[2 * j]);
    y0 = Math.min(y0, keypoints[2 * j + 1]);
    y1 = Math.max(y1, keypoints[2 * j + 1]);
  }
  // Scale-free (the Python twin runs on uv units): only a degenerate person hits the floor.
  const pad = s.margin * Math.max(x1 - x0, y1 - y0, 1e-6);
  let bw = x1 - x0 + 2 * pad,
    bh = y1 - y0 + 2 * pad;
  if (bw / bh < s.width / s.height) bw = (bh * s.width) / s.height;
  else bh = (bw * s.height) / s.width;
  const cx = (x0 + x1) / 2,
    cy = (y0 + y1) / 2;
  return Float32Array.from([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2]);
}

/** Heatmaps for detected keypoints [17, 2] (pixels) with their confidences [17]; `seed` fixes the draws. */
export function simulateHeatmaps(
  keypoints: ArrayLike<number>,
  confidence: ArrayLike<number>,
  seed: number,
): SimulatedHeatmaps {
  const s = HEATMAP_SIM,
    W = s.width,
    H = s.height;
  const rng = new Rng(seed);
  const box = personBox(keypoints);
  const toMap = (j: number) => [
    ((keypoints[2 * j] - box[0]) / (box[2] - box[0])) * W - 0.5,
    ((keypoints[2 * j + 1] - box[1]) / (box[3] - box[1])) * H - 0.5,
  ];
  // The detector-noise model's person scale: the keypoints' height (scale-free, as personBox).
  let y0 = Infinity,
    y1 = -Infinity;
  for (let j = 0; j < NUM_JOINTS; j++) {
    y0 = Math.min(y0, keypoints[2 * j + 1]);
    y1 = Math.max(y1, keypoints[2 * j + 1]);
  }
  const beliefScale = (NOISE_MODEL.confidenceScale * Math.max(y1 - y0, 1e-6) * H) / (box[3] - box[1]);
  // A blob's std, heatmap px: the belief the confidence implies through the target kernel.
  // Confidences clamped to the detector model's range (-ln 0 would be an infinite belief).
  const [cMin, cMax] = NOISE_MODEL.confidenceRange;
  const blobSigma = (j: number) =>
    Math.hypot(beliefScale * -Math.log(Math.min(cMax, Math.max(cMin, confidence[j]))), s.sigma);
  const heatmaps = new Float32Array(NUM_JOINTS * W * H);
  for (let j = 0; j < NUM_JOINTS; j++) {
    // Draws in a fixed order per joint whatever happens, so one joint's case never shifts another's.
    const occluded = confidence[j] < s.occludedBelow || rng.uniform() < s.occlusionProbability;
    const wide = s.occlusionSigma[0] + (s.occlusionSigma[1] - s.occlusionSigma[0]) * rng.uniform();
    const swapped = LR_PARTNER[j] >= 0 && rng.uniform() < s.swapProbability;
    const ratio = s.swapRatio[0] + (s.swapRatio[1] - s.swapRatio[0]) * rng.uniform();
    const wrongFirst = rng.uniform() < s.wrongFirst;
    const sigma = occluded ? wide : blobSigma(j);
    const [x, y] = toMap(j);
    const blobs: HeatmapBlob[] = [{ weight: 1, x, y, sx: sigma, sy: sigma }];
    if (swapped) {
      const [px, py] = toMap(LR_PARTNER[j]);
      // The wrong side's mode is the higher one in the wrongFirst share.
      const ps = blobSigma(LR_PARTNER[j]);
      blobs.push({ weight: wrongFirst ? 1 : ratio, x: px, y: py, sx: ps, sy: ps });
      if (wrongFirst) blobs[0].weight = ratio;
    }
    const at = j * W * H;
    renderHeatmap(heatmaps, at, W, H, blobs);
    let peak = 0;
    for (let p = at; p < at + W * H; p++) peak = Math.max(peak, heatmaps[p]);
    // A joint far outside its box leaves nothing on the map: the floor alone then says "anywhere".
    const floor = peak > 0 ? s.floorFraction * peak : 1;
    for (let p = at; p < at + W * H; p++) heatmaps[p] += floor;
  }
  return { heatmaps, box };
}
