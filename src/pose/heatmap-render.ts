/**
 * Heatmaps drawn from known 2D Gaussian mixtures, as a detector's output would look: the
 * mixture's density sampled at each pixel centre (heatmap coordinates: pixel x's centre is at x).
 * Tests fit them back, and the evaluation's simulated detector (src/eval/heatmap-sim.ts) draws
 * its ambiguous heatmaps with it.
 */

/** One component in heatmap pixels. */
export interface HeatmapBlob {
  weight: number;
  x: number;
  y: number;
  sx: number;
  sy: number;
}

/** Adds the mixture's density into `out` (row-major width x height) at `offset`, times `scale`. */
export function renderHeatmap(
  out: Float32Array,
  offset: number,
  width: number,
  height: number,
  blobs: readonly HeatmapBlob[],
  scale = 1,
): void {
  for (const b of blobs) {
    const norm = (scale * b.weight) / (2 * Math.PI * b.sx * b.sy);
    // Beyond 7 std the density is below 1e-10 of the peak: not worth the exp.
    const x0 = Math.max(0, Math.floor(b.x - 7 * b.sx)),
      x1 = Math.min(width - 1, Math.ceil(b.x + 7 * b.sx));
    const y0 = Math.max(0, Math.floor(b.y - 7 * b.sy)),
      y1 = Math.min(height - 1, Math.ceil(b.y + 7 * b.sy));
    for (let y = y0; y <= y1; y++) {
      const ey = ((y - b.y) / b.sy) ** 2;
      for (let x = x0; x <= x1; x++) {
        out[offset + y * width + x] += norm * Math.exp(-0.5 * (((x - b.x) / b.sx) ** 2 + ey));
      }
    }
  }
}
