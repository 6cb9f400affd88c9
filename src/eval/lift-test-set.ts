import type { DiffPose, LiftResult } from '../diffpose.js';
import type { LiftOptions } from '../lift-options.js';
import type { Examples } from '../mocap/test-examples.js';

/** Example indices per image size ("WxH"), in order: one lift call takes one image size. */
export function byImageSize(ex: Examples): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < ex.count; i++) {
    const key = `${ex.imageSize[2 * i]}x${ex.imageSize[2 * i + 1]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  return groups;
}

function gather(a: Float32Array, idx: number[], width: number): Float32Array {
  const out = new Float32Array(idx.length * width);
  idx.forEach((k, i) => out.set(a.subarray(k * width, (k + 1) * width), i * width));
  return out;
}

export interface TestSetLift {
  /** [N, 17, 3] metres. */
  poses: Float32Array;
  /** [N, 17] metres. */
  spread: Float32Array;
  /** [N, H, 17, 3] when samples were asked for. */
  samples?: Float32Array;
  /** [N, 17] metres, when the weights are calibrated. */
  radius90?: Float32Array;
  /** [N, 17] metres, when the lifter predicts its error (LiftResult.sigma). */
  sigma?: Float32Array;
}

/** Lifts every example through `model.lift` (with its detector confidences), one call per image size. */
export async function liftTestSet(
  model: DiffPose,
  ex: Examples,
  options: Omit<LiftOptions, 'imageSize' | 'confidence'>,
): Promise<TestSetLift> {
  const H = options.hypotheses ?? 1;
  const poses = new Float32Array(ex.count * 51);
  const spread = new Float32Array(ex.count * 17);
  const samples = options.samples ? new Float32Array(ex.count * H * 51) : undefined;
  const radius90 = model.weights.calibration ? new Float32Array(ex.count * 17) : undefined;
  const sigma = model.weights.config.lifter.coordsOut === 4 ? new Float32Array(ex.count * 17) : undefined;
  for (const idx of byImageSize(ex).values()) {
    const k = idx[0];
    const r: LiftResult = await model.lift(gather(ex.keypoints, idx, 34), {
      ...options,
      imageSize: [ex.imageSize[2 * k], ex.imageSize[2 * k + 1]],
      confidence: gather(ex.confidence, idx, 17),
    });
    idx.forEach((e, i) => {
      poses.set(r.poses.subarray(i * 51, (i + 1) * 51), e * 51);
      spread.set(r.spread.subarray(i * 17, (i + 1) * 17), e * 17);
      if (samples && r.samples) samples.set(r.samples.subarray(i * H * 51, (i + 1) * H * 51), e * H * 51);
      if (radius90 && r.radius90) radius90.set(r.radius90.subarray(i * 17, (i + 1) * 17), e * 17);
      if (sigma && r.sigma) sigma.set(r.sigma.subarray(i * 17, (i + 1) * 17), e * 17);
    });
  }
  return { poses, spread, samples, radius90, sigma };
}

/** The same grouping for a function of (keypoints, imageSize, confidence) -> poses, e.g. the lifter alone. */
export function mapTestSet(
  ex: Examples,
  fn: (keypoints: Float32Array, imageSize: readonly [number, number], confidence: Float32Array) => Float32Array,
): Float32Array {
  const poses = new Float32Array(ex.count * 51);
  for (const idx of byImageSize(ex).values()) {
    const k = idx[0];
    const out = fn(
      gather(ex.keypoints, idx, 34),
      [ex.imageSize[2 * k], ex.imageSize[2 * k + 1]],
      gather(ex.confidence, idx, 17),
    );
    idx.forEach((e, i) => poses.set(out.subarray(i * 51, (i + 1) * 51), e * 51));
  }
  return poses;
}
