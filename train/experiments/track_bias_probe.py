"""Can a track's constant error be read from the track? (issue #14, docs/temporal-model.md §16)

    sh train/openblas.sh /usr/bin/python3 train/experiments/track_bias_probe.py [--len 64] [--proportions 1]

§16 found most of the frame model's error constant over a track (each joint's mean error over
its track: 61.1 -> 41.7 mm as an oracle). A temporal model with the whole track as context could
only remove that part if the track's 2D says what it is. This probe asks the cheapest version of
the question: ridge regressions from statistics of a track's inputs and frame-model outputs to
each joint's mean error over the track, fitted on training-split tracks (one camera, temporal
detector noise, body proportions), scored on held-out clips (grouped folds) and on the test
tracks of §9. The same regression from one frame's features to that frame's error is the control:
what a track adds is the difference between the two.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import train_temporal as tt  # noqa: E402
from data import Mocap  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from video import FPS, eval_tracks, finish, observe, track_pieces, truncate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BONES = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8), (8, 9), (9, 10),
         (8, 11), (11, 12), (12, 13), (8, 14), (14, 15), (15, 16)]


def make_tracks(mocap, track_len, seed, proportions):
    """eval_tracks' pieces and observation (all visible), with body proportions; + each piece's clip."""
    rng = np.random.default_rng(seed)
    tracks = []
    for a, e, c in track_pieces(mocap, track_len):
        world = mocap.poses[a:e][None].astype(np.float64)
        pc, cam, px, kp, conf, outlier = observe(world, rng, np.array([1 / FPS]), proportions=proportions,
                                                 swap_prob=0.0, drop_frac=0.0)
        k2, c2, w, h, out, p2 = truncate(px, kp, conf, pc, cam, rng, np.array(["none"]))
        v = {k: x[0] for k, x in finish(pc, p2, k2, c2, w, h, outlier | out).items()}
        tracks.append({"visible": v, "xyz": v["xyz"], "clip": c})
    return tracks


def frame_features(uv, pred):
    """Per frame [T, F]: the prediction, the 2D about the pelvis over its size, where and how big."""
    rel = uv - uv[:, :1]
    size = np.linalg.norm(rel, axis=-1).mean(-1, keepdims=True) + 1e-6
    return np.concatenate([pred.reshape(len(pred), -1), (rel / size[..., None]).reshape(len(uv), -1),
                           uv[:, 0], size], -1)


def bone_lengths(x):
    return np.stack([np.linalg.norm(x[:, a] - x[:, b], axis=-1) for a, b in BONES], -1)


def track_features(uv, pred):
    """Per track [F]: means and spreads of the frame features, the 2D bones' longest and mean lengths
    (over the pose's size), the predicted bones, and how size follows height in the picture."""
    f = frame_features(uv, pred)
    rel = uv - uv[:, :1]
    size = np.linalg.norm(rel, axis=-1).mean(-1) + 1e-6
    b2 = bone_lengths(uv) / size[:, None]
    b3 = bone_lengths(pred)
    feet = uv[:, [3, 6], 1].max(-1)
    slope = np.polyfit(feet, size, 1)[0] if feet.std() > 1e-4 else 0.0
    return np.concatenate([f.mean(0), f.std(0), b2.max(0), b2.mean(0), b3.mean(0), [slope, feet.std(), size.std()]])


class Ridge:
    def __init__(self, lam):
        self.lam = lam

    def fit(self, x, y):
        self.mu, self.sd = x.mean(0), x.std(0) + 1e-6
        z = (x - self.mu) / self.sd
        self.ym = y.mean(0)
        a = z.T @ z + self.lam * len(z) * np.eye(z.shape[1])
        self.w = np.linalg.solve(a, z.T @ (y - self.ym))
        return self

    def __call__(self, x):
        return ((x - self.mu) / self.sd) @ self.w + self.ym


def mm(p, g):
    return 1000 * float(np.linalg.norm(p - g, axis=-1).mean())


def corrected_track(preds, gts, bias):
    """MPJPE with each track's predicted bias [n, 51] removed from its frames."""
    return mm(np.concatenate([p - b.reshape(17, 3) for p, b in zip(preds, bias)]), np.concatenate(gts))


def grouped_folds(groups, k, seed=0):
    ids = np.unique(groups)
    np.random.default_rng(seed).shuffle(ids)
    return [np.isin(groups, ids[i::k]) for i in range(k)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frame", default=os.path.join(ROOT, "weights", "diffpose.safetensors"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--len", type=int, default=64)
    ap.add_argument("--proportions", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lifter, den, sch, _ = load_frame(a.frame)

    train = make_tracks(Mocap(os.path.join(a.data, "train.safetensors")), a.len, 77, a.proportions)
    test = eval_tracks(Mocap(os.path.join(a.data, "test.safetensors")))
    for name, tracks in (("train", train), ("test", test)):
        preds = tt.frame_predict(lifter, den, sch, tracks, "visible")
        for t, p in zip(tracks, preds):
            t["pred"] = p
        print(f"{name}: {len(tracks)} tracks, {sum(len(t['pred']) for t in tracks)} frames, "
              f"MPJPE {mm(np.concatenate(preds), np.concatenate([t['xyz'] for t in tracks])):.1f}", flush=True)

    def arrays(tracks):
        xt = np.stack([track_features(t["visible"]["uv"], t["pred"]) for t in tracks])
        yt = np.stack([(t["pred"] - t["xyz"]).mean(0).reshape(-1) for t in tracks])
        xf = np.concatenate([frame_features(t["visible"]["uv"], t["pred"]) for t in tracks])
        yf = np.concatenate([(t["pred"] - t["xyz"]).reshape(len(t["pred"]), -1) for t in tracks])
        return xt, yt, xf, yf

    xt, yt, xf, yf = arrays(train)
    groups = np.array([t["clip"] for t in train])
    frame_groups = np.concatenate([[t["clip"]] * len(t["pred"]) for t in train])
    preds = [t["pred"] for t in train]
    gts = [t["xyz"] for t in train]
    base = mm(np.concatenate(preds), np.concatenate(gts))
    oracle = corrected_track(preds, gts, yt)
    print(f"train tracks, held-out clips (5 grouped folds): frame model {base:.1f}, oracle bias removed {oracle:.1f}")
    folds = grouped_folds(groups, 5)
    for lam in (1e-3, 1e-2, 1e-1, 1.0):
        bias_t = np.zeros_like(yt)
        for held in folds:
            bias_t[held] = Ridge(lam).fit(xt[~held], yt[~held])(xt[held])
        fr = np.zeros_like(yf)
        for held in folds:
            fh = np.isin(frame_groups, np.unique(groups[held]))
            fr[fh] = Ridge(lam).fit(xf[~fh], yf[~fh])(xf[fh])
        per_frame = mm(np.concatenate(preds) - fr.reshape(-1, 17, 3), np.concatenate(gts))
        print(f"  lambda {lam:g}: track probe {corrected_track(preds, gts, bias_t):.1f}, "
              f"frame probe {per_frame:.1f}", flush=True)

    xs, ys, xsf, ysf = arrays(test)
    tp = [t["pred"] for t in test]
    tg = [t["xyz"] for t in test]
    print(f"test tracks: frame model {mm(np.concatenate(tp), np.concatenate(tg)):.1f}, "
          f"oracle {corrected_track(tp, tg, ys):.1f}")
    for lam in (1e-2, 1e-1, 1.0):
        track = corrected_track(tp, tg, Ridge(lam).fit(xt, yt)(xs))
        frame = mm(np.concatenate(tp) - Ridge(lam).fit(xf, yf)(xsf).reshape(-1, 17, 3), np.concatenate(tg))
        print(f"  lambda {lam:g}: track probe {track:.1f}, frame probe {frame:.1f}", flush=True)


if __name__ == "__main__":
    main()
