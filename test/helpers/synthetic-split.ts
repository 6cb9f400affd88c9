import { assembleSplit } from '../../src/mocap/prepared-file.js';
import { STANDING_POSE } from '../pose/standing-pose.js';

/** The standing person turned by `yaw` about the vertical through its pelvis, arms swinging with `phase`. */
export function posed(yaw: number, phase: number): Float32Array {
  const px = STANDING_POSE[0],
    pz = STANDING_POSE[2];
  const out = new Float32Array(51);
  for (let j = 0; j < 17; j++) {
    let x = STANDING_POSE[j * 3] - px,
      z = STANDING_POSE[j * 3 + 2] - pz;
    if (j === 13 || j === 16) z += 0.2 * Math.sin(phase + j); // wrists swing
    out[j * 3] = Math.cos(yaw) * x + Math.sin(yaw) * z + px;
    out[j * 3 + 1] = STANDING_POSE[j * 3 + 1];
    out[j * 3 + 2] = -Math.sin(yaw) * x + Math.cos(yaw) * z + pz;
  }
  return out;
}

/** A prepared split with one short clip per source folder. */
export function syntheticSplit(frames: number, yawOffset: number) {
  const clip = (source: string, k: number) => {
    const poses = new Float32Array(frames * 51);
    for (let f = 0; f < frames; f++) poses.set(posed(yawOffset + k + f * 0.3, f * 0.2), f * 51);
    return { info: { name: `${source}/s${k}/clip`, source, subject: `s${k}` }, poses };
  };
  return assembleSplit([clip('cmu-bvh', 0), clip('cmu-asfamc', 1), clip('hdm05-asfamc', 2)]);
}
