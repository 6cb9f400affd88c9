"""Low frame rates (issue #14's live use: browser webcams drop to 15-20 fps in low light; the
temporal model was trained at 20-60): the shipped temporal model on test-split tracks at 15 and
20 fps, fed the frames as they are or with the 2D upsampled in time (u new frames between two
real ones, linear in u, v, each joint's confidence the lower of the two frames': causal-compatible, a push only needs its previous
frame), outputs read at the real frames.

    sh train/openblas.sh /usr/bin/python3 train/experiments/low_fps.py [rates, default 15,20]

MPJPE mm / acceleration error mm/frame^2 (per real frame) against the frame model.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import frame_rates as fr  # noqa: E402
import train_temporal as tt  # noqa: E402


def upsampled(track, u):
    """The track with u linearly interpolated frames between each two; the real frames at ::u + 1."""
    v = track["visible"]
    T = len(v["uv"])
    tau = np.arange(0, (T - 1) * (u + 1) + 1) / (u + 1)
    i0 = np.floor(tau).astype(int)
    i1 = np.minimum(i0 + 1, T - 1)
    a = (tau - i0).astype(np.float32)

    def lerp(x):
        w = a.reshape((-1,) + (1,) * (x.ndim - 1))
        return ((1 - w) * x[i0] + w * x[i1]).astype(np.float32)

    out = {k: lerp(v[k]) for k in ("uv", "xyz")}
    # An interpolated joint is as sure as the less sure of its two frames (a dropped joint's
    # placeholder position must not gain confidence half-way to a detected one).
    out["conf"] = np.where(a[:, None] == 0, v["conf"][i0], np.minimum(v["conf"][i0], v["conf"][i1])).astype(np.float32)
    out["kp"] = np.concatenate([out["uv"], out["conf"][..., None]], -1)
    return {"visible": out, "xyz": out["xyz"]}


def main():
    rates = [float(r) for r in (sys.argv[1].split(",") if len(sys.argv) > 1 else ["15", "20"])]
    fr.load_models()
    for fps in rates:
        tracks = fr.tracks_at(fps)
        gt = [t["xyz"] for t in tracks]
        frame = tt.frame_predict(fr.lifter, fr.den, fr.sch, tracks, "visible")
        m = tt.metrics(frame, gt)
        line = f"{fps:g} fps ({len(tracks)} tracks): frame {m['mpjpe']:.1f} / {m['accel']:.2f}"
        for mode in tt.MODES:
            for u in (0, 1, 2):
                up = [upsampled(t, u) for t in tracks]
                pred = tt.temporal_predict(fr.model, fr.schedule, up, "visible", mode)[0]
                m = tt.metrics([p[:: u + 1] for p in pred], gt)
                line += f" | {mode} x{u + 1}: {m['mpjpe']:.1f} / {m['accel']:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
