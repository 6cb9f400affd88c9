"""Where the temporal test tracks' error is, and how much of it a temporal model could reach (issue #14).

    sh train/openblas.sh /usr/bin/python3 train/experiments/error_headroom.py \
        [--frame weights/diffpose.safetensors] [--temporal weights/diffpose-temporal.safetensors]

On the fixed test-split tracks of train_temporal.py's evaluation (123 tracks of up to 64 frames,
30 fps, one camera per track, official init, H = 1), for the frame model, the frame model + a
centred moving average of 7 and the temporal model's windows, the MPJPE (mm) after removing, as an
oracle, what a track shares over its frames:
  track bias       each joint's mean error over the track (a constant offset per joint and track)
  track scale      one scale per track (the person's size)
  track rotation   one rotation per track (the camera's view of the person)
and the mean absolute error per camera axis (x right, y down, z depth). Then the same models on
the detector-free 2D (the clean projections, confidence 1): the error left when the 2D is exact.
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


def mm(p, g):
    return 1000 * float(np.linalg.norm(p - g, axis=-1).mean())


def scaled(p, g):
    return p * (p * g).sum() / (p * p).sum()


def rotated(p, g):
    """p [T, 17, 3] rotated (one rotation for the whole track, no scale) onto g."""
    a, b = p.reshape(-1, 3), g.reshape(-1, 3)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    return (a @ (u @ d @ vt)).reshape(p.shape)


def report(name, pred, gt):
    p, g = np.concatenate(pred), np.concatenate(gt)
    rows = {
        "MPJPE": mm(p, g),
        "- track bias": mm(np.concatenate([x - (x - y).mean(0, keepdims=True) for x, y in zip(pred, gt)]), g),
        "track scale": mm(np.concatenate([scaled(x, y) for x, y in zip(pred, gt)]), g),
        "track rotation": mm(np.concatenate([rotated(x, y) for x, y in zip(pred, gt)]), g),
    }
    axes = np.abs(p - g).mean((0, 1)) * 1000
    print(f"  {name:<28s} " + " | ".join(f"{k} {v:5.1f}" for k, v in rows.items())
          + f" | |error| x {axes[0]:.1f} y {axes[1]:.1f} z {axes[2]:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frame", default=os.path.join(ROOT, "weights", "diffpose.safetensors"))
    ap.add_argument("--temporal", default=os.path.join(ROOT, "weights", "diffpose-temporal.safetensors"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tracks = eval_tracks(Mocap(os.path.join(a.data, "test.safetensors")))
    gt = [t["xyz"] for t in tracks]
    for t in tracks:
        v = t["visible"]
        ones = np.ones_like(v["conf"])
        t["clean"] = {"uv": v["uv_clean"], "conf": ones,
                      "kp": np.concatenate([v["uv_clean"], ones[..., None]], -1).astype(np.float32)}
    lifter, den, sch, _ = load_frame(a.frame)
    model, schedule, _ = tt.load_temporal(a.temporal)
    for variant, title in (("visible", "with the detector noise"), ("clean", "exact 2D (clean projections, confidence 1)")):
        print(f"{len(tracks)} test tracks, {title}:")
        frame = tt.frame_predict(lifter, den, sch, tracks, variant)
        report("frame", frame, gt)
        report("frame + moving average 7", [tt.moving_average(x, 7) for x in frame], gt)
        for mode in tt.MODES:
            report(f"temporal {mode}", tt.temporal_predict(model, schedule, tracks, variant, mode)[0], gt)


if __name__ == "__main__":
    main()
