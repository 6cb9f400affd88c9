"""Refit a temporal file's output-average taps by least squares (docs/temporal-model.md §20).

    sh train/openblas.sh /usr/bin/python3 train/refit_fuse_taps.py [--temporal FILE] [--mode causal] [-o OUT]

The v2 output is a learned per-joint average of 9 denoised frames (`context.<mode>.fuse`,
docs/temporal-model.md §12), learned with everything else under an acceleration term. With the
denoised poses fixed, the taps minimising the squared error plus lambda x the squared second
difference of the output are a small least-squares problem per joint. Fitted on 400
training-split tracks (`eval_tracks`, seed 99, all joints visible), for each lambda of a grid;
the 80 selection tracks of train_temporal.py (training split, seed 7) choose: the lowest MPJPE
among the lambdas whose output is at least as smooth (acceleration error) as the file's own
taps. Every row is also scored on the 123 test tracks and with the legs cropped out, for the
record; the test split never chooses. With -o, the chosen taps are written into a copy of the
file (every other tensor and the metadata kept, the training note extended); the refitted
window's radius90 calibration is dropped, since it was fitted to the old outputs: run
`diffpose calibrate --temporal` on the result.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_temporal as tt  # noqa: E402
from data import Mocap  # noqa: E402
from diffpose import safetensors_io  # noqa: E402
from video import eval_tracks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPPER = list(range(7, 17))
LAMBDAS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.75, 1.0)
FIT_TRACKS, FIT_SEED = 400, 99
CALIBRATION_KEY = {"offline": "diffpose.calibration", "causal": "diffpose.calibration.causal"}


def tap_windows(d, before, taps):
    """[T, 17, 3] -> [T, taps, 17, 3]: the denoised frames each output reads (clamped to the track)."""
    idx = (np.arange(len(d))[:, None] - before + np.arange(taps)[None]).clip(0, len(d) - 1)
    return d[idx]


def average(denoised, w, before):
    return [np.einsum("tvjc,vj->tjc", tap_windows(d, before, len(w)), w) for d in denoised]


def refit(denoised, truth, before, taps, lam):
    """Per joint: argmin_w sum |A w - y|^2 + lam |second difference of A w|^2 -> [taps, 17]."""
    w = np.zeros((taps, 17))
    for j in range(1, 17):  # the root is 0 in every root-centred pose
        ata, atb = np.zeros((taps, taps)), np.zeros(taps)
        for d, y in zip(denoised, truth):
            win = tap_windows(d, before, taps)[:, :, j]
            a = win.transpose(0, 2, 1).reshape(-1, taps)
            acc = (win[2:] - 2 * win[1:-1] + win[:-2]).transpose(0, 2, 1).reshape(-1, taps)
            ata += a.T @ a + lam * acc.T @ acc
            atb += a.T @ y[:, j].reshape(-1)
        w[:, j] = np.linalg.solve(ata + 1e-6 * np.eye(taps), atb)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--temporal", default=os.path.join(ROOT, "weights", "diffpose-temporal.safetensors"))
    ap.add_argument("--mode", choices=tt.MODES, default="causal")
    ap.add_argument("-o", "--output", help="write the file with the chosen taps here")
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, schedule, _ = tt.load_temporal(a.temporal)
    enc = getattr(model, a.mode)
    if not model.v2:
        sys.exit("a v1 file has no output average")
    taps, before = enc.fuse.shape[0], enc.fuse_padding()[0]
    train = Mocap(os.path.join(a.data, "train.safetensors"))
    sets = {"fit": eval_tracks(train, max_tracks=FIT_TRACKS, seed=FIT_SEED),
            "selection": eval_tracks(train, max_tracks=80, seed=7),
            "test": eval_tracks(Mocap(os.path.join(a.data, "test.safetensors")))}
    runs = {}
    for name, tracks in sets.items():
        for variant in ("visible", "legs") if name != "fit" else ("visible",):
            _, _, denoised = tt.temporal_predict(model, schedule, tracks, variant, a.mode, stages=True)
            runs[name, variant] = denoised
    truth = {name: [t["xyz"] for t in tracks] for name, tracks in sets.items()}

    def score(w):
        r = {}
        for name in ("selection", "test"):
            m = tt.metrics(average(runs[name, "visible"], w, before), truth[name])
            up = tt.metrics(average(runs[name, "legs"], w, before), truth[name], UPPER)["mpjpe"]
            r[name] = (m["mpjpe"], m["accel"], up)
        return r

    def show(label, r):
        print(f"{a.mode} {label:26s} " + " | ".join(
            f"{name} {m:.2f} mm / accel {acc:.2f} / legs hidden {up:.1f}" for name, (m, acc, up) in r.items()), flush=True)

    own = enc.fuse.detach().numpy().astype(np.float64)
    base = score(own)
    show("the file's taps", base)
    fits = []
    for lam in LAMBDAS:
        w = refit(runs["fit", "visible"], truth["fit"], before, taps, lam)
        fits.append((lam, w, score(w)))
        show(f"refit, lambda {lam:g}", fits[-1][2])
    smooth = [f for f in fits if f[2]["selection"][1] <= base["selection"][1]]
    chosen = min(smooth, key=lambda f: f[2]["selection"][0]) if smooth else None
    if chosen is None or chosen[2]["selection"][0] >= base["selection"][0]:
        print("no refit is both as smooth and more accurate on the selection tracks: the taps stay")
        return
    lam, w, r = chosen
    print(f"chosen: lambda {lam:g} (selection {r['selection'][0]:.2f} mm / accel {r['selection'][1]:.2f} against "
          f"{base['selection'][0]:.2f} / {base['selection'][1]:.2f})")
    if not a.output:
        return
    tensors, meta = safetensors_io.read(a.temporal)
    tensors = dict(tensors)
    tensors[f"context.{a.mode}.fuse"] = w.astype(np.float32)
    meta = dict(meta)
    meta.pop(CALIBRATION_KEY[a.mode], None)
    meta["diffpose.training"] = meta.get("diffpose.training", "") + (
        f"; then the {a.mode} output average's taps refit by least squares (train/refit_fuse_taps.py: "
        f"lambda {lam:g} on the squared acceleration, {FIT_TRACKS} training-split tracks seed {FIT_SEED}; "
        f"chosen on the selection tracks; [MPJPE mm, accel mm/frame^2, upper body legs hidden mm] after "
        f"{json.dumps({k: [round(x, 2) for x in v] for k, v in r.items()})}, "
        f"before {json.dumps({k: [round(x, 2) for x in v] for k, v in base.items()})})")
    safetensors_io.write(a.output, tensors, meta)
    print(f"wrote {a.output} (its {a.mode} radius90 calibration dropped: run diffpose calibrate --temporal)")


if __name__ == "__main__":
    main()
