"""The shipped temporal model on test-split tracks at other frame rates (issue #14: users' cameras run
at 25-60 fps; the model was trained at 24-36), fed every frame or every s-th frame (stride s: s
interleaved tracks, as if the video ran s times slower), against the frame model and a centred
moving average of the same duration.

    sh train/openblas.sh /usr/bin/python3 train/experiments/frame_rates.py

Tracks as train_temporal.py's evaluation (64 frames' worth of time, one camera each, detector noise
correlated in time), the 30 fps mocap resampled by linear interpolation. MPJPE mm / acceleration
error mm/frame^2 (per frame of that rate: not comparable across rates).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import train_temporal as tt  # noqa: E402
from data import Mocap  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from video import finish, observe, track_pieces, truncate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
torch.set_num_threads(1)
test = Mocap(os.path.join(ROOT, "data", "prepared", "test.safetensors"))

def tracks_at(fps, track_s=64 / 30, seed=20231):
    """Like eval_tracks, but each piece resampled to fps (linear interpolation of the 30 fps mocap)."""
    rng = np.random.default_rng(seed)
    out = []
    for a, e, _ in track_pieces(test, int(round(track_s * 30))):
        n = e - a
        tau = np.arange(0, n - 1 + 1e-9, 30.0 / fps)
        i0 = np.floor(tau).astype(int); i1 = np.minimum(i0 + 1, n - 1); fr = (tau - i0)[:, None, None]
        P = test.poses[a:e].astype(np.float64)
        world = ((1 - fr) * P[i0] + fr * P[i1])[None]
        pc, cam, px, kp, conf, outlier = observe(world, rng, np.array([1 / fps]), swap_prob=0.0, drop_frac=0.0)
        k2, c2, w, h, o2, p2 = truncate(px, kp, conf, pc, cam, rng, np.array(["none"]))
        tr = {"visible": {k: v[0] for k, v in finish(pc, p2, k2, c2, w, h, outlier | o2).items()}}
        tr["xyz"] = tr["visible"]["xyz"]
        out.append(tr)
    return out


def load_models():
    global lifter, den, sch, model, schedule
    lifter, den, sch, _ = load_frame(os.path.join(ROOT, "weights", "diffpose.safetensors"))
    model, schedule, _ = tt.load_temporal(os.path.join(ROOT, "weights", "diffpose-temporal.safetensors"))

def sub(tracks, s, r):
    return [{"visible": {k: v[r::s] for k, v in t["visible"].items() if hasattr(v, "__len__")}, "xyz": t["xyz"][r::s]} for t in tracks]

def temporal_strided(tracks, mode, s):
    parts = [tt.temporal_predict(model, schedule, sub(tracks, s, r), "visible", mode)[0] for r in range(s)]
    out = []
    for i, t in enumerate(tracks):
        y = np.empty_like(t["xyz"])
        for r in range(s):
            y[r::s] = parts[r][i]
        out.append(y)
    return out

def main():
    load_models()
    for fps, strides in ((15, [1]), (20, [1]), (30, [1]), (60, [1, 2])):
        tracks = tracks_at(fps)
        gt = [t["xyz"] for t in tracks]
        fr = tt.frame_predict(lifter, den, sch, tracks, "visible")
        m = tt.metrics(fr, gt)
        line = f"{fps} fps ({len(tracks)} tracks): frame {m['mpjpe']:.1f} / acc {m['accel']:.2f}"
        k = max(1, round(7 * fps / 30)) | 1
        m = tt.metrics([tt.moving_average(x, k) for x in fr], gt)
        line += f" | MA{k} {m['mpjpe']:.1f} / {m['accel']:.2f}"
        for mode in tt.MODES:
            for s in strides:
                m = tt.metrics(temporal_strided(tracks, mode, s), gt)
                line += f" | {mode} stride {s}: {m['mpjpe']:.1f} / {m['accel']:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
