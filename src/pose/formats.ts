import { InputError } from '../errors.js';
import { NUM_JOINTS } from './skeleton.js';

/**
 * Keypoint layouts of common 2D detectors and how each becomes the 17 Human3.6M joints.
 * A joint is either taken from one source keypoint or is the mean of several; its confidence is
 * then the minimum of theirs (a derived joint is no surer than its least sure source).
 */
export interface KeypointFormat {
  name: string;
  keypoints: number;
  /** For each H36M joint, the source keypoints averaged to make it. */
  sources: ReadonlyArray<readonly number[]>;
}

/** COCO order: 0 nose, 1-2 eyes (l, r), 3-4 ears, 5-6 shoulders, 7-8 elbows, 9-10 wrists, 11-12 hips, 13-14 knees, 15-16 ankles. */
const COCO = { nose: 0, lEye: 1, rEye: 2, lEar: 3, rEar: 4, lSho: 5, rSho: 6, lElb: 7, rElb: 8, lWri: 9, rWri: 10, lHip: 11, rHip: 12, lKnee: 13, rKnee: 14, lAnk: 15, rAnk: 16 };

export const FORMATS: Record<string, KeypointFormat> = {
  h36m17: { name: 'h36m17', keypoints: 17, sources: Array.from({ length: NUM_JOINTS }, (_, j) => [j]) },
  coco17: {
    name: 'coco17', keypoints: 17,
    sources: [
      [COCO.lHip, COCO.rHip], // pelvis: midpoint of the hips
      [COCO.rHip], [COCO.rKnee], [COCO.rAnk],
      [COCO.lHip], [COCO.lKnee], [COCO.lAnk],
      [COCO.lHip, COCO.rHip, COCO.lSho, COCO.rSho], // spine: midpoint of pelvis and thorax
      [COCO.lSho, COCO.rSho], // thorax: midpoint of the shoulders
      [COCO.nose], // neck/nose
      [COCO.lEar, COCO.rEar], // head: midpoint of the ears (COCO has no head top)
      [COCO.lSho], [COCO.lElb], [COCO.lWri],
      [COCO.rSho], [COCO.rElb], [COCO.rWri],
    ],
  },
};

export type FormatName = 'h36m17' | 'coco17';

export function keypointFormat(name: string): KeypointFormat {
  const f = Object.prototype.hasOwnProperty.call(FORMATS, name) ? FORMATS[name] : undefined;
  if (!f) throw new InputError(`unknown keypoint format "${name}" (known: ${Object.keys(FORMATS).join(', ')})`);
  return f;
}

/** Maps keypoints [N, K, 2] (+ confidence [N, K]) of a format to [N, 17, 2] (+ [N, 17]). */
export function toH36m(format: KeypointFormat, poses: number, keypoints: Float32Array, confidence?: Float32Array): { keypoints: Float32Array; confidence?: Float32Array } {
  const out = new Float32Array(poses * NUM_JOINTS * 2);
  const conf = confidence ? new Float32Array(poses * NUM_JOINTS) : undefined;
  for (let n = 0; n < poses; n++) {
    for (let j = 0; j < NUM_JOINTS; j++) {
      const src = format.sources[j];
      let x = 0, y = 0, c = Infinity;
      for (const s of src) {
        x += keypoints[(n * format.keypoints + s) * 2];
        y += keypoints[(n * format.keypoints + s) * 2 + 1];
        if (confidence) c = Math.min(c, confidence[n * format.keypoints + s]);
      }
      out[(n * NUM_JOINTS + j) * 2] = x / src.length;
      out[(n * NUM_JOINTS + j) * 2 + 1] = y / src.length;
      if (conf) conf[n * NUM_JOINTS + j] = c;
    }
  }
  return { keypoints: out, confidence: conf };
}
