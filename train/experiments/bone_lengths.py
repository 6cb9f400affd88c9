"""Does a track's bone lengths, held constant, fix the depth error a frame repeats? (issue #14)

    sh train/openblas.sh /usr/bin/python3 train/experiments/bone_lengths.py [--tracks 80] [--test]

A person's bones keep their lengths over a track, while the models' error is mostly depth
(docs/temporal-model.md §16). Per track, each bone's length is taken as the median over the
track's frames of the lifted lengths; each frame is then rebuilt from the root down the skeleton
with that length per bone, in one of two ways:
  scale    the lifted bone vector scaled to the length (direction kept)
  depth    the lifted bone's image-plane part kept, its depth part set so the bone has the length
           (sign kept; where the image-plane part is already longer, the depth part is 0)
and `blend` mixes depth with the lifted pose by how well the depth is determined (a bone nearly in
the image plane has a depth that the length hardly fixes).
Training-split tracks (seed 11: not the selection's 7) choose; --test also prints the test tracks.
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
from video import eval_tracks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
UPPER = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16]


def bones(p):
    """[T, 17, 3] -> [T, 17, 3] child minus parent (row 0 zero)."""
    b = np.zeros_like(p)
    for j in range(1, 17):
        b[:, j] = p[:, j] - p[:, PARENTS[j]]
    return b


def rebuild(b):
    p = np.zeros_like(b)
    for j in range(1, 17):
        p[:, j] = p[:, PARENTS[j]] + b[:, j]
    return p


def track_lengths(p, stat):
    n = np.linalg.norm(bones(p), axis=-1)
    return np.median(n, 0) if stat == "median" else n.mean(0)


def scaled_to(p, L):
    """Each frame rebuilt with its bones scaled to the lengths L [1, 17] (directions kept)."""
    b = bones(p)
    return rebuild(b * (L / np.maximum(np.linalg.norm(b, axis=-1), 1e-9))[..., None])


def fix(p, how, stat="median", power=1.0):
    L = track_lengths(p, stat)[None]
    if how == "scale":
        return scaled_to(p, L)
    b = bones(p)
    n = np.linalg.norm(b, axis=-1)
    xy2 = (b[..., :2] ** 2).sum(-1)
    dz = np.sign(b[..., 2]) * np.sqrt(np.maximum(L * L - xy2, 0.0))
    if how == "blend":
        # How much of the bone is depth, by the lifted pose: 1 along the view axis, 0 in the picture.
        w = (np.abs(b[..., 2]) / np.maximum(n, 1e-9)) ** power
        dz = w * dz + (1 - w) * b[..., 2]
    out = b.copy()
    out[..., 2] = dz
    return rebuild(out)


def mm(pred, gt, joints=None):
    p, g = np.concatenate(pred), np.concatenate(gt)
    if joints is not None:
        p, g = p[:, joints], g[:, joints]
    return 1000 * float(np.linalg.norm(p - g, axis=-1).mean())


def table(tracks, frame_w, temporal_w):
    gt = [t["xyz"] for t in tracks]
    lifter, den, sch, _ = load_frame(frame_w)
    model, schedule, _ = tt.load_temporal(temporal_w)
    preds = {"frame": tt.frame_predict(lifter, den, sch, tracks, "visible")}
    for mode in tt.MODES:
        preds[mode] = tt.temporal_predict(model, schedule, tracks, "visible", mode)[0]
    variants = [("as lifted", lambda p: p)]
    for stat in ("median", "mean"):
        variants.append((f"scale ({stat})", lambda p, s=stat: fix(p, "scale", s)))
    variants.append(("depth (median)", lambda p: fix(p, "depth")))
    for power in (0.5, 1.0, 2.0):
        variants.append((f"blend^{power} (median)", lambda p, k=power: fix(p, "blend", power=k)))
    for name, pred in preds.items():
        print(f"  {name}:")
        # The oracle: the person's true lengths (from the ground truth's first frame).
        oracle = ("oracle lengths: scale", [scaled_to(p, np.linalg.norm(bones(g), axis=-1)[:1]) for p, g in zip(pred, gt)])
        for vname, fixed in [(v, [f(p) for p in pred]) for v, f in variants] + [oracle]:
            print(f"    {vname:<24s} MPJPE {mm(fixed, gt):5.1f}  upper {mm(fixed, gt, UPPER):5.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frame", default=os.path.join(ROOT, "weights", "diffpose.safetensors"))
    ap.add_argument("--temporal", default=os.path.join(ROOT, "weights", "diffpose-temporal.safetensors"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--tracks", type=int, default=80)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--test", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train = eval_tracks(Mocap(os.path.join(a.data, "train.safetensors")), max_tracks=a.tracks, seed=11)
    print(f"{len(train)} training-split tracks (seed 11), official init, H = 1, mm:")
    table(train, a.frame, a.temporal)
    if a.test:
        test = eval_tracks(Mocap(os.path.join(a.data, "test.safetensors")))
        print(f"{len(test)} test tracks:")
        table(test, a.frame, a.temporal)


if __name__ == "__main__":
    main()
