/** The 17 Human3.6M joints in VideoPose3D order; every pose array in the engine uses it. */
export const H36M_JOINTS = [
  'pelvis',
  'right_hip',
  'right_knee',
  'right_ankle',
  'left_hip',
  'left_knee',
  'left_ankle',
  'spine',
  'thorax',
  'neck_nose',
  'head',
  'left_shoulder',
  'left_elbow',
  'left_wrist',
  'right_shoulder',
  'right_elbow',
  'right_wrist',
] as const;

export const NUM_JOINTS = 17;

/** Parent-child pairs (16 bones). */
export const H36M_BONES: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [1, 2],
  [2, 3],
  [0, 4],
  [4, 5],
  [5, 6],
  [0, 7],
  [7, 8],
  [8, 9],
  [9, 10],
  [8, 11],
  [11, 12],
  [12, 13],
  [8, 14],
  [14, 15],
  [15, 16],
];

/** Left/right partner of every joint (itself for the centre line), for mirroring. */
export const H36M_MIRROR = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13] as const;
