"""Training windows and evaluation tracks for the temporal model (docs/temporal-model.md,
"Training recipe"), and the robust per-frame recipe for the frame model.

One window = consecutive frames of one mocap clip, resampled to a random frame rate (20-60 fps),
body proportions scaled, seen through ONE virtual camera (train/camera.py: the subject moves, the
camera does not), with a detector-error model that is correlated in time (its per-frame marginal is
docs/camera-model.md's), left/right swaps, dropped joints, and webcam-style truncation (a crop that
hides the lower body or one side: confidence near 0, position at the border or garbage).
"""
import numpy as np

from camera import K_JOINT, _FLIP, _project, default_sigma_uv, normalize_uv, place_cameras
from diffpose.skeleton import BONES

FPS = 30.0
LEGS = [2, 3, 5, 6]  # knees, ankles
UPPER = list(range(7, 17))  # spine, thorax, neck, head, arms: "upper body" in the legs-hidden metric
# Truncation modes and the share of windows each crops (the rest are seen whole): the default recipe.
CROP_PROBS = (("legs", 0.15), ("side", 0.1))


def legs_crop_probs(p):
    """The robust recipe's truncation modes with the legs crops' share set to p."""
    return tuple((m, p if m == "legs" else q) for m, q in CROP_PROBS)


_SWAP_GROUPS = [([12, 13], [15, 16]), ([13], [16]), ([5, 6], [2, 3]), ([6], [3])]
# bone groups for body-proportion scaling (indices into BONES) and their +- range
_BONE_GROUPS = [([0, 3], 0.15), ([1, 4], 0.12), ([2, 5], 0.12), ([6, 7], 0.12), ([8, 9], 0.12),
                ([10, 13], 0.15), ([11, 14], 0.12), ([12, 15], 0.12)]


def body_proportions(p, rng, amount=1.0):
    """World poses [n, ..., 17, 3]: per example, bone lengths scaled per group (legs, arms, spine,
    neck/head +-12%, hip and shoulder widths +-15%; left/right alike up to 2%), by forward kinematics
    from the pelvis. amount scales the ranges (0: unchanged)."""
    if amount <= 0:
        return p
    n = p.shape[0]
    f = np.ones((n, len(BONES)))
    for bones, r in _BONE_GROUPS:
        g = rng.uniform(1 - r * amount, 1 + r * amount, n)
        for b in bones:
            f[:, b] = g * np.exp(rng.normal(0, 0.02 * amount, n))
    f = f.reshape((n,) + (1,) * (p.ndim - 3) + (len(BONES), 1))
    out = p.copy()
    for b, (par, ch) in enumerate(BONES):  # BONES are in topological order
        out[..., ch, :] = out[..., par, :] + f[..., b, :] * (p[..., ch, :] - p[..., par, :])
    return out


def _ar1(rng, shape, a):
    """Stationary unit-variance AR(1) along axis 1: x_t = a x_{t-1} + sqrt(1 - a^2) w_t; a [n]."""
    a = a.reshape((-1,) + (1,) * (len(shape) - 2))
    w = rng.normal(0, 1, shape)
    x = np.empty(shape)
    x[:, 0] = w[:, 0]
    s = np.sqrt(1 - a * a)
    for t in range(1, shape[1]):
        x[:, t] = a * x[:, t - 1] + s * w[:, t]
    return x


def _episodes(rng, shape, frac, dur_s, dt, draw):
    """Two-state Markov chain per element along axis 1 (stationary fraction `frac`, mean episode
    `dur_s` seconds), with a value from draw(k) held for each episode. Returns (on bool, value)."""
    q = np.minimum(1.0, dt / dur_s).reshape((-1,) + (1,) * (len(shape) - 2))  # leave prob per frame
    p_in = np.minimum(1.0, frac * q / (1 - frac))
    on = np.zeros(shape, bool)
    on[:, 0] = rng.random(on[:, 0].shape) < frac
    for t in range(1, shape[1]):
        u = rng.random(on[:, t].shape)
        on[:, t] = np.where(on[:, t - 1], u >= q, u < p_in)
    start = on.copy()
    start[:, 1:] &= ~on[:, :-1]
    val = draw(shape)
    for t in range(1, shape[1]):  # hold the value drawn at the start of each episode
        val[:, t] = np.where(start[:, t, ..., None], val[:, t], val[:, t - 1])
    return on, val


def _disc(rng, shape, radius):
    """Uniform displacements in discs; radius broadcast to shape[:-1] ([..., 2] result)."""
    r = radius * np.sqrt(rng.random(shape[:-1]))
    ang = rng.uniform(0, 2 * np.pi, shape[:-1])
    return np.stack([r * np.cos(ang), r * np.sin(ang)], -1)


def temporal_detector_noise(px, rng, dt, swap_prob=0.2, drop_frac=0.02):
    """px [n, L, 17, 2] clean projections (pixels), dt [n] seconds per frame ->
    (keypoints, confidence [n, L, 17], outlier [n, L, 17] bool).

    Per frame and joint the marginal is camera-model.md's (base std k_j s, one lognormal factor per
    example, one per joint -- here a slow AR(1) in time --, Gaussian error, 3% outliers in discs of
    0.15 s, confidence from the std); in time the error is a slow drift (AR(1), 0.1-0.5 s) mixed with
    white jitter, outliers last 1-6 frames (at 30 fps), and on top: short left/right swaps
    (2-8 frames at 30 fps, probability swap_prob per window) and dropped joints (drop_frac of the
    joint-frames, 0.1-0.5 s episodes, confidence 0-0.1, garbage position)."""
    n, L = px.shape[:2]
    s = np.maximum(px[..., 1].max(-1) - px[..., 1].min(-1), 1e-3)  # [n, L] person height, pixels
    g = _ar1(rng, (n, L, 17), np.exp(-dt / 1.0))
    sigma = K_JOINT * s[..., None] * np.exp(rng.normal(0, 0.3, (n, 1, 1))) * np.exp(0.2 * g)
    rho = rng.uniform(0.3, 0.9, (n, 1, 1, 1))
    drift = _ar1(rng, (n, L, 17, 2), np.exp(-dt / rng.uniform(0.1, 0.5, n)))
    err = np.sqrt(rho) * drift + np.sqrt(1 - rho) * rng.normal(0, 1, (n, L, 17, 2))
    kp = px + err * sigma[..., None]
    conf = np.clip(np.exp(-sigma / (0.03 * s[..., None])) + rng.normal(0, 0.05, (n, L, 17)), 0.05, 1.0)
    dur = rng.uniform(1, 6, n) / FPS
    outlier, ov = _episodes(rng, (n, L, 17), 0.03, dur, dt,
                            lambda sh: np.concatenate([_disc(rng, sh + (2,), 1.0), rng.uniform(0.05, 0.4, sh + (1,))], -1))
    kp = np.where(outlier[..., None], px + ov[..., :2] * 0.15 * s[..., None, None], kp)
    conf = np.where(outlier, ov[..., 2], conf)
    if drop_frac > 0:
        drop, dv = _episodes(rng, (n, L, 17), drop_frac, rng.uniform(0.1, 0.5, n), dt,
                             lambda sh: np.concatenate([_disc(rng, sh + (2,), 1.0), rng.uniform(0, 0.1, sh + (1,))], -1))
        kp = np.where(drop[..., None], px + dv[..., :2] * 0.3 * s[..., None, None], kp)
        conf = np.where(drop, dv[..., 2], conf)
        outlier |= drop
    for i in np.nonzero(rng.random(n) < swap_prob)[0]:
        a, b = _SWAP_GROUPS[rng.integers(len(_SWAP_GROUPS))]
        length = max(1, int(round(rng.uniform(2, 8) / (FPS * dt[i]))))
        t0 = rng.integers(0, L)
        sl = slice(t0, min(L, t0 + length))
        kp[i, sl, a + b] = kp[i, sl, b + a]
        conf[i, sl, a + b] = conf[i, sl, b + a] * rng.uniform(0.4, 1.0)
        outlier[i, sl, a + b] = True
    return kp, conf, outlier


def _place(rng, lo, hi, size):
    """The left (top) edge of a window `size` wide that holds [lo, hi] at a uniform place (centred
    on it when it does not fit)."""
    if hi - lo >= size:
        return (lo + hi - size) / 2
    return rng.uniform(hi - size, lo)


def truncate(px, kp, conf, pc, cam, rng, mode, shift_prob=0.0, legs_reach=0.1):
    """Webcam framing: crop the image (mode 'none', 'legs': the bottom edge above every knee of the
    window; 'side': one vertical edge near the body's centre line), then every joint outside the
    crop (or behind the camera) is truncated: confidence U(0, 0.1), position clamped to the border
    (+- 1% of w, 60% of the joints) or garbage (a point of the crop, held, with jitter).
    shift_prob: the fraction of examples (modes 'none' and 'legs') whose image window is moved
    over the camera's sensor so that the person lands anywhere in it (a principal point away from
    the person: people off-centre in a webcam's picture, a wide picture cut above the knees) instead
    of centred on them; the cameras of place_cameras aim at the pelvis, and a model that never saw
    anyone elsewhere doubles its error when the picture is merely cut differently.
    legs_reach: mode 'legs' puts the bottom edge U(0, legs_reach) body heights above the highest
    knee; 0.1 (the evaluation tracks') keeps the hips in a one-frame picture, larger values also
    cut the hips and hands away (a webcam showing the torso; a track's crop above its highest knee).
    px, kp [n, L, 17, 2] pixels of the full image; modes [n] strings. Returns
    (kp in crop pixels, conf, w [n], h [n], out [n, L, 17] bool, clean px in crop pixels)."""
    n, L = px.shape[:2]
    w, h = cam["w"].copy(), cam["h"].copy()
    x0, y0 = np.zeros(n), np.zeros(n)
    s = np.median(px[..., 1].max(-1) - px[..., 1].min(-1), axis=1)
    for i in range(n):
        u, v = px[i, ..., 0], px[i, ..., 1]
        # No draw at all without shifts: eval_tracks' fixed draws stay what they were.
        shift = shift_prob > 0 and rng.random() < shift_prob
        if mode[i] == "none":
            if shift:  # the same picture size, the person anywhere in it
                x0[i] = _place(rng, u.min(), u.max(), w[i])
                y0[i] = _place(rng, v.min(), v.max(), h[i])
            continue
        aspect = w[i] / h[i] if rng.random() < 0.5 else [4 / 3, 16 / 9, 1.0, 9 / 16][rng.integers(4)]
        top = v.min() - rng.uniform(0.03, 1.0 if shift else 0.3) * s[i]
        if mode[i] == "legs":
            bottom = max(v[:, [2, 5]].min() - rng.uniform(0.0, legs_reach) * s[i], top + 0.3 * s[i])
            ch = bottom - top
            cw = ch * aspect
            if shift:  # up to 4x wider, the body anywhere across it
                cw *= rng.uniform(1.0, 4.0)
                x0[i] = _place(rng, u.min(), u.max(), cw)
            else:
                x0[i] = (u.min() + u.max()) / 2 - cw / 2 + rng.normal(0, 0.05) * cw
        else:  # side
            ch = v.max() + rng.uniform(0.03, 0.3) * s[i] - top
            cw = max(ch * aspect, 0.3 * s[i])
            edge = np.median(u[:, 0]) + rng.uniform(-0.1, 0.15) * s[i]
            if rng.random() < 0.5:  # the crop's right edge cuts the body
                x0[i] = edge - cw
            else:
                x0[i] = 2 * np.median(u[:, 0]) - edge
        y0[i], w[i], h[i] = top, cw, ch
    off = np.stack([x0, y0], -1)[:, None, None, :]
    px, kp = px - off, kp - off
    W, H = w[:, None, None], h[:, None, None]
    out = (px[..., 0] < 0) | (px[..., 0] > W) | (px[..., 1] < 0) | (px[..., 1] > H) | (pc[..., 2] < 0.1)
    if out.any():
        size = np.stack([W, H], -1)
        border = np.clip(kp, 0, size) + rng.normal(0, 0.01, kp.shape) * W[..., None]
        garbage = rng.random((n, 1, 17, 2)) * size + rng.normal(0, 0.01, kp.shape) * W[..., None]
        pos = np.where((rng.random((n, 1, 17)) < 0.6)[..., None], border, garbage)
        kp = np.where(out[..., None], pos, kp)
        conf = np.where(out, rng.uniform(0, 0.1, out.shape), conf)
    return kp, conf, w, h, out, px


def observe(poses_world, rng, dt, ref=None, mirror_prob=0.0, proportions=0.0, swap_prob=0.2, drop_frac=0.02):
    """World windows [n, L, 17, 3] -> (camera-frame poses, cam, clean px, keypoints, conf, outlier)."""
    p = body_proportions(np.asarray(poses_world, np.float64), rng, proportions)
    pc, cam = place_cameras(p, rng, ref=ref)
    if mirror_prob > 0:
        m = rng.random(pc.shape[0]) < mirror_prob
        if m.any():
            pm = pc[m][:, :, _FLIP]
            pm[..., 0] *= -1.0
            pc[m] = pm
    px = _project(pc, cam)
    kp, conf, outlier = temporal_detector_noise(px, rng, dt, swap_prob, drop_frac)
    return pc, cam, px, kp, conf, outlier


def finish(pc, px, kp, conf, w, h, outlier, rng=None, mask_prob=0.0):
    """-> dict of float32: uv, uv_clean [.., 17, 2], conf, sigma [.., 17], xyz [.., 17, 3], kp
    [.., 17, 3] = (u, v, conf) (the encoder's input). mask_prob: joint-frames masked at random
    (confidence U(0, 0.05), position + N(0, 0.05 w))."""
    if mask_prob > 0:
        m = rng.random(conf.shape) < mask_prob
        kp = np.where(m[..., None], kp + rng.normal(0, 0.05, kp.shape) * w[:, None, None, None], kp)
        conf = np.where(m, rng.uniform(0, 0.05, conf.shape), conf)
        outlier = outlier | m
    n, L = px.shape[:2]
    ww, hh = np.repeat(w, L), np.repeat(h, L)
    uv = normalize_uv(kp.reshape(n * L, 17, 2), ww, hh).reshape(n, L, 17, 2)
    uv_clean = normalize_uv(px.reshape(n * L, 17, 2), ww, hh).reshape(n, L, 17, 2)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    return dict(uv=f32(uv), uv_clean=f32(uv_clean), conf=f32(conf), sigma=f32(default_sigma_uv(conf)),
                xyz=f32(pc - pc[..., :1, :]), kp=f32(np.concatenate([uv, conf[..., None]], -1)), outlier=outlier)


class WindowSampler:
    """Random training windows of `frames` grid frames (outputs at [first, first + outputs) of the
    grid) from a Mocap set. Each window: a clip, a frame rate in fps_range (resampled by linear
    interpolation), a track (the clip, or with probability short_prob a random shorter piece down
    to one frame: grid frames outside the track repeat its first / last frame, edge padding),
    body proportions, one camera, temporal detector noise, truncation (with the person placed
    anywhere in the picture for shift_prob of the windows), masking."""

    def __init__(self, mocap, seed=0, mirror_prob=0.5, fps_range=(20.0, 60.0), short_prob=0.2,
                 proportions=1.0, crop_probs=CROP_PROBS, mask_prob=0.03,
                 swap_prob=0.2, drop_frac=0.02, shift_prob=0.5, legs_reach=0.1):
        self.mocap = mocap
        self.rng = np.random.default_rng(seed)
        self.mirror_prob, self.fps_range, self.short_prob = mirror_prob, fps_range, short_prob
        self.proportions, self.crop_probs, self.mask_prob = proportions, crop_probs, mask_prob
        self.swap_prob, self.drop_frac, self.shift_prob = swap_prob, drop_frac, shift_prob
        self.legs_reach = legs_reach
        clip = mocap.clip
        self.start = np.r_[0, np.nonzero(np.diff(clip))[0] + 1]
        self.length = np.diff(np.r_[self.start, len(clip)])
        self.clip_of = np.repeat(np.arange(len(self.start)), self.length)

    def state(self):
        return self.rng.bit_generator.state

    def set_state(self, st):
        self.rng.bit_generator.state = st

    def _modes(self, n):
        names = ["none"] + [m for m, _ in self.crop_probs]
        p = [1 - sum(q for _, q in self.crop_probs)] + [q for _, q in self.crop_probs]
        return np.array(names)[self.rng.choice(len(names), n, p=p)]

    def batch(self, n, frames, first, outputs):
        """-> dict with [n, frames, ...] arrays (see finish) plus `index` [n, frames] (the grid frame
        each input frame shows, edge padding included) and `valid` [n, frames] (frame in the track)."""
        rng = self.rng
        c = self.clip_of[rng.integers(0, len(self.clip_of), n)]
        s0, ln = self.start[c], self.length[c]
        fps = rng.uniform(*self.fps_range, n)
        step = FPS / fps
        span = (frames - 1) * step
        anchor_k = first + rng.integers(0, outputs, n)
        start = rng.uniform(0, 1, n) * (ln - 1) - anchor_k * step
        fits = span <= ln - 1
        start = np.where(fits, np.clip(start, 0, np.maximum(ln - 1 - span, 0)), start)
        k = np.arange(frames)
        tau = start[:, None] + k[None, :] * step[:, None]
        k_lo = np.ceil(-start / step - 1e-9).astype(np.int64).clip(0, frames - 1)
        k_hi = np.floor((ln - 1 - start) / step + 1e-9).astype(np.int64).clip(0, frames - 1)
        short = rng.random(n) < self.short_prob
        if short.any():  # a shorter track around one output frame (favouring very short ones)
            lo_o, hi_o = np.maximum(k_lo, first), np.minimum(k_hi, first + outputs - 1)
            kstar = lo_o + (rng.random(n) * (hi_o - lo_o + 1)).astype(np.int64)
            a = kstar - (rng.random(n) ** 2 * (kstar - k_lo + 1)).astype(np.int64)
            b = kstar + (rng.random(n) ** 2 * (k_hi - kstar + 1)).astype(np.int64)
            k_lo, k_hi = np.where(short, a, k_lo), np.where(short, b, k_hi)
        tau = np.clip(tau, 0, (ln - 1)[:, None])
        i0 = np.floor(tau).astype(np.int64)
        frac = (tau - i0)[..., None, None]
        i1 = np.minimum(i0 + 1, (ln - 1)[:, None])
        P = self.mocap.poses
        world = (1 - frac) * P[s0[:, None] + i0] + frac * P[s0[:, None] + i1]
        ref = first + outputs // 2
        pc, cam, px, kp, conf, outlier = observe(world, rng, step / FPS, ref, self.mirror_prob, self.proportions,
                                                 self.swap_prob, self.drop_frac)
        kp, conf, w, h, out, px = truncate(px, kp, conf, pc, cam, rng, self._modes(n), self.shift_prob,
                                           self.legs_reach)
        ex = finish(pc, px, kp, conf, w, h, outlier | out, rng, self.mask_prob)
        index = np.clip(k[None, :], k_lo[:, None], k_hi[:, None])
        ex["kp"] = np.take_along_axis(ex["kp"], index[:, :, None, None], 1)  # edge padding of the track
        ex["index"] = index
        ex["valid"] = (k[None, :] >= k_lo[:, None]) & (k[None, :] <= k_hi[:, None])
        ex["fps"] = fps
        return ex


class RobustFrameSampler(WindowSampler):
    """The frame model's robust recipe: one-frame windows with the same camera, noise (its per-frame
    marginal), body proportions, truncation and masking. batch(n) -> make_examples-style dict."""

    def batch(self, n):
        ex = super().batch(n, 1, 0, 1)
        return {k: ex[k][:, 0] for k in ("uv", "uv_clean", "sigma", "conf", "outlier", "xyz")}


def track_pieces(mocap, track_len=64, min_len=16):
    """Every clip cut into pieces of track_len frames (the last kept if at least min_len frames):
    a list of (first frame, end frame, clip index)."""
    pieces = []
    start = np.r_[0, np.nonzero(np.diff(mocap.clip))[0] + 1]
    for c, (s, e) in enumerate(zip(start, np.r_[start[1:], len(mocap.clip)])):
        for a in range(s, e, track_len):
            if min(e, a + track_len) - a >= min_len:
                pieces.append((a, min(e, a + track_len), c))
    return pieces


def eval_tracks(mocap, track_len=64, min_len=16, max_tracks=None, seed=20231):
    """The fixed temporal evaluation set: every clip cut into tracks of track_len frames (the last
    piece kept if at least min_len), at 30 fps, each with its own camera (around its middle frame)
    and temporally correlated detector noise; no mirroring, proportions, swaps or masking.
    max_tracks: an evenly spaced subset. Returns a list of dicts with [T, ...] arrays: visible
    (all-visible inputs), legs (the same with the legs cropped out), xyz, fps."""
    pieces = track_pieces(mocap, track_len, min_len)
    if max_tracks is not None and max_tracks < len(pieces):
        pieces = [pieces[i] for i in np.linspace(0, len(pieces) - 1, max_tracks).round().astype(int)]
    rng = np.random.default_rng(seed)
    tracks = []
    for a, e, _ in pieces:
        world = mocap.poses[a:e][None].astype(np.float64)
        pc, cam, px, kp, conf, outlier = observe(world, rng, np.array([1 / FPS]), swap_prob=0.0, drop_frac=0.0)
        tr = {}
        for name in ("visible", "legs"):
            k2, c2, w, h, out, p2 = truncate(px, kp, conf, pc, cam, rng, np.array(["none" if name == "visible" else "legs"]))
            tr[name] = {k: v[0] for k, v in finish(pc, p2, k2, c2, w, h, outlier | out).items()}
        tr["xyz"] = tr["visible"]["xyz"]
        tracks.append(tr)
    return tracks
