"""Where issue #14's legs-hidden error is: frame lifters alone on TRAINING-split tracks
(train_temporal.py's eval_tracks with a seed of their own: neither the validation frames nor the
test split), upper-body MPJPE with every joint visible and with the legs cropped out, and the
cropped frames split by whether the pelvis or a hip is below the crop too (the lifter's root, to
which every output joint is relative, then out of the picture). For comparing lifter fine-tunes.

    sh train/openblas.sh /usr/bin/python3 train/experiments/legs_hidden.py \
        weights/diffpose.safetensors train/runs/<run>/best.safetensors ...
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from data import Mocap  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from video import eval_tracks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPPER = list(range(7, 17))


def lift(lifter, v):
    with torch.no_grad():
        return lifter(torch.from_numpy(v["uv"]), torch.from_numpy(v["conf"])).numpy()


def errors(pred, xyz):
    p = pred - pred[..., :1, :]
    return np.linalg.norm(p - xyz, axis=-1) * 1000  # [T, 17] mm


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", nargs="+")
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--tracks", type=int, default=200)
    ap.add_argument("--seed", type=int, default=515)
    ap.add_argument("--split", default="train")
    a = ap.parse_args()
    torch.set_num_threads(1)
    tracks = eval_tracks(Mocap(os.path.join(a.data, f"{a.split}.safetensors")), max_tracks=a.tracks, seed=a.seed)
    hips_cut = np.concatenate([(t["legs"]["conf"][:, [0, 1, 4]] <= 0.1).any(-1) for t in tracks])
    print(f"{len(tracks)} {a.split}-split tracks, {len(hips_cut)} frames, pelvis or a hip cropped in "
          f"{hips_cut.mean():.0%} of the legs-hidden frames; lifter alone, MPJPE mm")
    for path in a.weights:
        lifter = load_frame(path)[0]
        vis = np.concatenate([errors(lift(lifter, t["visible"]), t["xyz"]) for t in tracks])
        legs = np.concatenate([errors(lift(lifter, t["legs"]), t["xyz"]) for t in tracks])
        up_v, up_l = vis[:, UPPER].mean(), legs[:, UPPER].mean()
        cut_v, cut_l = vis[hips_cut][:, UPPER].mean(), legs[hips_cut][:, UPPER].mean()
        kept_v, kept_l = vis[~hips_cut][:, UPPER].mean(), legs[~hips_cut][:, UPPER].mean()
        print(f"{os.path.relpath(path, ROOT)}: all {vis.mean():.1f} | upper visible {up_v:.1f}, legs hidden {up_l:.1f} ({up_l / up_v:.2f}x) "
              f"| hips kept {kept_l / kept_v:.2f}x, hips cropped {cut_v:.1f} -> {cut_l:.1f} ({cut_l / cut_v:.2f}x)")


if __name__ == "__main__":
    main()
