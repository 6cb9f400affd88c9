/**
 * The pelvis and the hips (Human3.6M order): the joint every output joint is measured from (poses
 * are root-relative) and the two it sits between.
 */
export const ROOT_JOINTS: readonly number[] = [0, 1, 4];
/** Under this 2D confidence a joint counts as not seen (as the joints of a track's jump box: temporal/track-gaps.ts). */
export const ROOT_SEEN_CONFIDENCE = 0.3;

/**
 * Whether pose `n` of Human3.6M-order confidences [N, 17] has its pelvis or a hip unseen (under
 * ROOT_SEEN_CONFIDENCE, or NaN). Such a pose is read from a guessed pelvis: where the picture cuts
 * the hips away (a webcam framing the torso) its upper body's error on the test tracks is about
 * twice that of a pose with the hips in the picture (docs/temporal-model.md §19).
 */
export function rootUnseen(confidence: ArrayLike<number>, n: number): boolean {
  return ROOT_JOINTS.some((j) => !(confidence[n * 17 + j] >= ROOT_SEEN_CONFIDENCE));
}
