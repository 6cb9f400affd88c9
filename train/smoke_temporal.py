"""Smoke test of the temporal pipeline (a few seconds, tiny model, synthetic poses); smoke.py runs it.

    /usr/bin/python3 train/smoke_temporal.py --frame-weights <tiny frame export> --data <synthetic folder> [--keep dir]

Trains both encoders and the FiLM denoiser for a few steps (with a resume), evaluates against the
frame model and its smoothers, exports, reloads, and checks the properties docs/temporal-model.md
promises: at initialisation the start pose is the frame lifter's (delta = 0) and FiLM zero;
whole-track output == a per-frame window with clamped indices (the streaming form), causal outputs
independent of later frames, one-frame tracks, start = root_centre(lifter(uv)) + delta, zero FiLM ==
the frame denoiser. With --keep it writes smoke-temporal.safetensors and
smoke-temporal-outputs.json (inputs, start poses and their lifter / delta parts, FiLM, DDIM [12, 0]
output) for an engine parity test.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train_temporal as tt  # noqa: E402
from data import Mocap  # noqa: E402
from diffpose.diffusion import Schedule, root_centre  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from video import eval_tracks  # noqa: E402


@torch.no_grad()
def check_encoder(enc, kp):
    """kp [T, 17, 3]: whole track vs per-frame clamped windows; causality; a one-frame track."""
    xyz, film = enc(kp[None])
    t = kp.shape[0]
    before, after = enc.padding()
    for i in (0, 1, t // 2, t - 1):
        idx = torch.arange(i - before, i + after + 1).clamp(0, t - 1)
        x1, f1 = enc.forward_window(kp[idx][None])
        assert torch.allclose(x1[0, 0], xyz[0, i], atol=1e-5) and torch.allclose(f1[0, 0], film[0, i], atol=1e-5)
    if enc.causal:
        k2 = kp.clone()
        k2[t // 2 + 1:] += 0.3
        x2, _ = enc(k2[None])
        assert torch.allclose(x2[0, :t // 2 + 1], xyz[0, :t // 2 + 1], atol=1e-6), "causal output sees the future"
    x3, f3 = enc(kp[:1][None])
    assert x3.shape == (1, 1, 17, 3) and f3.shape[:2] == (1, 1) and torch.isfinite(x3).all()
    return xyz[0], film[0]


@torch.no_grad()
def check_model(model, mode, kp):
    """TemporalModel.start_film: whole track vs padded windows; start = lifter part + delta."""
    start, film, base, delta = model.start_film(mode, kp[None], parts=True)
    assert torch.allclose(start, base + delta) and torch.allclose(base[0], root_centre(model.lifter(kp[:, :, :2])), atol=1e-6)
    t = kp.shape[0]
    before, after = model.encoder(mode).padding()
    for i in (0, t // 2, t - 1):
        idx = torch.arange(i - before, i + after + 1).clamp(0, t - 1)
        s1, f1 = model.start_film(mode, kp[idx][None], padded=True)
        assert torch.allclose(s1[0, 0], start[0, i], atol=1e-5) and torch.allclose(f1[0, 0], film[0, i], atol=1e-5)
    return start[0], film[0], base[0], delta[0]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--frame-weights", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--keep", default=None)
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    # at initialisation the temporal model is the frame model: start = the lifter's, FiLM = 0
    lifter, den, _, _ = load_frame(args.frame_weights)
    fresh = tt.TemporalModel(den, 16, (1, 3), True, lifter)
    kp0 = torch.rand(9, 17, 3)
    for mode in tt.MODES:
        s0, f0, _, d0 = check_model(fresh, mode, kp0)
        assert torch.equal(s0, root_centre(lifter(kp0[:, :, :2]))) and not f0.any() and not d0.any()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "temporal.safetensors")
        common = ["--name", "smoke", "--runs", os.path.join(tmp, "runs"), "--data", args.data,
                  "--init", args.frame_weights, "--frame-weights", args.frame_weights,
                  "--eval-tracks", "3", "--tune-tracks", "2", "--log-every", "4"]
        tt.main(common + ["--channels", "16", "--dilations", "1,3", "--batch", "6", "--frames", "6",
                          "--diff-batch", "24", "--max-steps", str(args.steps), "--steps", str(args.steps),
                          "--warmup", "3", "--eval-every", str(args.steps), "--export", out,
                          "--card", os.path.join(tmp, "card.md")])
        tt.main(common + ["--resume", "--max-steps", str(args.steps + 3), "--steps", str(args.steps),
                          "--eval-every", "1000"])
        rows = tt.main(["--eval-only", "--data", args.data, "--frame-weights", args.frame_weights,
                        "--temporal-weights", out, "--eval-tracks", "3", "--tune-tracks", "2"])
        assert all(np.isfinite(r["mpjpe"]) for r in rows.values()) and "temporal causal" in rows
        model, schedule, meta = tt.load_temporal(out)
        cfg = json.loads(meta["diffpose.config"])
        assert cfg["lifter"] == lifter.config() and model.lifter is not None
        assert cfg["temporal"]["causal"]["pad"] == [10, 0] and cfg["temporal"]["offline"]["pad"] == [5, 5]
        track = eval_tracks(Mocap(os.path.join(args.data, "test.safetensors")), max_tracks=1)[0]["visible"]
        kp = torch.from_numpy(track["kp"][:20])
        res = {"timesteps": [12, 0], "init": "official", "kp": kp.double().reshape(-1).tolist()}
        for mode in tt.MODES:
            delta, film = check_encoder(model.encoder(mode), kp)
            xyz, film2, base, delta2 = check_model(model, mode, kp)
            assert torch.equal(delta, delta2) and torch.equal(film, film2) and delta.abs().max() > 0
            final, start = tt.temporal_predict(model, schedule, [{"xyz": track["xyz"][:20], "v": {
                "kp": track["kp"][:20], "uv": track["uv"][:20]}}], "v", mode)
            assert np.allclose(start[0], xyz.numpy(), atol=1e-6) and np.isfinite(final[0]).all()
            res[mode] = {"start": xyz.double().reshape(-1).tolist(), "film": film.double().reshape(-1).tolist(),
                         "delta": delta.double().reshape(-1).tolist(), "lifter_start": base.double().reshape(-1).tolist(),
                         "xyz": np.asarray(final[0], np.float64).reshape(-1).tolist()}
        # zero FiLM is the frame denoiser
        d = model.denoiser
        x = torch.randn(4, 17, 5)
        t = torch.tensor([0, 5, 12, 50])
        zero = torch.zeros(4, d.layers, 2, d.hidden)
        with torch.no_grad():
            assert torch.equal(d(x, t), d(x, t, film=zero))
            assert not torch.allclose(d(x, t), d(x, t, film=zero + 0.5))
        assert Schedule().config() == cfg["diffusion"]
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            shutil.copy(out, os.path.join(args.keep, "smoke-temporal.safetensors"))
            with open(os.path.join(args.keep, "smoke-temporal-outputs.json"), "w") as f:
                json.dump(res, f)
    print("temporal smoke ok")


if __name__ == "__main__":
    main()
