"""Evaluate an engine weights file on the test split (PyTorch reference path).

    /usr/bin/python3 train/evaluate.py weights/diffpose.safetensors [--limit 2000] [--init paper --hypotheses 5]

MPJPE / PA-MPJPE in mm (root-relative) for the lifter alone and lifter + DDIM; with several
hypotheses also the mean per-joint spread and its correlation with the per-joint error.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Mocap, test_examples  # noqa: E402
from diffpose.diffusion import lift  # noqa: E402
from diffpose.export import load  # noqa: E402
from train import pa_mpjpe  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--data", default="data/prepared/test.safetensors")
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--init", choices=["official", "paper"], default="official")
    ap.add_argument("--timesteps", default="12,0")
    ap.add_argument("--eta", type=float, default=0.0)
    ap.add_argument("--hypotheses", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lifter, denoiser, schedule, _ = load(a.weights)
    ex = test_examples(Mocap(a.data), limit=a.limit)
    uv, tgt = torch.from_numpy(ex["uv"]), torch.from_numpy(ex["xyz"])
    n = uv.shape[0]
    sig = torch.from_numpy(ex["sigma"])[:, :, None, None].expand(n, 17, 1, 2).contiguous()
    mixture = (torch.ones(n, 17, 1), uv[:, :, None, :], sig)
    g = torch.Generator().manual_seed(a.seed)
    ts = [int(t) for t in a.timesteps.split(",")]
    conf = torch.from_numpy(ex["conf"])
    mean, spread, xyz0 = lift(lifter, denoiser, schedule, uv, ts, a.init, a.eta, a.hypotheses, mixture, g, conf)
    for name, p in (("lifter", xyz0), (f"lifter+DDIM{ts} init={a.init} eta={a.eta} H={a.hypotheses}", mean)):
        print(f"{name}: MPJPE {1000 * (p - tgt).norm(dim=-1).mean().item():.1f} mm, "
              f"PA-MPJPE {1000 * pa_mpjpe(p.numpy(), tgt.numpy()):.1f} mm  (n={n})")
    if a.hypotheses > 1:
        # The root joint left out, as the engine's eval does: its spread and error are 0 by
        # construction, and one (0, 0) pair per pose inflates r.
        err = (mean - tgt).norm(dim=-1)[:, 1:]
        spread = spread[:, 1:]
        print(f"spread: mean {1000 * spread.mean().item():.1f} mm over the 16 non-root joints, corr with error "
              f"{np.corrcoef(spread.flatten(), err.flatten())[0, 1]:.2f}")


if __name__ == "__main__":
    main()
