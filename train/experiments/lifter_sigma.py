"""Experiment (issue 18, not shipped): a lifter that also predicts each joint's error, and that
prediction as the paper's "depth distribution" of the start.

    sh train/openblas.sh /usr/bin/python3 train/experiments/lifter_sigma.py weights/diffpose.safetensors \
        --steps 3000 --out train/runs/lifter-sigma.pt

The shipped lifter gets a 4th output channel, log sigma (per axis, metres; the new weights start at
zero, the bias at log 0.04) and the whole lifter is fine-tuned on the robust frame recipe with
MPJPE + lam * Gaussian NLL of its (detached) root-relative error. Then, on 2000 test-split
examples, paper init H = 8 with the start's xyz noise std per joint replaced by k * sigma:
r(sigma, error), and the spread's r, MPJPE and spread for each k against the plain paper init.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from data import Mocap, test_examples  # noqa: E402
from diffpose.diffusion import ddim, root_centre, summarize  # noqa: E402
from diffpose.export import load  # noqa: E402
from diffpose.model import GCNpose, add_sigma_output  # noqa: E402
from train import EMA, sigma_nll  # noqa: E402
from video import RobustFrameSampler  # noqa: E402


def corr(a, b):
    return float(np.corrcoef(a.flatten(), b.flatten())[0, 1])


def sigma_lifter(l3):
    """The 3-output lifter as a 4-output one whose log sigma starts at log 0.04 everywhere."""
    cfg = l3.config()
    m = GCNpose(hidden=cfg["hidden"], layers=cfg["layers"], heads=cfg["heads"], coords_in=cfg["coordsIn"], coords_out=4)
    m.load_state_dict(add_sigma_output({k: v for k, v in l3.state_dict().items() if not k.startswith("temb.")}))
    return m


def train(lifter, a):
    opt = torch.optim.Adam(lifter.parameters(), lr=a.lr)
    ema = EMA(lifter, 0.999)
    sampler = RobustFrameSampler(Mocap(os.path.join(a.data, "train.safetensors")), seed=1, mirror_prob=0.5,
                                 swap_prob=0.03, legs_reach=0.35)
    for step in range(a.steps):
        b = sampler.batch(256)
        uv, xyz, conf = (torch.from_numpy(b[k]) for k in ("uv", "xyz", "conf"))
        lifter.train()
        pred, sig = lifter.xyz_sigma(uv, conf)
        nll = sigma_nll(sig, pred, xyz)
        loss = (pred - xyz).norm(dim=-1).mean() + a.lam * nll
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lifter.parameters(), 1.0)
        opt.step()
        ema.update(lifter, step)
        if (step + 1) % 500 == 0:
            print(f"step {step + 1}: loss {loss.item():.4f} nll {nll.item():.3f}", flush=True)
    return ema.model


@torch.no_grad()
def report(lifter, denoiser, schedule, ex, ks, hypotheses=8):
    uv, conf, tgt = (torch.from_numpy(ex[k]) for k in ("uv", "conf", "xyz"))
    sig2d = torch.from_numpy(ex["sigma"])[..., None].expand(-1, 17, 2)
    xyz, s = lifter.xyz_sigma(uv, conf)
    xyz = root_centre(xyz)
    err = (xyz - tgt).norm(dim=-1)[:, 1:]
    print(f"lifter MPJPE {1000 * err.mean():.1f} mm, mean sigma {1000 * s[:, 1:].mean():.1f} mm, "
          f"r(sigma, error) {corr(s[:, 1:], err):.3f}")
    a = schedule.a64(12)
    for k in (None,) + tuple(ks):
        std = torch.full_like(s, (1 - a) ** 0.5) if k is None else k * s
        g = torch.Generator().manual_seed(0)
        hs = []
        for _ in range(hypotheses):
            uvs = uv + sig2d * torch.randn(uv.shape, generator=g)
            x_uv = a ** 0.5 * uvs + (1 - a) ** 0.5 * sig2d * torch.randn(uv.shape, generator=g)
            x_xyz = a ** 0.5 * xyz + std[..., None] * torch.randn(xyz.shape, generator=g)
            hs.append(root_centre(ddim(denoiser, schedule, torch.cat([x_uv, x_xyz], -1), [12, 0])[..., 2:]))
        mean, spread = summarize(torch.stack(hs))
        e = (mean - tgt).norm(dim=-1)[:, 1:]
        name = "paper init (xyz std sqrt(1 - a))" if k is None else f"xyz std {k} x sigma"
        print(f"  {name:34s} H{hypotheses} MPJPE {1000 * e.mean():.1f} (one hypothesis "
              f"{1000 * (hs[0] - tgt).norm(dim=-1)[:, 1:].mean():.1f}) spread {1000 * spread[:, 1:].mean():.1f} "
              f"r(spread, error) {corr(spread[:, 1:], e):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights")
    ap.add_argument("--data", default="data/prepared")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lam", type=float, default=0.02)
    ap.add_argument("--k", default="1,1.25,1.5")
    ap.add_argument("--out", default=None, help="save (or, when it exists, load) the fine-tuned lifter's state")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    l3, denoiser, schedule, _ = load(a.weights)
    denoiser.eval()
    lifter = sigma_lifter(l3)
    if a.out and os.path.exists(a.out):
        lifter.load_state_dict(torch.load(a.out))
    else:
        lifter = train(lifter, a)
        if a.out:
            torch.save(lifter.state_dict(), a.out)
    lifter.eval()
    for split, ex in (("validation (training split)", test_examples(Mocap(os.path.join(a.data, "train.safetensors")),
                                                                    limit=2000, stride=20, seed=4242)),
                      ("test split", test_examples(Mocap(os.path.join(a.data, "test.safetensors")), limit=2000))):
        print(split)
        report(lifter, denoiser, schedule, ex, [float(k) for k in a.k.split(",")])


if __name__ == "__main__":
    main()
