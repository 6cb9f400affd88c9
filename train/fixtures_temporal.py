"""Golden fixtures of the temporal model for the engine's parity tests -> test/fixtures/golden/.

    /usr/bin/python3 train/fixtures_temporal.py [--out test/fixtures/golden]               # v1
    /usr/bin/python3 train/fixtures_temporal.py --design v2 --out DIR                       # v2 (§12)

A tiny temporal model (docs/temporal-model.md): the lifter and the denoiser of tiny.safetensors
(hidden 16, 2 layers; the denoiser with FiLM), offline and causal encoders of 12 channels with the
shipped dilations (3, 9), every encoder parameter random (the FiLM and pose heads are NOT zero, as
they are at the start of training). Start pose = root_centre(lifter(uv)) + delta (the pose head).
Deterministic (torch seed 4321, CPU float32). Files: tiny-temporal.safetensors and
golden-temporal.json (layout in README.md there).

--design v2 (docs/temporal-model.md §12; files tiny-temporal-v2.safetensors, golden-temporal-v2.json,
so the v1 files are never overwritten): the encoders read (u, v, c, lifter xyz), 102 channels; the
start average [27, 17] and the output average (fuse radius 3: [7, 17], pads 3/3 offline, 6/0
causal) are moving averages plus random per-joint noise, so that neither is symmetric nor uniform
over the joints. Per mode also `average_start` (the start average of the lifter outputs),
`denoised` (DDIM output before the output average) and `xyz` (after it); top-level `lifted` (the
root-centred lifter output of every frame).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from diffpose.diffusion import Schedule, ddim, init_official, root_centre  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from diffpose.temporal import moving_average_taps, normalise_frames  # noqa: E402
from fixtures import example_uv, tensor  # noqa: E402
from train_temporal import (MODES, TemporalModel, export_temporal, load_temporal, make_config,  # noqa: E402
                            temporal_predict)

SEED = 4321
DELTA_SIZE = 0.03  # mean |delta| (m) on the fixture's track


def track(gen, n):
    """n frames of one moving person: (u, v, confidence) [n, 17, 3]; a few joints unsure or lost."""
    uv, _ = example_uv(gen, 1)
    drift = torch.linspace(0, 1, n)[:, None, None] * torch.tensor([0.2, -0.05])
    wobble = 0.01 * torch.randn((n, 17, 2), generator=gen)
    conf = 0.5 + 0.5 * torch.rand((n, 17, 1), generator=gen)
    conf[n // 3:n // 2, 3] = 0.0  # a lost ankle for a few frames
    return torch.cat([uv + drift + wobble, conf], -1)


FUSE_RADIUS = 3  # v2 fixture: output average over 7 denoised frames


def randomise(model, gen):
    """Every encoder parameter random; the v2 averages a moving average (7 frames start, 3 output)
    plus per-joint noise."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith((".average", ".fuse")):
                enc = model.encoder(name.split(".")[0])
                k = 7 if name.endswith(".average") else 3
                p.copy_(moving_average_taps(p.shape[0], k, enc.causal) + 0.05 * torch.randn(p.shape, generator=gen))
            elif not name.startswith(("denoiser.", "lifter.")):
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))


def v2_outputs(model, schedule, mode, kp):
    """v2 extras of one mode: average_start, denoised and fused xyz, for the track and its first frame."""
    out = {}
    for key, k in (("", kp), ("one_frame_", kp[:1])):
        start, film, base, delta = model.start_film(mode, k[None], parts=True)
        final, _, denoised = temporal_predict(model, schedule, [{"xyz": k[..., :3].numpy(), "v": {
            "kp": k.numpy(), "uv": k[..., :2].numpy()}}], "v", mode, stages=True)
        out.update({key + "average_start": tensor(base[0]), key + "denoised": tensor(torch.from_numpy(denoised[0])),
                    key + "xyz": tensor(torch.from_numpy(final[0]))})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "test", "fixtures", "golden"))
    ap.add_argument("--design", choices=("v1", "v2"), default="v1")
    ap.add_argument("--frame-weights", default=None, help="the tiny frame model (default: OUT/tiny.safetensors)")
    args = ap.parse_args()
    v2 = args.design == "v2"
    suffix = "-v2" if v2 else ""
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    lifter, denoiser, schedule, _ = load_frame(args.frame_weights or os.path.join(args.out, "tiny.safetensors"))
    model = TemporalModel(denoiser, channels=12, dilations=(3, 9), normalise=True, lifter=lifter, lifted=v2,
                          fuse_radius=FUSE_RADIUS if v2 else 0)
    randomise(model, gen)
    kp = track(gen, 20)
    with torch.no_grad():  # scale each pose head so that delta is about as large as the lifter's start
        for mode in MODES:  # pose (mean |.| 0.03 m), so that both parts of the start pose are checked
            enc = model.encoder(mode)
            k = DELTA_SIZE / model.start_film(mode, kp[None], parts=True)[3].abs().mean()
            enc.pose.weight.mul_(k)
            enc.pose.bias.mul_(k)
    path = os.path.join(args.out, f"tiny-temporal{suffix}.safetensors")
    sd = {k: v for k, v in model.state_dict().items()}
    export_temporal(path, sd, make_config(model, schedule), source="train/fixtures_temporal.py (random, seed 4321)",
                    training="none: random weights for parity tests")
    model, schedule, _ = load_temporal(path)  # exactly what the file holds

    out = {"seed": SEED, "weights": os.path.basename(path), "track": tensor(kp),
           "normalised": tensor(normalise_frames(kp)), "timesteps": [12, 0], "init": "official"}
    if v2:  # (v1's file stays byte-identical to the committed one)
        out["design"] = "v2"
    x = torch.randn((4, 17, 5), generator=gen) * 0.3
    t = torch.tensor([0, 12, 25, 50])
    film = 0.5 * torch.randn((4, model.denoiser.layers, 2, model.denoiser.hidden), generator=gen)
    with torch.no_grad():
        out["denoiser"] = {"x": tensor(x), "t": t.tolist(), "film": tensor(film), "eps": tensor(model.denoiser(x, t, film=film))}
        for mode in MODES:
            xyz, f, base, delta = model.start_film(mode, kp[None], parts=True)
            one_xyz, one_f, _, one_delta = model.start_film(mode, kp[:1][None], parts=True)
            uv = kp[..., :2]
            final = ddim(lambda x_, t_: model.denoiser(x_, t_, film=f[0]), schedule,
                         init_official(uv, xyz[0]), [12, 0], eta=0.0)
            out[mode] = {"start": tensor(xyz[0]), "film": tensor(f[0]), "xyz": tensor(root_centre(final[..., 2:])),
                         "delta": tensor(delta[0]), "lifter_start": tensor(base[0]),
                         "one_frame_start": tensor(one_xyz[0]), "one_frame_film": tensor(one_f[0]),
                         "one_frame_delta": tensor(one_delta[0])}
            if v2:  # start = average_start + delta; xyz = the output average of denoised
                out[mode].update(v2_outputs(model, schedule, mode, kp))
                del out[mode]["lifter_start"]
        if v2:
            out["lifted"] = tensor(model.lifter_start(kp))
    name = f"golden-temporal{suffix}.json"
    with open(os.path.join(args.out, name), "w") as fh:
        json.dump(out, fh)
    print(f"wrote {path} and {name}")


if __name__ == "__main__":
    main()
