"""The 17-joint Human3.6M skeleton (model-spec §1)."""
import numpy as np

NUM_JOINTS = 17

JOINT_NAMES = [
    "hip", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
    "spine", "thorax", "neck", "head",
    "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
]

BONES = [
    (0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8),
    (8, 9), (9, 10), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15), (15, 16),
]

LEFT = [4, 5, 6, 11, 12, 13]
RIGHT = [1, 2, 3, 14, 15, 16]


def flip_permutation():
    """Index array p such that pose[:, p] swaps left and right joints."""
    p = np.arange(NUM_JOINTS)
    p[LEFT] = RIGHT
    p[RIGHT] = LEFT
    return p


def adjacency():
    """Row-normalised adjacency with self loops, float64 [17, 17]."""
    a = np.eye(NUM_JOINTS)
    for i, j in BONES:
        a[i, j] = 1.0
        a[j, i] = 1.0
    return a / a.sum(axis=1, keepdims=True)


def chebyshev_terms():
    """T0 = I, T1 = L, T2 = 2 L@L - I with L = I - A; float64 [3, 17, 17]."""
    eye = np.eye(NUM_JOINTS)
    lap = eye - adjacency()
    return np.stack([eye, lap, 2.0 * lap @ lap - eye])


# A standing pose in the world frame (metres, +Y up, facing +Z; the person's right is -X).
# Used for synthetic data and fixtures only.
TEMPLATE = np.array([
    [0.00, 0.95, 0.00], [-0.12, 0.94, 0.00], [-0.13, 0.52, 0.02], [-0.13, 0.09, -0.02],
    [0.12, 0.94, 0.00], [0.13, 0.52, 0.02], [0.13, 0.09, -0.02],
    [0.00, 1.18, -0.01], [0.00, 1.42, 0.00], [0.00, 1.53, 0.06], [0.00, 1.66, 0.01],
    [0.17, 1.40, 0.00], [0.21, 1.12, -0.02], [0.23, 0.88, 0.04],
    [-0.17, 1.40, 0.00], [-0.21, 1.12, -0.02], [-0.23, 0.88, 0.04],
])
