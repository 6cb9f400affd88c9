"""Golden fixtures for the engine's parity tests -> test/fixtures/golden/.

    /usr/bin/python3 train/fixtures.py [--out test/fixtures/golden]

Deterministic (fixed torch seed, CPU float32). See test/fixtures/golden/README.md for the layout.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffpose import safetensors_io  # noqa: E402
from diffpose.checkpoint import save_released  # noqa: E402
from diffpose.diffusion import Schedule, ddim, init_official, root_centre, summarize  # noqa: E402
from diffpose.export import export, load  # noqa: E402
from diffpose.model import GCNdiff, GCNpose, lam_laplacian, timestep_embedding  # noqa: E402
from diffpose.skeleton import TEMPLATE, adjacency, chebyshev_terms  # noqa: E402

TINY = dict(hidden=16, layers=2, heads=2)
SEED = 1234


def perturb(model, gen):
    """Give every parameter a non-trivial value (biases, LayerNorm, A_hat are trivial at init)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("A_hat"):
                p.add_(0.15 * torch.rand(p.shape, generator=gen))
            elif name.endswith("a_2"):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias") or name.endswith("b_2"):
                p.add_(0.1 * torch.randn(p.shape, generator=gen))


def tensor(t):
    a = np.asarray(t.detach().numpy() if torch.is_tensor(t) else t, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def example_uv(gen, n):
    """n plausible poses: template + jitter, yawed, projected by a simple camera -> (uv, xyz)."""
    poses = torch.tensor(TEMPLATE, dtype=torch.float32)[None].repeat(n, 1, 1)
    poses = poses + 0.04 * torch.randn(poses.shape, generator=gen)
    yaw = torch.rand(n, generator=gen) * 6.283
    c, s = torch.cos(yaw), torch.sin(yaw)
    x = c[:, None] * poses[..., 0] + s[:, None] * poses[..., 2]
    z = -s[:, None] * poses[..., 0] + c[:, None] * poses[..., 2]
    cam = torch.stack([x, 1.0 - poses[..., 1], z + 4.0], dim=-1)  # camera frame, y down
    w, h, f = 1000.0, 1000.0, 1100.0
    px = torch.stack([f * cam[..., 0] / cam[..., 2] + w / 2, f * cam[..., 1] / cam[..., 2] + h / 2], -1)
    uv = px / w * 2 - torch.tensor([1.0, h / w])
    return uv, root_centre(cam)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join("test", "fixtures", "golden"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    lifter_rel = GCNpose(**TINY, temb_block=True)  # released lifters carry an unused temb block
    denoiser = GCNdiff(**TINY)
    perturb(lifter_rel, gen)
    perturb(denoiser, gen)
    lifter = GCNpose(**TINY)
    lifter.load_state_dict({k: v for k, v in lifter_rel.state_dict().items()
                            if not k.startswith("temb.")})
    lifter.eval(), denoiser.eval(), lifter_rel.eval()
    schedule = Schedule()

    weights = os.path.join(args.out, "tiny.safetensors")
    export(weights, lifter, denoiser, schedule, source="train/fixtures.py (random, seed 1234)",
           training="none: random weights for parity tests")
    # round-trip check
    l2, d2, _, _ = load(weights)
    for a, b in ((lifter, l2), (denoiser, d2)):
        for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
            assert k == k2 and torch.equal(v, v2), k

    # released-layout checkpoints (same weights; the lifter adds temb.dense.*)
    opt = torch.optim.Adam(denoiser.parameters(), lr=2e-5)
    save_released(os.path.join(args.out, "tiny-released.pth"), denoiser,
                  optimizer_state=opt.state_dict(), epoch=3, step=42)
    opt_l = torch.optim.Adam(lifter_rel.parameters(), lr=2e-5)
    save_released(os.path.join(args.out, "tiny-released-lifter.pth"), lifter_rel,
                  optimizer_state=opt_l.state_dict(), epoch=3, step=42)

    g = {"seed": SEED, "weights": "tiny.safetensors",
         "config": json.loads(safetensors_io.read(weights)[1]["diffpose.config"]),
         "adjacency": tensor(adjacency()), "cheb": tensor(chebyshev_terms()),
         "schedule": {"betas": tensor(schedule.betas), "alphabar": tensor(schedule.alphabar)}}

    with torch.no_grad():
        # lifter
        uv, xyz_true = example_uv(gen, 3)
        trace = []
        xyz = lifter(uv, trace=trace)
        g["lifter"] = {"uv": tensor(uv), "xyz": tensor(xyz)}
        g["lifter_trace"] = {"pose": 0, **{k: tensor(v[0]) for k, v in trace}}
        g["lifter_trace"]["layer0.ffn.Lhat"] = tensor(lam_laplacian(lifter.atten_layers[0].feed_forward.A_hat))

        # denoiser on x_t with several t
        t = torch.tensor([0, 12, 25, 50])
        uv4, xyz4 = example_uv(gen, 4)
        x0 = torch.cat([uv4, xyz4], -1)
        scale = torch.cat([torch.full((4, 17, 2), 0.05), torch.ones(4, 17, 3)], -1)
        a = schedule.a(t).view(-1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=gen) * scale
        trace = []
        eps = denoiser(xt, t, trace=trace)
        g["denoiser"] = {"x": tensor(xt), "t": t.tolist(), "eps": tensor(eps)}
        g["denoiser_trace"] = {"pose": 0, "t": int(t[0]), **{k: tensor(v[0]) for k, v in trace}}
        t12 = torch.tensor([12])
        g["timestep_embedding"] = {"t": 12, "e": tensor(timestep_embedding(t12, TINY["hidden"])[0]),
                                   "temb": tensor(denoiser.step_embedding(t12)[0])}

        # full deterministic sampling: official init, timesteps [12, 0], eta 0
        lift_xyz = lifter(uv)
        x = init_official(uv, lift_xyz)
        steps = []
        out = ddim(denoiser, schedule, x, [12, 0], eta=0.0, trace=steps)
        g["sampling"] = {
            "init": "official", "timesteps": [12, 0], "eta": 0.0,
            "uv": tensor(uv), "lifter_xyz": tensor(lift_xyz), "x_init": tensor(x),
            "steps": [{"t": s[0], "eps": tensor(s[1]), "x0_hat": tensor(s[2]), "x_next": tensor(s[3])}
                      for s in steps],
            "x_final": tensor(out), "xyz": tensor(root_centre(out[..., 2:]))}

        # eta > 0 with the noise z given explicitly (one tensor per step)
        z = [torch.randn(x.shape, generator=gen) for _ in range(2)]
        out_eta = ddim(denoiser, schedule, x, [12, 0], eta=0.5, noise=z)
        g["sampling_eta"] = {"timesteps": [12, 0], "eta": 0.5, "x_init": tensor(x),
                             "z": [tensor(v) for v in z], "x_final": tensor(out_eta)}

        # paper init with the random draws given: x_K = sqrt(a_K) [uv_s, xyz] + sqrt(1-a_K) eps*scale
        uv_s = uv + 0.01 * torch.randn(uv.shape, generator=gen)
        sig = torch.full(uv.shape, 0.03)
        e = torch.randn((3, 17, 5), generator=gen)
        xk = schedule.a(12).sqrt() * init_official(uv_s, lift_xyz) + \
            (1 - schedule.a(12)).sqrt() * e * torch.cat([sig, torch.ones(3, 17, 3)], -1)
        g["paper_init"] = {"t": 12, "uv_sample": tensor(uv_s), "sigma": tensor(sig),
                           "lifter_xyz": tensor(lift_xyz), "eps": tensor(e), "x_init": tensor(xk)}

        # hypotheses -> mean and per-joint spread
        hyp = torch.randn((3, 2, 17, 3), generator=gen) * 0.05
        mean, spread = summarize(hyp)
        g["summarize"] = {"xyz_h": tensor(hyp), "mean": tensor(mean), "spread": tensor(spread)}

    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(g, f, separators=(",", ":"))
    confidence_fixture(args.out, denoiser, schedule)
    sigma_fixture(args.out, denoiser, schedule)
    mine = ("tiny.safetensors", "tiny-released.pth", "tiny-released-lifter.pth", "golden.json",
            "tiny-confidence.safetensors", "golden-confidence.json", "tiny-sigma.safetensors", "golden-sigma.json")  # fixtures_temporal.py writes the others
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in mine)
    print(f"wrote fixtures to {args.out} ({total / 1024:.0f} KiB)")
    assert total < 1_000_000


def confidence_fixture(out, denoiser, schedule):
    """A confidence-reading lifter (coords_in 3) with the tiny denoiser -> tiny-confidence.safetensors
    and golden-confidence.json (own seeds: the files above do not change)."""
    torch.manual_seed(SEED + 1)
    gen = torch.Generator().manual_seed(SEED + 1)
    lifter = GCNpose(**TINY, coords_in=3)
    perturb(lifter, gen)
    with torch.no_grad():  # the confidence column as large as the others, so it matters
        lifter.gconv_input.weight[:, :, 2].normal_(0.0, 0.5, generator=gen)
    lifter.eval()
    weights = os.path.join(out, "tiny-confidence.safetensors")
    export(weights, lifter, denoiser, schedule, source="train/fixtures.py (random, seed 1235)",
           training="none: random weights for parity tests")
    uv, _ = example_uv(gen, 5)
    conf = torch.rand((5, 17), generator=gen)
    conf[0] = 1.0  # pose 0: all sure, as an input without confidences
    with torch.no_grad():
        raw = lifter(uv, conf)
        x = ddim(denoiser, schedule, init_official(uv, raw), [12, 0], eta=0.0)
    g = {"weights": "tiny-confidence.safetensors", "uv": tensor(uv), "confidence": tensor(conf),
         "lifter_xyz": tensor(raw), "xyz": tensor(root_centre(x[..., 2:]))}
    with open(os.path.join(out, "golden-confidence.json"), "w") as f:
        json.dump(g, f, separators=(",", ":"))


def sigma_fixture(out, denoiser, schedule):
    """A lifter that also predicts its error (coords_in 3, coords_out 4: log sigma last) with the tiny
    denoiser -> tiny-sigma.safetensors and golden-sigma.json (own seeds: the files above do not change).
    The log sigma channel gets a realistic level (bias about log 0.05 m) and weights that make it vary
    by a factor of a few over joints and poses."""
    torch.manual_seed(SEED + 2)
    gen = torch.Generator().manual_seed(SEED + 2)
    lifter = GCNpose(**TINY, coords_in=3, coords_out=4)
    perturb(lifter, gen)
    with torch.no_grad():
        lifter.gconv_input.weight[:, :, 2].normal_(0.0, 0.5, generator=gen)
        lifter.gconv_output.bias[..., 3] = float(np.log(0.05))
        lifter.gconv_output.weight[..., 3].normal_(0.0, 0.05, generator=gen)
    lifter.eval()
    weights = os.path.join(out, "tiny-sigma.safetensors")
    export(weights, lifter, denoiser, schedule, source="train/fixtures.py (random, seed 1236)",
           training="none: random weights for parity tests")
    uv, _ = example_uv(gen, 5)
    conf = torch.rand((5, 17), generator=gen)
    with torch.no_grad():
        xyz, sigma = lifter.xyz_sigma(uv, conf)
        x = ddim(denoiser, schedule, init_official(uv, xyz), [12, 0], eta=0.0)
    print(f"sigma {float(sigma.min()):.4f}..{float(sigma.max()):.4f}")
    assert 3 < float(sigma.max() / sigma.min()) < 1000, "sigma should vary, within reason"
    g = {"weights": "tiny-sigma.safetensors", "uv": tensor(uv), "confidence": tensor(conf),
         "lifter_xyz": tensor(root_centre(xyz)), "sigma": tensor(sigma), "xyz": tensor(root_centre(x[..., 2:]))}
    with open(os.path.join(out, "golden-sigma.json"), "w") as f:
        json.dump(g, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
