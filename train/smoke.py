"""CI smoke test (< 1 minute, CPU, any BLAS): self-checks, a tiny model trained for a few steps
on synthetic poses, export to the engine format, reload, sample, print checksums; then the
temporal pipeline's smoke test (smoke_temporal.py) on the same data.

    /usr/bin/python3 train/smoke.py [--data data/prepared]   (default: synthetic poses in a temp dir)
"""
import argparse
import copy
import hashlib
import os
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data as data_mod  # noqa: E402
import smoke_temporal  # noqa: E402
import test_model  # noqa: E402
import train as train_mod  # noqa: E402
from diffpose.diffusion import lift  # noqa: E402
from diffpose.export import load  # noqa: E402
from one_device import META, OneDevice  # noqa: E402


def check_device_run(tmp, data_dir, out, lifter, denoiser, schedule):
    """train/device_run.sh's frame run in small: batches from a worker process, the cosine over the
    wall time, evaluated at the start and the end; then one step's forward on the 'meta' device under
    OneDevice (a host tensor inside the step fails it, as on a GPU: there is none here)."""
    runs = os.path.join(tmp, "runs")
    train_mod.main(["--name", "smoke-device", "--runs", runs, "--data", data_dir, "--init", out,
                    "--hidden", "16", "--layers", "2", "--heads", "2", "--batch", "64", "--lifter-conf", "--lifter-sigma",
                    "--sampler-workers", "1", "--steps", "0", "--minutes", "10", "--max-steps", "4", "--warmup", "2",
                    "--eval-start", "--eval-end", "--eval-every", "1000", "--eval-size", "100", "--log-every", "2"])
    with open(os.path.join(runs, "smoke-device", "train.log")) as f:
        evals = [line for line in f if " validation step " in line]
    assert [e.split(" validation step ")[1].split(" ")[0] for e in evals] == ["0", "4"], evals
    a = train_mod.parse_args(["--name", "meta", "--lifter-conf", "--lifter-sigma"])
    a.uv0 = "detected"
    b = data_mod.Sampler(data_mod.Mocap(os.path.join(data_dir, "train.safetensors")), seed=1).batch(3)
    lm, dm = copy.deepcopy(lifter).to(META), copy.deepcopy(denoiser).to(META)
    with OneDevice():
        loss_l, _ = train_mod.lifter_loss(lm, b, a, META)
        loss_d = train_mod.denoiser_loss(dm, copy.deepcopy(schedule), b, a, META)
    assert loss_l.device == META and loss_d.device == META and loss_l.shape == loss_d.shape == ()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="prepared data folder (default: synthetic)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--keep", default=None,
                    help="folder to keep the export and PyTorch's outputs in (smoke.safetensors, smoke-outputs.json) "
                         "for the engine's parity check (test/train/smoke.test.ts)")
    args = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(1)
    test_model.main()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data
        if data_dir is None:
            data_dir = os.path.join(tmp, "data")
            os.makedirs(data_dir)
            data_mod.write_synthetic(os.path.join(data_dir, "train.safetensors"), 600, 1)
            data_mod.write_synthetic(os.path.join(data_dir, "test.safetensors"), 120, 2)
        out = os.path.join(tmp, "smoke.safetensors")
        train_mod.main(["--name", "smoke", "--runs", os.path.join(tmp, "runs"), "--data", data_dir,
                        "--hidden", "16", "--layers", "2", "--heads", "2", "--batch", "64", "--lifter-conf", "--lifter-sigma",
                        "--max-steps", str(args.steps), "--steps", str(args.steps), "--warmup", "5",
                        "--log-every", "10", "--eval-every", str(args.steps), "--eval-size", "100",
                        "--export", out])
        # resume for a few more steps
        train_mod.main(["--name", "smoke", "--runs", os.path.join(tmp, "runs"), "--data", data_dir,
                        "--resume", "--max-steps", str(args.steps + 5), "--steps", str(args.steps),
                        "--log-every", "5", "--eval-every", "1000"])
        lifter, denoiser, schedule, meta = load(out)
        check_device_run(tmp, data_dir, out, lifter, denoiser, schedule)
        ex = data_mod.test_examples(data_mod.Mocap(os.path.join(data_dir, "test.safetensors")), limit=8)
        assert lifter.coords_in == 3, "the smoke model's lifter reads confidences"
        assert lifter.coords_out == 4, "the smoke model's lifter predicts its error"
        conf = torch.from_numpy(ex["conf"])
        mean, spread, xyz0 = lift(lifter, denoiser, schedule, torch.from_numpy(ex["uv"]), conf=conf)
        sigma = lifter.xyz_sigma(torch.from_numpy(ex["uv"]), conf)[1]
        assert torch.isfinite(mean).all() and mean.shape == (8, 17, 3)
        if args.keep:
            import json
            import shutil
            os.makedirs(args.keep, exist_ok=True)
            shutil.copy(out, os.path.join(args.keep, "smoke.safetensors"))
            with open(os.path.join(args.keep, "smoke-outputs.json"), "w") as f:
                json.dump({"init": "official", "timesteps": [12, 0],
                           "uv": np.asarray(ex["uv"], dtype=np.float64).reshape(-1).tolist(),
                           "confidence": np.asarray(ex["conf"], dtype=np.float64).reshape(-1).tolist(),
                           "xyz": mean.double().reshape(-1).tolist(),
                           "sigma": sigma.double().reshape(-1).tolist()}, f)
        with open(out, "rb") as f:
            raw = f.read()
        print(f"exported {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()[:16]} (metadata includes timings)")
        for name, net in (("lifter", lifter), ("denoiser", denoiser)):
            flat = torch.cat([p.detach().reshape(-1) for p in net.state_dict().values()]).double()
            print(f"checksum {name}: params {flat.numel()} sum {flat.sum().item():.6f} abs {flat.abs().sum().item():.6f}")
        print(f"checksum sample: {mean.double().abs().sum().item():.6f} (lifter {xyz0.double().abs().sum().item():.6f})")
        # the temporal model on the same data, started from this frame model (train/smoke_temporal.py)
        smoke_temporal.main(["--frame-weights", out, "--data", data_dir] + (["--keep", args.keep] if args.keep else []))
    print(f"smoke ok in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
