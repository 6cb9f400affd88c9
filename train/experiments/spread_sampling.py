"""How the H hypotheses' start noise is drawn, and what it does to r(spread, error) (issue #18).

    sh train/openblas.sh /usr/bin/python3 train/experiments/spread_sampling.py weights/diffpose.safetensors \
        [--split validation|test] [--limit 3000] [--hypotheses 8]

The paper init draws each hypothesis' start noise independently. With H = 8 the per-joint spread
is then estimated from 8 draws, so it carries ~25% sampling noise of its own on top of what the
model says. Variants (PyTorch reference, paper init with the lifter's sigma, DDIM [12, 0]):
  iid        the paper's independent draws
  matched    per joint and channel, the H draws centred and scaled to unit sample std, so the
             start's spread is exactly the mixture's / the lifter's sigma (moment matching)
  no-uv      diagnostic: no 2D noise at all (xyz noise only)
Prints MPJPE of the hypotheses' mean and r(spread, error) over the 16 non-root joints.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from data import Mocap, test_examples  # noqa: E402
from diffpose.diffusion import ddim, moment_match, root_centre, summarize  # noqa: E402
from diffpose.export import load  # noqa: E402
from train import VALIDATION_SEED  # noqa: E402


def run(lifter, denoiser, schedule, uv, sig2d, conf, H, variant, g, t_start=12, gains=None):
    xyz0, sig = lifter.xyz_sigma(uv, conf)
    std = sig if gains is None else sig * gains
    xyz0 = root_centre(xyz0)
    a = schedule.a64(t_start)
    shape = (H,) + uv.shape[:2]
    n_uv1 = torch.randn(shape + (2,), generator=g)
    n_uv2 = torch.randn(shape + (2,), generator=g)
    n_xyz = torch.randn(shape + (3,), generator=g)
    if variant == "matched":
        n_uv1, n_uv2, n_xyz = moment_match(n_uv1), moment_match(n_uv2), moment_match(n_xyz)
    if variant == "no-uv":
        n_uv1, n_uv2 = n_uv1 * 0, n_uv2 * 0
    s = sig2d[..., None]
    outs = []
    for h in range(H):
        uv0 = uv + s * n_uv1[h]
        x = torch.cat([a ** 0.5 * uv0 + (1 - a) ** 0.5 * s * n_uv2[h], a ** 0.5 * xyz0 + std[..., None] * n_xyz[h]], -1)
        x = ddim(denoiser, schedule, x, (t_start, 0), 0.0, g)
        outs.append(root_centre(x[..., 2:]))
    return summarize(torch.stack(outs)) + (sig,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("--split", choices=("validation", "test"), default="validation")
    ap.add_argument("--limit", type=int, default=3000)
    ap.add_argument("--hypotheses", default="8")
    ap.add_argument("--variants", default="iid,matched,no-uv")
    ap.add_argument("--t-start", type=int, default=12, help="the reverse process' first timestep")
    ap.add_argument("--gains", default=None, help="17 per-joint factors on the xyz start noise")
    ap.add_argument("--fit-gains", type=int, default=0,
                    help="fit per-joint gains on this split (so that each joint's mean spread follows its mean "
                         "error), this many rounds")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lifter, denoiser, schedule, _ = load(a.weights)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if a.split == "validation":
        ex = test_examples(Mocap(os.path.join(root, "data/prepared/train.safetensors")), limit=a.limit, stride=20,
                           seed=VALIDATION_SEED)
    else:
        ex = test_examples(Mocap(os.path.join(root, "data/prepared/test.safetensors")), limit=a.limit)
    uv, tgt = torch.from_numpy(ex["uv"]), torch.from_numpy(ex["xyz"])
    sig2d, conf = torch.from_numpy(ex["sigma"]), torch.from_numpy(ex["conf"])
    gains = None if a.gains is None else torch.tensor([float(x) for x in a.gains.split(",")])
    with torch.no_grad():
        for _ in range(a.fit_gains):
            H = int(a.hypotheses.split(",")[0])
            variant = a.variants.split(",")[0]
            mean, spread, _ = run(lifter, denoiser, schedule, uv, sig2d, conf, H, variant,
                                  torch.Generator().manual_seed(0), a.t_start, gains)
            ratio = (mean - tgt).norm(dim=-1).mean(0) / spread.mean(0).clamp_min(1e-9)
            ratio[0] = 1.0
            step = ratio / ratio[1:].mean()
            gains = step if gains is None else gains * step
            gains[0] = 1.0
            print("gains " + ",".join(f"{x:.3f}" for x in gains.tolist()), flush=True)
        for H in (int(h) for h in a.hypotheses.split(",")):
            for variant in a.variants.split(","):
                mean, spread, sig = run(lifter, denoiser, schedule, uv, sig2d, conf, H, variant,
                                        torch.Generator().manual_seed(0), a.t_start, gains)
                err = (mean - tgt).norm(dim=-1)[:, 1:].flatten()
                spread, sig = spread[:, 1:].flatten(), sig[:, 1:].flatten()
                r = np.corrcoef(spread, err)[0, 1]
                print(f"{a.split} n={len(uv)} H={H} {variant:8s}: MPJPE {1000 * err.mean().item() * 16 / 17:.1f} mm, "
                      f"spread {1000 * spread.mean().item():.1f} mm, r(spread, error) {r:.3f}; r(sigma, error) "
                      f"{np.corrcoef(sig, err)[0, 1]:.3f}, r(spread, sigma) {np.corrcoef(spread, sig)[0, 1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
