"""Virtual cameras and the 2D-detector error model (docs/camera-model.md), vectorised numpy.

`make_examples(poses_world, rng)` turns world-frame poses [B,17,3] (metres, +Y up) into model
examples: noisy keypoints (pixels and normalised uv), confidence, default-mixture std (uv units),
camera-frame root-relative 3D target.
"""
import numpy as np

from diffpose.skeleton import flip_permutation

IMAGE_SIZES = np.array([[640, 480], [1280, 720], [1920, 1080], [1000, 1000], [720, 1280]], dtype=np.float64)

# per-joint base std factor k_j (fraction of the person's pixel height)
K_JOINT = np.array([0.008, 0.008, 0.012, 0.018, 0.008, 0.012, 0.018, 0.008, 0.008, 0.008, 0.008,
                    0.008, 0.012, 0.018, 0.008, 0.012, 0.018])

_FLIP = flip_permutation()


def _normalize(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _draw_cameras(rng, n, pelvis_h):
    """Extrinsics + intrinsics for n poses. Returns dict of arrays."""
    yaw = rng.uniform(0, 2 * np.pi, n)
    dist = rng.uniform(2.5, 7.0, n)
    height = rng.uniform(0.4, 2.4, n)
    look_y = pelvis_h + rng.normal(0, 0.15, n)
    roll = rng.normal(0, np.deg2rad(2.0), n)
    size = IMAGE_SIZES[rng.integers(0, len(IMAGE_SIZES), n)]
    fov = np.deg2rad(rng.uniform(40, 80, n))
    w, h = size[:, 0], size[:, 1]
    f = w / 2 / np.tan(fov / 2)
    cx = w / 2 + rng.normal(0, 0.01, n) * w
    cy = h / 2 + rng.normal(0, 0.01, n) * w
    return dict(yaw=yaw, dist=dist, height=height, look_y=look_y, roll=roll,
                w=w, h=h, f=f, cx=cx, cy=cy)


def _per_example(cam, k, like):
    """cam[k] [n] reshaped to broadcast against an array `like` of shape [n, ..., 17]."""
    return cam[k].reshape((-1,) + (1,) * (like.ndim - 1))


def _world_to_camera(p, cam):
    """p [n,(L,)17,3] horizontally centred world poses -> camera frame (OpenCV), same shape.
    With a frame axis L, one camera per example (window) serves all its frames."""
    n = p.shape[0]
    centre = np.stack([cam["dist"] * np.sin(cam["yaw"]), cam["height"], cam["dist"] * np.cos(cam["yaw"])], -1)
    target = np.stack([np.zeros(n), cam["look_y"], np.zeros(n)], -1)
    fwd = _normalize(target - centre)
    up = np.array([0.0, 1.0, 0.0])
    right = _normalize(np.cross(fwd, up))
    down = np.cross(fwd, right)
    rot = np.stack([right, down, fwd], 1)  # rows: camera axes in world coordinates
    cr, sr = np.cos(cam["roll"]), np.sin(cam["roll"])
    roll = np.zeros((n, 3, 3))
    roll[:, 0, 0], roll[:, 0, 1], roll[:, 1, 0], roll[:, 1, 1], roll[:, 2, 2] = cr, -sr, sr, cr, 1.0
    rot = roll @ rot
    centre = centre.reshape((n,) + (1,) * (p.ndim - 2) + (3,))
    return np.einsum("nij,n...kj->n...ki", rot, p - centre)


def _project(pc, cam):
    f = _per_example(cam, "f", pc[..., 0])
    u = f * pc[..., 0] / pc[..., 2] + _per_example(cam, "cx", pc[..., 0])
    v = f * pc[..., 1] / pc[..., 2] + _per_example(cam, "cy", pc[..., 0])
    return np.stack([u, v], -1)


def _valid(pc, px, cam):
    w, h = _per_example(cam, "w", pc[..., 0]), _per_example(cam, "h", pc[..., 0])
    m = 0.02 * w
    ok = (pc[..., 2] >= 0.5) & (px[..., 0] >= m) & (px[..., 0] <= w - m) & \
         (px[..., 1] >= m) & (px[..., 1] <= h - m)
    return ok.reshape(ok.shape[0], -1).all(1)


def place_cameras(poses_world, rng, max_tries=50, ref=None):
    """Camera-model steps 1-5. Returns (camera-frame poses [n,17,3], cam dict).

    Windows: poses_world [n,L,17,3] gets one camera per window (the subject moves, the camera
    does not), placed around frame `ref` (default L // 2) and valid only if every frame is."""
    p = np.array(poses_world, dtype=np.float64)
    n = p.shape[0]
    r = p[:, 0] if p.ndim == 3 else p[:, p.shape[1] // 2 if ref is None else ref, 0]
    r = r.reshape((n,) + (1,) * (p.ndim - 2) + (3,)).copy()
    p[..., 0] -= r[..., 0]
    p[..., 2] -= r[..., 2]
    pelvis_h = r.reshape(n, 3)[:, 1]
    cam = _draw_cameras(rng, n, pelvis_h)
    pc = _world_to_camera(p, cam)
    ok = _valid(pc, _project(pc, cam), cam)
    for _ in range(max_tries - 1):
        bad = np.nonzero(~ok)[0]
        if bad.size == 0:
            break
        new = _draw_cameras(rng, bad.size, pelvis_h[bad])
        for k in cam:
            cam[k][bad] = new[k]
        pcb = _world_to_camera(p[bad], new)
        pc[bad] = pcb
        ok[bad] = _valid(pcb, _project(pcb, new), new)
    bad = np.nonzero(~ok)[0]
    if bad.size:  # take the last draw with the distance doubled
        cam["dist"][bad] *= 2.0
        sub = {k: v[bad] for k, v in cam.items()}
        pc[bad] = _world_to_camera(p[bad], sub)
    return pc, cam


def detector_noise(px, rng):
    """px [n,17,2] clean projections (pixels) -> (keypoints, confidence [n,17], outlier [n,17] bool)."""
    n = px.shape[0]
    s = px[..., 1].max(1) - px[..., 1].min(1)  # person height in pixels
    s = np.maximum(s, 1e-3)
    sigma = K_JOINT[None, :] * s[:, None] * np.exp(rng.normal(0, 0.3, (n, 1))) * \
        np.exp(rng.normal(0, 0.2, (n, 17)))
    kp = px + rng.normal(0, 1, (n, 17, 2)) * sigma[..., None]
    outlier = rng.random((n, 17)) < 0.03
    r = 0.15 * s[:, None] * np.sqrt(rng.random((n, 17)))
    ang = rng.uniform(0, 2 * np.pi, (n, 17))
    disp = np.stack([r * np.cos(ang), r * np.sin(ang)], -1)
    kp = np.where(outlier[..., None], px + disp, kp)
    conf = np.clip(np.exp(-sigma / (0.03 * s[:, None])) + rng.normal(0, 0.05, (n, 17)), 0.05, 1.0)
    conf = np.where(outlier, rng.uniform(0.05, 0.4, (n, 17)), conf)
    return kp, conf, outlier


def normalize_uv(px, w, h):
    """uv = p / w * 2 - [1, h / w]."""
    w = np.asarray(w, dtype=np.float64).reshape(-1, 1)
    h = np.asarray(h, dtype=np.float64).reshape(-1, 1)
    return np.stack([px[..., 0] / w * 2 - 1, px[..., 1] / w * 2 - h / w], -1)


def default_sigma_uv(conf):
    """formats.md: one component at the keypoint, std 0.001 + 0.015 (1 - c) + 0.075 (1 - c)^6 in uv units
    (calibrated on the simulated detector: median |error| / std = 0.6-0.85 per axis in each confidence band)."""
    miss = 1.0 - conf
    return 0.001 + 0.015 * miss + 0.075 * miss ** 6


def make_examples(poses_world, rng, mirror_prob=0.0):
    """World poses [n,17,3] -> dict of float32 arrays:
    uv [n,17,2] (noisy keypoints, normalised), uv_clean [n,17,2], sigma [n,17] (uv units),
    conf [n,17], outlier [n,17], xyz [n,17,3] (camera frame, root-relative, metres).

    mirror_prob: probability of a left/right mirror (x -> -x in the camera frame, so
    u -> 2 cx - u, and left/right joints swapped).
    """
    pc, cam = place_cameras(poses_world, rng)
    if mirror_prob > 0:
        m = rng.random(pc.shape[0]) < mirror_prob
        if m.any():
            pm = pc[m][:, _FLIP]
            pm[..., 0] *= -1.0
            pc[m] = pm
    px = _project(pc, cam)
    kp, conf, outlier = detector_noise(px, rng)
    xyz = pc - pc[:, :1]
    return dict(
        uv=normalize_uv(kp, cam["w"], cam["h"]).astype(np.float32),
        uv_clean=normalize_uv(px, cam["w"], cam["h"]).astype(np.float32),
        sigma=default_sigma_uv(conf).astype(np.float32),
        conf=conf.astype(np.float32), outlier=outlier,
        xyz=xyz.astype(np.float32))
