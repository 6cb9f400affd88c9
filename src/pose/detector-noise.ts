import { NUM_JOINTS } from './skeleton.js';
import { sigmaFromConfidence } from './input.js';
import type { Rng } from './rng.js';

/**
 * The 2D-detector error model of docs/camera-model.md: what a real keypoint detector does to
 * exact projections (per-joint Gaussian error scaled by the person's size, rare gross outliers,
 * and a confidence that tracks the error), plus the default 2D Gaussian derived from a
 * confidence (docs/formats.md).
 */

/** The 17 Human3.6M joints (src/pose/skeleton.ts). */
export const JOINTS = NUM_JOINTS;

/**
 * Base error std as a fraction of the person's pixel height, per H3.6M joint: torso and head
 * 0.008, elbows and knees 0.012, wrists and ankles 0.018 (detectors are worst on extremities).
 */
export const BASE_STD_FRACTION: readonly number[] = [
  0.008, // 0 pelvis
  0.008,
  0.012,
  0.018, // 1-3 right hip, knee, ankle
  0.008,
  0.012,
  0.018, // 4-6 left hip, knee, ankle
  0.008,
  0.008,
  0.008,
  0.008, // 7-10 spine, thorax, neck/nose, head
  0.008,
  0.012,
  0.018, // 11-13 left shoulder, elbow, wrist
  0.008,
  0.012,
  0.018, // 14-16 right shoulder, elbow, wrist
];

export const NOISE_MODEL = {
  exampleLogStd: 0.3, // one lognormal factor per example
  jointLogStd: 0.2, // one per joint
  outlierProbability: 0.03,
  outlierRadius: 0.15, // times the person scale
  confidenceScale: 0.03, // c = exp(-sigma / (0.03 s)) + ...
  confidenceNoiseStd: 0.05,
  confidenceRange: [0.05, 1] as const,
  outlierConfidence: [0.05, 0.4] as const,
} as const;

export interface DetectorOutput {
  /** 17 * 2 pixels. */
  keypoints: Float64Array;
  /** 17, in [0.05, 1]. */
  confidence: Float64Array;
  /** 17, the Gaussian error std each joint was drawn with, pixels (also for outliers). */
  sigma: Float64Array;
  /** 17, 1 where the joint was replaced by an outlier. */
  outlier: Uint8Array;
  /** Height in pixels of the bounding box of the exact projections. */
  personScale: number;
}

/**
 * Applies the detector error to 17 exact projections (pixels).
 * Draw order (for other implementations to match a stream): the example factor; then per
 * joint in order: the joint factor, the outlier test, then either the disc displacement
 * (radius, angle) and an outlier confidence, or the x and y errors and the confidence noise.
 */
export function detectorNoise(rng: Rng, projected: ArrayLike<number>): DetectorOutput {
  const m = NOISE_MODEL;
  let vMin = Infinity,
    vMax = -Infinity;
  for (let j = 0; j < JOINTS; j++) {
    vMin = Math.min(vMin, projected[j * 2 + 1]);
    vMax = Math.max(vMax, projected[j * 2 + 1]);
  }
  // Guarded like train/camera.py: a person of zero pixel height would make every confidence NaN.
  const s = Math.max(vMax - vMin, 1e-3);
  const out: DetectorOutput = {
    keypoints: new Float64Array(JOINTS * 2),
    confidence: new Float64Array(JOINTS),
    sigma: new Float64Array(JOINTS),
    outlier: new Uint8Array(JOINTS),
    personScale: s,
  };
  const exampleFactor = Math.exp(rng.normal(0, m.exampleLogStd));
  for (let j = 0; j < JOINTS; j++) {
    const sigma = BASE_STD_FRACTION[j] * s * exampleFactor * Math.exp(rng.normal(0, m.jointLogStd));
    out.sigma[j] = sigma;
    let dx: number, dy: number;
    if (rng.uniform() < m.outlierProbability) {
      // Uniform over the disc: radius ~ R sqrt(U) keeps the density flat in area.
      const r = m.outlierRadius * s * Math.sqrt(rng.uniform());
      const angle = 2 * Math.PI * rng.uniform();
      dx = r * Math.cos(angle);
      dy = r * Math.sin(angle);
      out.outlier[j] = 1;
      out.confidence[j] = rng.uniformIn(m.outlierConfidence[0], m.outlierConfidence[1]);
    } else {
      dx = rng.normal(0, sigma);
      dy = rng.normal(0, sigma);
      const c = Math.exp(-sigma / (m.confidenceScale * s)) + rng.normal(0, m.confidenceNoiseStd);
      out.confidence[j] = Math.min(m.confidenceRange[1], Math.max(m.confidenceRange[0], c));
    }
    out.keypoints[j * 2] = projected[j * 2] + dx;
    out.keypoints[j * 2 + 1] = projected[j * 2 + 1] + dy;
  }
  return out;
}

/**
 * The default one-component 2D Gaussian of a keypoint with confidence `c` in an image `width`
 * pixels wide: std `w / 2 * sigmaFromConfidence(c)` pixels on both axes (docs/formats.md).
 * Without a confidence, pass c = 1.
 */
export function defaultKeypointStd(confidence: number, width: number): number {
  return (width / 2) * sigmaFromConfidence(confidence);
}
