/**
 * A hand-made standing person (world frame, metres, +Y up, facing +z, left = +x), off the
 * origin so that centring matters: the H3.6M joints of a 1.75 m adult.
 */
export const STANDING_POSE: number[] = [
  [0, 0.95, 0], // pelvis
  [-0.12, 0.95, 0],
  [-0.12, 0.52, 0.02],
  [-0.12, 0.09, 0], // right hip, knee, ankle
  [0.12, 0.95, 0],
  [0.12, 0.52, 0.02],
  [0.12, 0.09, 0], // left hip, knee, ankle
  [0, 1.18, -0.02],
  [0, 1.42, 0],
  [0, 1.55, 0.03],
  [0, 1.68, 0], // spine, thorax, neck/nose, head
  [0.18, 1.42, 0],
  [0.2, 1.14, 0],
  [0.21, 0.88, 0.02], // left shoulder, elbow, wrist
  [-0.18, 1.42, 0],
  [-0.2, 1.14, 0],
  [-0.21, 0.88, 0.02], // right shoulder, elbow, wrist
].flatMap(([x, y, z]) => [x + 3.2, y, z - 1.7]);
