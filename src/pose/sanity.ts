import { FORMATS, formatsWithKeypoints, toH36m, type FormatName } from './formats.js';
import type { Detection, KeypointFile } from './keypoint-file.js';
import { fitSkeleton } from './skeleton-fit.js';

/*
 * Checks that catch keypoints in the wrong units or order before they are lifted into nonsense.
 * They warn, never fail: an unusual but right file must still lift.
 */

/** Median fit residual (metres) above which keypoints do not look like the declared joint order. A right order gives about 0.1 m, a wrong one 0.6-1 m. */
export const IMPLAUSIBLE_RESIDUAL = 0.35;
/** Share of detected keypoints outside the image (with a margin of 10% of its size) that is warned about. */
export const OUTSIDE_SHARE = 0.25;
const SAMPLE = 300;

/** Up to SAMPLE detections spread over the file. */
function sample(file: KeypointFile): Detection[] {
  const all = file.frames.flatMap((f) => f.detections);
  if (all.length <= SAMPLE) return all;
  return Array.from({ length: SAMPLE }, (_, i) => all[Math.floor((i * all.length) / SAMPLE)]);
}

/**
 * Median over (a sample of) the detections of how far their joints, read in `format`, are from
 * the best-fitting mean skeleton, in metres; undefined when no detection has two joints.
 */
export function skeletonResidual(detections: readonly Detection[], format: string): number | undefined {
  const f = FORMATS[format];
  const residuals: number[] = [];
  for (const d of detections) {
    if (d.confidence.length !== f.keypoints) continue;
    const m = toH36m(f, 1, d.keypoints, d.confidence);
    const w = Array.from(m.confidence!, (c, j) =>
      c > 0 && Number.isFinite(m.keypoints[2 * j]) && Number.isFinite(m.keypoints[2 * j + 1]) ? c : 0,
    );
    const fit = fitSkeleton(m.keypoints, w);
    if (fit) residuals.push(fit.residual);
  }
  if (!residuals.length) return undefined;
  residuals.sort((a, b) => a - b);
  return residuals[Math.floor(residuals.length / 2)];
}

/** Of the formats with `k` keypoints, the one whose joint order fits the detections best, and every candidate's residual. */
export function bestFittingFormat(
  file: KeypointFile,
  k: number,
): { format: FormatName; residuals: Record<string, number> } {
  const detections = sample(file);
  const residuals: Record<string, number> = {};
  for (const f of formatsWithKeypoints(k)) residuals[f.name] = skeletonResidual(detections, f.name) ?? Infinity;
  const [format] = Object.entries(residuals).sort((a, b) => a[1] - b[1])[0];
  return { format: format as FormatName, residuals };
}

/**
 * Warnings about a file whose coordinates are in pixels of `imageSize` (after any --normalised
 * scaling): normalised coordinates left as they are, keypoints mostly outside the image, a skeleton
 * that does not fit the declared joint order.
 */
export function sanityWarnings(file: KeypointFile, imageSize: readonly [number, number]): string[] {
  const warnings: string[] = [];
  const [w, h] = imageSize;
  let count = 0,
    outside = 0,
    maxX = -Infinity,
    maxY = -Infinity,
    inUnit = true;
  for (const f of file.frames) {
    for (const d of f.detections) {
      for (let i = 0; i < d.confidence.length; i++) {
        const x = d.keypoints[2 * i],
          y = d.keypoints[2 * i + 1];
        if (!(d.confidence[i] > 0) || Number.isNaN(x) || Number.isNaN(y)) continue;
        count++;
        if (x < -0.1 * w || x > 1.1 * w || y < -0.1 * h || y > 1.1 * h) outside++;
        if (x < 0 || x > 1 || y < 0 || y > 1) inUnit = false;
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, y);
      }
    }
  }
  if (count > 0 && inUnit && Math.max(w, h) > 4) {
    warnings.push(
      `every coordinate is in [0, 1]: normalised coordinates? pass pixels, or --normalised to scale them by the image size (${w}x${h})`,
    );
  } else if (count > 0 && outside / count > OUTSIDE_SHARE) {
    warnings.push(
      `${Math.round((100 * outside) / count)}% of the detected keypoints lie outside the ${w}x${h} image (largest x ${round(maxX)}, y ${round(maxY)}): is the image size right, and are they pixels?`,
    );
  }
  const detections = sample(file);
  const residual = skeletonResidual(detections, file.format);
  if (residual !== undefined && residual > IMPLAUSIBLE_RESIDUAL) {
    const k = FORMATS[file.format].keypoints;
    const better = formatsWithKeypoints(k)
      .filter((f) => f.name !== file.format)
      .map((f) => ({ name: f.name, r: skeletonResidual(detections, f.name) ?? Infinity }))
      .filter((c) => c.r < IMPLAUSIBLE_RESIDUAL)
      .sort((a, b) => a.r - b.r)[0];
    warnings.push(
      `the keypoints do not look like a ${file.format} skeleton (a mean skeleton fits them ${residual.toFixed(2)} m off, a right joint order about 0.1 m): ` +
        (better
          ? `they fit ${better.name} (${better.r.toFixed(2)} m): pass --format ${better.name}?`
          : 'wrong --format or joint order?'),
    );
  }
  return warnings;
}

const round = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000);
