"""Simulated detector heatmaps and the per-joint Gaussian-mixture fit, for training.

Mirrors the engine: `simulate_heatmaps` is src/eval/heatmap-sim.ts (the same model and constants,
numpy's random draws) and `fit_heatmaps` is src/model/heatmap-fit.ts / shaders/heatmap-fit.wgsl
(the same start, EM steps, background component, variance floor and flat-map rule), vectorised
over maps with numpy. `heatmap_mixture_uv` turns a batch of detections into the mixtures the
engine would fit from its heatmaps, in the model's uv units, so that training's forward
diffusion sees the mixture variances that inference starts from (train.py --heatmaps K).

Both model a heatmap detector's blob as its belief convolved with its training target (a Gaussian
of std 2 heatmap px): the simulator renders blobs of std sqrt(belief^2 + 2^2), and the fit takes
the target's variance off each component's (floored), so the mixtures are the detector's belief.
"""

import numpy as np

# src/model/heatmap-fit.ts HEATMAP_FIT
FIT = dict(max_components=5, iterations=12, seed_fraction=0.1, variance_init=4.0, variance_floor=0.25,
           background_init=0.1, min_share=1e-6, target_sigma=2.0, belief_floor=0.01)

# src/eval/heatmap-sim.ts HEATMAP_SIM
SIM = dict(width=48, height=64, margin=0.25, sigma=2.0, swap_probability=0.15, swap_ratio=(0.3, 1.0),
           wrong_first=0.4, occluded_below=0.4, occlusion_probability=0.05, occlusion_sigma=(4.0, 8.0),
           floor_fraction=0.01)

# src/pose/detector-noise.ts NOISE_MODEL (train/camera.py detector_noise): c = exp(-std / (0.03 height)),
# confidences in [0.05, 1].
CONFIDENCE_SCALE = 0.03
CONFIDENCE_RANGE = (0.05, 1.0)

# Left/right partner of each Human3.6M joint (-1: on the midline).
LR_PARTNER = np.array([-1, 4, 5, 6, 1, 2, 3, -1, -1, -1, -1, 14, 15, 16, 11, 12, 13])


def person_boxes(kp):
    """kp [n,17,2] pixels -> boxes [n,4] (left, top, right, bottom): bounds + margin, at the maps' aspect."""
    lo, hi = kp.min(1), kp.max(1)
    # Scale-free (training passes uv units): only a degenerate person hits the floor.
    pad = SIM["margin"] * np.maximum((hi - lo).max(1), 1e-6)
    bw = hi[:, 0] - lo[:, 0] + 2 * pad
    bh = hi[:, 1] - lo[:, 1] + 2 * pad
    aspect = SIM["width"] / SIM["height"]
    wide = bw / bh < aspect
    bw = np.where(wide, bh * aspect, bw)
    bh = np.where(wide, bh, bw / aspect)
    c = (lo + hi) / 2
    return np.stack([c[:, 0] - bw / 2, c[:, 1] - bh / 2, c[:, 0] + bw / 2, c[:, 1] + bh / 2], -1)


def render(blobs, width, height):
    """blobs [m, B, 5] (weight, x, y, sx, sy; heatmap pixels) -> maps [m, height, width]: the density at pixel centres."""
    x = np.arange(width, dtype=np.float64)[None, None, None, :]
    y = np.arange(height, dtype=np.float64)[None, None, :, None]
    w, bx, by, sx, sy = (blobs[..., i, None, None] for i in range(5))
    d = w / (2 * np.pi * sx * sy) * np.exp(-0.5 * (((x - bx) / sx) ** 2 + ((y - by) / sy) ** 2))
    return d.sum(1)


def simulate_heatmaps(kp, conf, rng):
    """kp [n,17,2] detected keypoints (pixels), conf [n,17] -> (heatmaps [n,17,H,W] f32, boxes [n,4])."""
    n = kp.shape[0]
    W, H = SIM["width"], SIM["height"]
    boxes = person_boxes(kp)
    scale = np.stack([W / (boxes[:, 2] - boxes[:, 0]), H / (boxes[:, 3] - boxes[:, 1])], -1)
    m = (kp - boxes[:, None, :2]) * scale[:, None, :] - 0.5
    occluded = (conf < SIM["occluded_below"]) | (rng.random((n, 17)) < SIM["occlusion_probability"])
    wide = rng.uniform(*SIM["occlusion_sigma"], (n, 17))
    swapped = (LR_PARTNER >= 0)[None, :] & (rng.random((n, 17)) < SIM["swap_probability"])
    ratio = rng.uniform(*SIM["swap_ratio"], (n, 17))
    wrong_first = rng.random((n, 17)) < SIM["wrong_first"]
    # A blob is the detector's belief (the error std its confidence implies, heatmap px) through the target kernel.
    height = np.maximum(kp[..., 1].max(1) - kp[..., 1].min(1), 1e-6)
    belief_scale = CONFIDENCE_SCALE * height * H / (boxes[:, 3] - boxes[:, 1])
    blob = np.hypot(belief_scale[:, None] * -np.log(np.clip(conf, *CONFIDENCE_RANGE)), SIM["sigma"])
    sigma = np.where(occluded, wide, blob)
    partner_index = np.where(LR_PARTNER >= 0, LR_PARTNER, 0)
    partner = m[:, partner_index]
    partner_sigma = blob[:, partner_index]
    first_w = np.where(swapped & wrong_first, ratio, 1.0)
    second_w = np.where(swapped, np.where(wrong_first, 1.0, ratio), 0.0)
    blobs = np.stack([
        np.stack([first_w, m[..., 0], m[..., 1], sigma, sigma], -1),
        np.stack([second_w, partner[..., 0], partner[..., 1], partner_sigma, partner_sigma], -1),
    ], 2).reshape(n * 17, 2, 5)
    maps = render(blobs, W, H)
    peak = maps.max((1, 2), keepdims=True)
    maps = maps + np.where(peak > 0, SIM["floor_fraction"] * peak, 1.0)
    return maps.reshape(n, 17, H, W).astype(np.float32), boxes


def _seeds(mass, K):
    """mass [m,H,W] -> per map the best K local maxima (the engine's rule): values [m,K] (0: none), pixels [m,K]."""
    m, H, W = mass.shape
    pad = np.pad(mass, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    peak = mass > 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx == 0 and dy == 0:
                continue
            q = pad[:, 1 + dy:1 + dy + H, 1 + dx:1 + dx + W]
            # Neighbours before the pixel in row-major order must be strictly lower, those after not higher.
            before = dy < 0 or (dy == 0 and dx < 0)
            peak &= (mass > q) if before else (mass >= q)
    top = mass.reshape(m, -1).max(1)
    threshold = (np.float32(FIT["seed_fraction"]) * top.astype(np.float32)).astype(np.float64)
    score = np.where(peak.reshape(m, -1) & (mass.reshape(m, -1) >= threshold[:, None]), mass.reshape(m, -1), -1.0)
    # Highest first, ties to the lower pixel (a stable sort of the negated values).
    order = np.argsort(-score, axis=1, kind="stable")[:, :K]
    values = np.take_along_axis(score, order, 1)
    return np.where(values > 0, values, 0.0), order


def fit_heatmaps(heatmaps, boxes, K, chunk=64, target_sigma=FIT["target_sigma"]):
    """heatmaps [n,J,H,W], boxes [n,4] -> (weights [n,J,K], means [n,J,K,2], stds [n,J,K,2]) in image pixels.

    The engine's fit (src/model/heatmap-fit.ts has the rules); unused components weight 0, repeating the heaviest;
    the detector's target kernel (std target_sigma heatmap px; 0: none) taken off the variances (rule 5).
    Fitted `chunk` people at a time (the EM holds K float64 maps per heatmap).
    """
    parts = [_fit(heatmaps[i:i + chunk], boxes[i:i + chunk], K, target_sigma) for i in range(0, len(heatmaps), chunk)]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))


def _fit(heatmaps, boxes, K, target_sigma):
    n, J, H, W = heatmaps.shape
    v = heatmaps.reshape(n * J, H, W).astype(np.float64)
    mass = np.where(np.isfinite(v) & (v > 0), v, 0.0)
    m = mass.shape[0]
    total = mass.sum((1, 2))
    flat = ~(mass.reshape(m, -1).max(1) > mass.reshape(m, -1).min(1))
    seed_v, seed_p = _seeds(mass, K)
    used = seed_v > 0
    wt = (1 - FIT["background_init"]) * seed_v / np.maximum(seed_v.sum(1, keepdims=True), 1e-300)
    mx, my = (seed_p % W).astype(np.float64), (seed_p // W).astype(np.float64)
    vx = np.full((m, K), FIT["variance_init"])
    vy = vx.copy()
    background = np.full(m, FIT["background_init"])
    xs = np.arange(W, dtype=np.float64)[None, None, None, :]
    ys = np.arange(H, dtype=np.float64)[None, None, :, None]
    for _ in range(FIT["iterations"]):
        norm = np.where(used, wt, 0.0) / (2 * np.pi * np.sqrt(vx * vy))
        dx = xs - mx[:, :, None, None]
        dy = ys - my[:, :, None, None]
        d = norm[:, :, None, None] * np.exp(-0.5 * (dx ** 2 / vx[:, :, None, None] + dy ** 2 / vy[:, :, None, None]))
        s = d.sum(1) + (background / (W * H))[:, None, None]
        r = np.where((mass > 0) & (s > 0), mass / np.where(s > 0, s, 1.0), 0.0)[:, None] * d
        s0 = r.sum((2, 3))
        ex = (r * dx).sum((2, 3)) / np.where(s0 > 0, s0, 1.0)
        ey = (r * dy).sum((2, 3)) / np.where(s0 > 0, s0, 1.0)
        exx = (r * dx ** 2).sum((2, 3)) / np.where(s0 > 0, s0, 1.0)
        eyy = (r * dy ** 2).sum((2, 3)) / np.where(s0 > 0, s0, 1.0)
        alive = used & (s0 > FIT["min_share"] * total[:, None])
        mx = np.where(alive, mx + ex, mx)
        my = np.where(alive, my + ey, my)
        vx = np.where(alive, np.maximum(exx - ex ** 2, FIT["variance_floor"]), vx)
        vy = np.where(alive, np.maximum(eyy - ey ** 2, FIT["variance_floor"]), vy)
        wt = np.where(alive, s0 / np.maximum(total, 1e-300)[:, None], 0.0)
        used = alive
        background = np.maximum(0.0, 1 - (wt * total[:, None]).sum(1) / np.maximum(total, 1e-300))
    wsum = wt.sum(1)
    flat |= ~(wsum > 0)
    wt = np.where(flat[:, None], np.eye(1, K)[0][None], wt / np.where(wsum > 0, wsum, 1.0)[:, None])
    mx = np.where(flat[:, None], (W - 1) / 2, mx)
    my = np.where(flat[:, None], (H - 1) / 2, my)
    vx = np.where(flat[:, None], W * W / 12, vx)
    vy = np.where(flat[:, None], H * H / 12, vy)
    # The belief: the target kernel's variance off each fitted component's, floored (not the flat map's).
    tv = float(np.float32(np.float32(target_sigma) ** 2))
    if tv > 0:
        vx = np.where(flat[:, None], vx, np.maximum(vx - tv, FIT["belief_floor"]))
        vy = np.where(flat[:, None], vy, np.maximum(vy - tv, FIT["belief_floor"]))
    heaviest = wt.argmax(1)[:, None]
    unused = wt <= 0
    for a in (mx, my, vx, vy):
        a[:] = np.where(unused, np.take_along_axis(a, heaviest, 1), a)
    b = np.repeat(boxes, J, 0)
    sx, sy = (b[:, 2] - b[:, 0]) / W, (b[:, 3] - b[:, 1]) / H
    means = np.stack([b[:, 0, None] + (mx + 0.5) * sx[:, None], b[:, 1, None] + (my + 0.5) * sy[:, None]], -1)
    stds = np.stack([np.sqrt(vx) * sx[:, None], np.sqrt(vy) * sy[:, None]], -1)
    return wt.reshape(n, J, K), means.reshape(n, J, K, 2), stds.reshape(n, J, K, 2)


def heatmap_mixture(kp, conf, rng, K):
    """Detections kp [n,17,2] (any units: the simulation is scale-free), conf [n,17] -> the mixture the engine
    fits from their simulated heatmaps, in kp's units: pi [n,17,K], mu [n,17,K,2], sigma [n,17,K,2]."""
    maps, boxes = simulate_heatmaps(kp, conf, rng)
    return fit_heatmaps(maps, boxes, K)


def with_heatmap_mixture(batch, rng, K):
    """A training batch (camera.make_examples) as if its 2D came from heatmaps: the lifter's keypoints `uv` become
    each joint's heaviest fitted component's mean, and the denoiser's uv noise scale `sigma` the std (mean of the
    two axes) of a component drawn by weight, as the paper init draws its start from the fitted mixture."""
    pi, mu, sd = heatmap_mixture(batch["uv"].astype(np.float64), batch["conf"], rng, K)
    n = pi.shape[0]
    cum = pi.cumsum(-1)
    k = np.minimum((rng.random((n, 17, 1)) * cum[..., -1:] > cum).sum(-1), K - 1)
    heaviest = pi.argmax(-1)
    uv = np.take_along_axis(mu, heaviest[..., None, None].repeat(2, -1), 2)[:, :, 0]
    sigma = np.take_along_axis(sd, k[..., None, None].repeat(2, -1), 2)[:, :, 0].mean(-1)
    return {**batch, "uv": uv.astype(np.float32), "sigma": sigma.astype(np.float32)}


def heatmap_mixture_uv(kp, conf, w, h, rng, K):
    """Detections kp [n,17,2] px, conf [n,17], image sizes w, h [n] -> the mixture the engine fits from
    their simulated heatmaps, in uv units (uv = p / w * 2 - [1, h / w]): pi [n,17,K], mu [n,17,K,2], sigma [n,17,K,2],
    and the lifter's keypoints uv [n,17,2] (the heaviest component's mean)."""
    maps, boxes = simulate_heatmaps(kp, conf, rng)
    pi, mu, sd = fit_heatmaps(maps, boxes, K)
    w = np.asarray(w, np.float64).reshape(-1, 1, 1)
    h = np.asarray(h, np.float64).reshape(-1, 1, 1)
    mu_uv = np.stack([mu[..., 0] / w * 2 - 1, mu[..., 1] / w * 2 - h / w], -1)
    sd_uv = sd * 2 / w[..., None]
    uv = np.take_along_axis(mu_uv, pi.argmax(-1)[..., None, None].repeat(2, -1), 2)[:, :, 0]
    return pi.astype(np.float32), mu_uv.astype(np.float32), sd_uv.astype(np.float32), uv.astype(np.float32)


def main(argv=None):
    """python3 train/diffpose/heatmaps.py heatmaps.npy boxes.npy K out.npy [target_sigma]: the fit as [n,J,K,5]
    (weight, mean x, mean y, std x, std y), the engine's layout (its parity test uses this)."""
    import sys
    a = sys.argv[1:] if argv is None else argv
    maps, boxes, K = np.load(a[0]), np.load(a[1]).astype(np.float64), int(a[2])
    target = float(a[4]) if len(a) > 4 else FIT["target_sigma"]
    pi, mu, sd = fit_heatmaps(maps, boxes, K, target_sigma=target)
    np.save(a[3], np.concatenate([pi[..., None], mu, sd], -1).astype(np.float32))


if __name__ == "__main__":
    main()
