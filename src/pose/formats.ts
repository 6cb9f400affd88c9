import { InputError } from '../errors.js';
import { NUM_JOINTS } from './skeleton.js';

/**
 * Keypoint layouts of common 2D detectors and how each becomes the 17 Human3.6M joints.
 *
 * The mapping follows how the TRAINING data defines the joints (src/mocap/h36m-mapping.ts), not
 * the names: pelvis (0) = mid-hips, thorax (8) = mid-shoulders, spine (7) = halfway between,
 * neck/nose (9) = the base of the skull (about 13 cm above the thorax), head (10) = a point
 * about 9 cm further up the head's axis (the ASF head bone's end), which is NOT the nose and
 * NOT the crown of the head.
 *
 * No detector marks those two head points, so they are placed on the line from the thorax T
 * through the mid-ears E (the ear canals sit about 2 cm above the skull base, on the head's
 * axis when seen from any side):
 *   neck/nose (9) = 0.85 E + 0.15 T   (skull base: just below the ears)
 *   head     (10) = 1.45 E - 0.45 T   (extrapolated about 7 cm above the ears)
 * With the training skeletons' median thorax-to-skull-base 13.8 cm and skull-base-to-head
 * 8.6 cm, and ears 2 cm above the skull base, E - T is about 15.8 cm, so 9 is at
 * 13.8 / 15.8 = 0.87 and 10 at 22.4 / 15.8 = 1.42 of the way from T to E; the weights above are
 * those rounded and were checked against projected training poses with synthetic ears
 * (scripts/synthetic-face.ts; test/pose/formats.test.ts holds the error).
 *
 * A joint is a weighted sum of source keypoints (weights add up to 1; a negative weight
 * extrapolates). Its confidence is the minimum of its sources' (a derived joint is no surer
 * than its least sure source).
 */
export type FormatName = 'h36m17' | 'coco17' | 'halpe26' | 'wholebody133' | 'mediapipe33' | 'openpose25' | 'openpose18';

export interface KeypointFormat {
  name: FormatName;
  keypoints: number;
  /** For each H36M joint, the [source keypoint, weight] pairs summed to make it. */
  sources: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
}

/** Weights of the ears-and-shoulders head rule above (mid-ears, mid-shoulders). */
export const HEAD_RULE = {
  skullBase: { ears: 0.85, shoulders: 0.15 },
  headTop: { ears: 1.45, shoulders: -0.45 },
} as const;

const one = (k: number): Array<[number, number]> => [[k, 1]];
const mid = (a: number, b: number): Array<[number, number]> => [
  [a, 0.5],
  [b, 0.5],
];

/** The 17 H36M joints from a body layout's named keypoints and the head rule. */
function h36mFrom(k: {
  lHip: number;
  rHip: number;
  lKnee: number;
  rKnee: number;
  lAnk: number;
  rAnk: number;
  lSho: number;
  rSho: number;
  lElb: number;
  rElb: number;
  lWri: number;
  rWri: number;
  lEar: number;
  rEar: number;
}): Array<Array<[number, number]>> {
  const ears = (w: number): Array<[number, number]> => [
    [k.lEar, w / 2],
    [k.rEar, w / 2],
  ];
  const shoulders = (w: number): Array<[number, number]> => [
    [k.lSho, w / 2],
    [k.rSho, w / 2],
  ];
  return [
    mid(k.lHip, k.rHip), // 0 pelvis: midpoint of the hips
    one(k.rHip),
    one(k.rKnee),
    one(k.rAnk),
    one(k.lHip),
    one(k.lKnee),
    one(k.lAnk),
    [
      [k.lHip, 0.25],
      [k.rHip, 0.25],
      [k.lSho, 0.25],
      [k.rSho, 0.25],
    ], // 7 spine: midpoint of pelvis and thorax
    mid(k.lSho, k.rSho), // 8 thorax: midpoint of the shoulders
    [...ears(HEAD_RULE.skullBase.ears), ...shoulders(HEAD_RULE.skullBase.shoulders)], // 9 skull base
    [...ears(HEAD_RULE.headTop.ears), ...shoulders(HEAD_RULE.headTop.shoulders)], // 10 head
    one(k.lSho),
    one(k.lElb),
    one(k.lWri),
    one(k.rSho),
    one(k.rElb),
    one(k.rWri),
  ];
}

/** COCO: 0 nose, 1-2 eyes (l, r), 3-4 ears, 5-6 shoulders, 7-8 elbows, 9-10 wrists, 11-12 hips, 13-14 knees, 15-16 ankles. */
export const COCO17 = {
  nose: 0,
  lEye: 1,
  rEye: 2,
  lEar: 3,
  rEar: 4,
  lSho: 5,
  rSho: 6,
  lElb: 7,
  rElb: 8,
  lWri: 9,
  rWri: 10,
  lHip: 11,
  rHip: 12,
  lKnee: 13,
  rKnee: 14,
  lAnk: 15,
  rAnk: 16,
} as const;

/**
 * MediaPipe BlazePose, 33 landmarks: 0 nose, 1-3 left eye (inner, centre, outer), 4-6 right eye,
 * 7-8 ears (l, r), 9-10 mouth, 11-12 shoulders, 13-14 elbows, 15-16 wrists, 17-22 pinky/index/
 * thumb, 23-24 hips, 25-26 knees, 27-28 ankles, 29-30 heels, 31-32 foot index. Landmarks must be
 * given in pixels (MediaPipe's normalised x, y times the image width, height), score = visibility.
 * Hands and feet beyond the wrists and ankles are not used: the training skeleton ends there.
 */
export const MEDIAPIPE33 = {
  nose: 0,
  lEar: 7,
  rEar: 8,
  lSho: 11,
  rSho: 12,
  lElb: 13,
  rElb: 14,
  lWri: 15,
  rWri: 16,
  lHip: 23,
  rHip: 24,
  lKnee: 25,
  rKnee: 26,
  lAnk: 27,
  rAnk: 28,
} as const;

/**
 * OpenPose BODY_25: 0 nose, 1 neck, 2-4 right shoulder/elbow/wrist, 5-7 left, 8 mid-hip,
 * 9-11 right hip/knee/ankle, 12-14 left, 15-16 eyes (r, l), 17-18 ears (r, l), 19-24 feet.
 * Its "neck" and "mid-hip" are by definition the midpoints of the shoulders and of the hips;
 * the hips and shoulders themselves are used instead so that a derived joint's confidence is
 * the lower of its two sides', as for the other formats. Missing keypoints (OpenPose writes
 * 0, 0, 0) are filled in by missing-joints.ts with confidence 0 (the widest 2D uncertainty).
 */
export const OPENPOSE25 = {
  nose: 0,
  neck: 1,
  rSho: 2,
  rElb: 3,
  rWri: 4,
  lSho: 5,
  lElb: 6,
  lWri: 7,
  midHip: 8,
  rHip: 9,
  rKnee: 10,
  rAnk: 11,
  lHip: 12,
  lKnee: 13,
  lAnk: 14,
  rEye: 15,
  lEye: 16,
  rEar: 17,
  lEar: 18,
} as const;

/**
 * OpenPose COCO-18 (the older `--model_pose COCO`): 0 nose, 1 neck, 2-4 right shoulder/elbow/wrist,
 * 5-7 left, 8-10 right hip/knee/ankle, 11-13 left, 14-15 eyes (r, l), 16-17 ears (r, l).
 */
export const OPENPOSE18 = {
  nose: 0,
  neck: 1,
  rSho: 2,
  rElb: 3,
  rWri: 4,
  lSho: 5,
  lElb: 6,
  lWri: 7,
  rHip: 8,
  rKnee: 9,
  rAnk: 10,
  lHip: 11,
  lKnee: 12,
  lAnk: 13,
  rEye: 14,
  lEye: 15,
  rEar: 16,
  lEar: 17,
} as const;

export const FORMATS: Record<string, KeypointFormat> = {
  h36m17: { name: 'h36m17', keypoints: 17, sources: Array.from({ length: NUM_JOINTS }, (_, j) => one(j)) },
  coco17: { name: 'coco17', keypoints: 17, sources: h36mFrom(COCO17) },
  // Halpe (AlphaPose, RTMPose "body with feet") and COCO-WholeBody (RTMPose/DWPose whole-body)
  // start with COCO's 17 body keypoints; their head top, neck, hip centre, feet, face and hands
  // are not used — the training skeleton's head point is not the crown (see above).
  halpe26: { name: 'halpe26', keypoints: 26, sources: h36mFrom(COCO17) },
  wholebody133: { name: 'wholebody133', keypoints: 133, sources: h36mFrom(COCO17) },
  mediapipe33: { name: 'mediapipe33', keypoints: 33, sources: h36mFrom(MEDIAPIPE33) },
  openpose25: { name: 'openpose25', keypoints: 25, sources: h36mFrom(OPENPOSE25) },
  openpose18: { name: 'openpose18', keypoints: 18, sources: h36mFrom(OPENPOSE18) },
};

/**
 * The format of COCO-style results (COCO keypoint results, MMPose predictions) with k keypoints per
 * person: COCO's 17, Halpe's 26 or COCO-WholeBody's 133, all in COCO's order for the body.
 */
export function cocoStyleFormat(k: number): KeypointFormat | undefined {
  return [FORMATS.coco17, FORMATS.halpe26, FORMATS.wholebody133].find((f) => f.keypoints === k);
}

/** The formats with k keypoints (17: coco17 and h36m17, told apart by sanity.ts's skeleton fit). */
export function formatsWithKeypoints(k: number): KeypointFormat[] {
  return Object.values(FORMATS).filter((f) => f.keypoints === k);
}

export function keypointFormat(name: string): KeypointFormat {
  const f = Object.prototype.hasOwnProperty.call(FORMATS, name) ? FORMATS[name] : undefined;
  if (!f) throw new InputError(`unknown keypoint format "${name}" (known: ${Object.keys(FORMATS).join(', ')})`);
  return f;
}

/** Maps keypoints [N, K, 2] (+ confidence [N, K]) of a format to [N, 17, 2] (+ [N, 17]). */
export function toH36m(
  format: KeypointFormat,
  poses: number,
  keypoints: Float32Array,
  confidence?: Float32Array,
): { keypoints: Float32Array; confidence?: Float32Array } {
  const out = new Float32Array(poses * NUM_JOINTS * 2);
  const conf = confidence ? new Float32Array(poses * NUM_JOINTS) : undefined;
  const K = format.keypoints;
  for (let n = 0; n < poses; n++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      let x = 0,
        y = 0,
        c = Infinity;
      for (const [s, w] of format.sources[j]) {
        x += w * keypoints[(n * K + s) * 2];
        y += w * keypoints[(n * K + s) * 2 + 1];
        if (confidence) c = Math.min(c, confidence[n * K + s]);
      }
      out[(n * NUM_JOINTS + j) * 2] = x;
      out[(n * NUM_JOINTS + j) * 2 + 1] = y;
      if (conf) conf[n * NUM_JOINTS + j] = c;
    }
  }
  return { keypoints: out, confidence: conf };
}
