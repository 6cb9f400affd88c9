/**
 * Confidences [n, 17] that put joints in every band of [0.5, 0.8], the edges exactly among them;
 * even poses with a sure pelvis and hips (each joint then in its own confidence's band), odd poses
 * with whatever the pattern gives them (their joints in the band of the lowest of theirs and the root's).
 */
export function bandedConfidence(n: number): Float32Array {
  return new Float32Array(n * 17).map((_, i) =>
    Math.floor(i / 17) % 2 === 0 && [0, 1, 4].includes(i % 17) ? 1 : [0, 0.3, 0.5, 0.65, 0.8, 0.9, 1][i % 7],
  );
}

/** The band of joint i under [0.5, 0.8]: that of the lowest confidence of the joint, the pelvis and the hips. */
export function expectedBand(confidence: ArrayLike<number>, i: number): number {
  const pose = i - (i % 17);
  const low = Math.min(confidence[i], confidence[pose], confidence[pose + 1], confidence[pose + 4]);
  return low >= 0.8 ? 2 : low >= 0.5 ? 1 : 0;
}
