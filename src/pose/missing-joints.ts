import { InputError } from '../errors.js';
import { keypointFormat, toH36m } from './formats.js';
import { MAX_OUTSIDE_IMAGE, nearImage } from './input.js';
import type { Detection } from './keypoint-file.js';
import { NUM_JOINTS } from './skeleton.js';
import { JOINT_NEIGHBOURS, fitSkeleton, templatePoint } from './skeleton-fit.js';

/*
 * Missing joints. Detectors mark a keypoint they did not find as (0, 0, 0) (COCO results,
 * OpenPose, MMPose), with score 0, or NaN; the readers store all of them as position NaN,
 * confidence 0. Left at (0, 0) such a joint drags the whole pose (the lifter sees every joint:
 * knees and ankles at the image corner put the ankles more than a metre off). So a missing joint
 * gets confidence 0 (the widest 2D prior, docs/formats.md) and a position that cannot drag the
 * pose: the mean skeleton (skeleton-fit.ts) is fitted to the detected joints and the missing
 * joint placed where the fitted skeleton has it, shifted by how far the nearest detected joints
 * along the bones are from theirs (a missing knee hangs below its detected hip as the mean
 * skeleton's does). The model never sees (0, 0).
 */

/** Keypoints mapped to the 17 Human3.6M joints, missing ones filled in. */
export interface PreparedKeypoints {
  /** [N, 17, 2] pixels, no NaN. */
  keypoints: Float32Array;
  /** [N, 17] in [0, 1]; 0 for every filled-in joint. */
  confidence: Float32Array;
  /** [N, 17]: 1 where the joint was missing and filled in. */
  missing: Uint8Array;
}

/**
 * Maps keypoints of `format` to H36M joints and fills in the missing ones. A source keypoint is
 * missing when its position is NaN or its confidence is 0 or below `minScore`; an H36M joint made
 * from a missing keypoint is missing. `imageSize` places a pose with fewer than two detected joints
 * (the mean skeleton at the image centre, half the image high, or hanging from its one joint).
 */
export function fillMissingJoints(
  formatName: string,
  poses: number,
  keypoints: Float32Array,
  confidence: Float32Array | undefined,
  imageSize: readonly [number, number],
  minScore = 0,
): PreparedKeypoints {
  const format = keypointFormat(formatName);
  const K = format.keypoints;
  if (keypoints.length !== poses * K * 2)
    throw new InputError(`keypoints has ${keypoints.length} values, expected ${poses * K * 2}`);
  if (confidence && confidence.length !== poses * K)
    throw new InputError(`confidence has ${confidence.length} values, expected ${poses * K}`);
  const conf = new Float32Array(poses * K);
  const kp = Float32Array.from(keypoints);
  for (let i = 0; i < poses * K; i++) {
    const c = confidence ? confidence[i] : 1;
    const missing = Number.isNaN(kp[2 * i]) || Number.isNaN(kp[2 * i + 1]) || !(c > 0) || c < minScore;
    conf[i] = missing ? 0 : c;
    if (missing) kp[2 * i] = kp[2 * i + 1] = NaN;
  }
  const mapped = toH36m(format, poses, kp, conf);
  const out = mapped.keypoints,
    outConf = mapped.confidence!;
  const missing = new Uint8Array(poses * NUM_JOINTS);
  for (let n = 0; n < poses; n++) {
    const p = out.subarray(n * NUM_JOINTS * 2, (n + 1) * NUM_JOINTS * 2);
    const c = outConf.subarray(n * NUM_JOINTS, (n + 1) * NUM_JOINTS);
    const m = missing.subarray(n * NUM_JOINTS, (n + 1) * NUM_JOINTS);
    for (let j = 0; j < NUM_JOINTS; j++) {
      if (Number.isNaN(p[2 * j]) || Number.isNaN(p[2 * j + 1]) || !(c[j] > 0)) {
        m[j] = 1;
        c[j] = 0;
      }
    }
    if (m.includes(1)) fillPose(p, m, imageSize);
  }
  return { keypoints: out, confidence: outConf, missing };
}

/**
 * The detection with each keypoint that lies more than MAX_OUTSIDE_IMAGE image sizes outside the
 * image marked missing (NaN, confidence 0), and how many were: no detector finds a joint there, the
 * library refuses such input (src/pose/input.ts), and one garbage value must not stop a whole file.
 */
export function markFarKeypoints(
  d: Detection,
  imageSize: readonly [number, number],
): { detection: Detection; far: number } {
  const [w, h] = imageSize;
  let far = 0,
    keypoints = d.keypoints,
    confidence = d.confidence;
  for (let k = 0; k < d.confidence.length; k++) {
    const x = d.keypoints[2 * k],
      y = d.keypoints[2 * k + 1];
    if (Number.isNaN(x) || Number.isNaN(y) || nearImage(x, y, w, h)) continue;
    if (far++ === 0) {
      keypoints = Float32Array.from(keypoints);
      confidence = Float32Array.from(confidence);
    }
    keypoints[2 * k] = keypoints[2 * k + 1] = NaN;
    confidence[k] = 0;
  }
  return { detection: far ? { ...d, keypoints, confidence } : d, far };
}

/** Fills the joints of one pose [17, 2] where `missing` is 1. */
function fillPose(p: Float32Array, missing: Uint8Array, imageSize: readonly [number, number]): void {
  const weights = Array.from(missing, (m) => (m ? 0 : 1));
  const fit = fitSkeleton(p, weights) ?? fallbackFit(imageSize);
  // Residual of each detected joint from the fitted skeleton.
  const rx = new Float64Array(NUM_JOINTS),
    ry = new Float64Array(NUM_JOINTS);
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (missing[j]) continue;
    const [tx, ty] = templatePoint(fit, j);
    rx[j] = p[2 * j] - tx;
    ry[j] = p[2 * j + 1] - ty;
  }
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (!missing[j]) continue;
    const near = nearestDetected(j, missing);
    const [tx, ty] = templatePoint(fit, j);
    let dx = 0,
      dy = 0;
    for (const k of near) {
      dx += rx[k] / near.length;
      dy += ry[k] / near.length;
    }
    p[2 * j] = tx + dx;
    p[2 * j + 1] = ty + dy;
  }
}

/** The detected joints fewest bones away from joint j (all at that distance); none when nothing is detected. */
function nearestDetected(j: number, missing: Uint8Array): number[] {
  const seen = new Set([j]);
  let ring = [j];
  while (ring.length) {
    const next: number[] = [];
    for (const a of ring)
      for (const b of JOINT_NEIGHBOURS[a])
        if (!seen.has(b)) {
          seen.add(b);
          next.push(b);
        }
    const found = next.filter((b) => !missing[b]);
    if (found.length) return found;
    ring = next;
  }
  return [];
}

/** With fewer than two detected joints: the front view, half the image high, centred on the image (its residual then moves it onto the one detected joint). */
function fallbackFit([w, h]: readonly [number, number]) {
  const scale = h / 2 / 1.7;
  // Template y spans -1.68 (head) .. -0.09 (ankles): centre it at the image centre.
  return { view: 0, a: scale, b: 0, tx: w / 2, ty: h / 2 + 0.9 * scale, residual: 0 };
}
