"""Smoke test of the temporal pipeline (a few seconds, tiny model, synthetic poses); smoke.py runs it.

    /usr/bin/python3 train/smoke_temporal.py --frame-weights <tiny frame export> --data <synthetic folder> [--keep dir]

For both designs (v1, and v2 of docs/temporal-model.md §12): trains both encoders and the FiLM
denoiser for a few steps (with a resume), evaluates against the frame model and its smoothers,
exports, reloads, and checks the properties docs/temporal-model.md promises: at initialisation the
start pose is the frame lifter's (v1) / the moving average of the lifter's outputs (v2), delta = 0,
FiLM zero, and (v2) the output the moving average of the denoised poses; whole-track output == a
per-frame window with clamped indices (the streaming form), causal outputs independent of later
frames, one-frame tracks, start = base + delta, zero FiLM == the frame denoiser. With --keep it
writes smoke-temporal[-v2].safetensors and smoke-temporal[-v2]-outputs.json (inputs, start poses
and their base / delta parts, FiLM, DDIM [12, 0] output; v2 also the lifter outputs and the denoised
poses before the output average) for an engine parity test.
"""
import argparse
import copy
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
from one_device import META, OneDevice  # noqa: E402
from diffpose.diffusion import Schedule, root_centre  # noqa: E402
from diffpose.export import load as load_frame  # noqa: E402
from diffpose.model import without_sigma  # noqa: E402
from video import WindowSampler, eval_tracks  # noqa: E402


@torch.no_grad()
def check_encoder(enc, kp, lifted=None):
    """kp [T, 17, 3] (v2: lifted [1, T, 17, 3]): whole track vs per-frame clamped windows; causality;
    a one-frame track."""
    xyz, film = enc(kp[None], lifted)
    t = kp.shape[0]
    before, after = enc.padding()
    for i in (0, 1, t // 2, t - 1):
        idx = torch.arange(i - before, i + after + 1).clamp(0, t - 1)
        x1, f1 = enc.forward_window(kp[idx][None], lifted=None if lifted is None else lifted[:, idx])
        assert torch.allclose(x1[0, 0], xyz[0, i], atol=1e-5) and torch.allclose(f1[0, 0], film[0, i], atol=1e-5)
    if enc.causal:
        k2 = kp.clone()
        k2[t // 2 + 1:] += 0.3
        l2 = None if lifted is None else lifted.clone()
        if l2 is not None:
            l2[:, t // 2 + 1:] += 0.3
        x2, _ = enc(k2[None], l2)
        assert torch.allclose(x2[0, :t // 2 + 1], xyz[0, :t // 2 + 1], atol=1e-6), "causal output sees the future"
    x3, f3 = enc(kp[:1][None], None if lifted is None else lifted[:, :1])
    assert x3.shape == (1, 1, 17, 3) and f3.shape[:2] == (1, 1) and torch.isfinite(x3).all()
    return xyz[0], film[0]


def clamped_average(x, taps, before):
    """Reference of the v2 averages: out[t] = sum_k taps[k, joint] * x[clamp(t - before + k)]; x [T, 17, 3]."""
    t = x.shape[0]
    out = torch.zeros_like(x)
    for k in range(taps.shape[0]):
        out += taps[k][:, None] * x[(torch.arange(t) - before + k).clamp(0, t - 1)]
    return out


@torch.no_grad()
def check_model(model, mode, kp):
    """TemporalModel.start_film: whole track vs padded windows; start = base + delta, base = the
    lifter's output (v1) or its learned average over the window (v2)."""
    start, film, base, delta = model.start_film(mode, kp[None], parts=True)
    lifted = root_centre(model.lifter(kp[:, :, :2], kp[:, :, 2]))
    enc = model.encoder(mode)
    ref = clamped_average(lifted, enc.average, enc.padding()[0]) if enc.lifted else lifted
    assert torch.allclose(start, base + delta) and torch.allclose(base[0], ref, atol=1e-6)
    t = kp.shape[0]
    before, after = model.encoder(mode).padding()
    for i in (0, t // 2, t - 1):
        idx = torch.arange(i - before, i + after + 1).clamp(0, t - 1)
        s1, f1 = model.start_film(mode, kp[idx][None], padded=True)
        assert torch.allclose(s1[0, 0], start[0, i], atol=1e-5) and torch.allclose(f1[0, 0], film[0, i], atol=1e-5)
    if enc.lifted and enc.causal:  # the start pose (lifter average) sees no later frame either
        k2 = kp.clone()
        k2[t // 2 + 1:] += 0.3
        assert torch.allclose(model.start_film(mode, k2[None])[0][0, :t // 2 + 1], start[0, :t // 2 + 1], atol=1e-6)
    return start[0], film[0], base[0], delta[0]


@torch.no_grad()
def check_fuse(enc, denoised):
    """v2 output average: whole track == the clamped-index reference; causal: no later frame."""
    t = denoised.shape[0]
    fused = enc.fuse_track(denoised[None])[0]
    assert torch.allclose(fused, clamped_average(denoised, enc.fuse, enc.fuse_padding()[0]), atol=1e-6)
    if enc.causal:
        d2 = denoised.clone()
        d2[t // 2 + 1:] += 0.3
        assert torch.allclose(enc.fuse_track(d2[None])[0, :t // 2 + 1], fused[:t // 2 + 1], atol=1e-6)
    return fused


# The tiny training shape of every smoke run: encoder size, batch and loss sizes.
TINY = ["--channels", "16", "--dilations", "1,3", "--batch", "6", "--frames", "6", "--fuse-radius", "2",
        "--final-windows", "2", "--diff-batch", "24"]


def check_fresh(args, design):
    """At initialisation the temporal model is the frame model (v1) or the moving averages of its
    lifter's outputs (start) and of the denoised poses (output) (v2): delta = 0, FiLM = 0."""
    lifter, den, schedule, _ = load_frame(args.frame_weights)
    v2 = design == "v2"
    fresh = tt.TemporalModel(den, 16, (1, 3), True, lifter, v2, 2, (3, 3), (3, 2))
    kp0 = torch.rand(9, 17, 3)
    lifted = root_centre(lifter(kp0[:, :, :2], kp0[:, :, 2])).detach()
    for mode in tt.MODES:
        s0, f0, _, d0 = check_model(fresh, mode, kp0)
        causal = mode == "causal"
        ref = lifted
        if v2:  # start: 3-frame moving average, centred offline, trailing causal, indices clamped to the track
            ref = sum(lifted[(torch.arange(9) + o).clamp(0, 8)] for o in ((-2, -1, 0) if causal else (-1, 0, 1))) / 3
        assert torch.allclose(s0, ref, atol=1e-6) and not f0.any() and not d0.any()
        if v2:
            final, start, denoised = tt.temporal_predict(fresh, schedule, [{"xyz": lifted.numpy(), "v": {
                "kp": kp0.numpy(), "uv": kp0[..., :2].numpy()}}], "v", mode, stages=True)
            d = torch.from_numpy(denoised[0])  # output: 3-frame centred offline, 2-frame trailing causal
            ref = (d[(torch.arange(9) - 1).clamp(0, 8)] + d) / 2 if causal else \
                sum(d[(torch.arange(9) + o).clamp(0, 8)] for o in (-1, 0, 1)) / 3
            assert torch.allclose(torch.from_numpy(final[0]), ref, atol=1e-6)


def train_and_check(args, design, tmp, lifter):
    """A few training steps (+ a resume), the eval table, export, reload, and the model checks ->
    (weights file, outputs for an engine parity test)."""
    out = os.path.join(tmp, f"temporal-{design}.safetensors")
    common = ["--name", f"smoke-{design}", "--runs", os.path.join(tmp, "runs"), "--data", args.data,
              "--init", args.frame_weights, "--frame-weights", args.frame_weights, "--design", design,
              "--eval-tracks", "3", "--tune-tracks", "2", "--log-every", "4"]
    tt.main(common + TINY + ["--start-avg", "3,2", "--max-steps", str(args.steps),
                      "--steps", str(args.steps), "--warmup", "3", "--eval-every", str(args.steps), "--export", out,
                      "--card", os.path.join(tmp, "card.md")])
    # The resume draws its windows in worker processes and evaluates when it stops (the GPU script's way).
    tt.main(common + ["--resume", "--max-steps", str(args.steps + 3), "--steps", str(args.steps),
                      "--eval-every", "1000", "--sampler-workers", "2", "--eval-end"])
    history = torch.load(os.path.join(tmp, "runs", f"smoke-{design}", "last.pt"), weights_only=False)["history"]
    assert history[-1]["step"] == args.steps + 3 and "eval" in history[-1], "--eval-end did not evaluate"
    rows = tt.main(["--eval-only", "--data", args.data, "--frame-weights", args.frame_weights,
                    "--temporal-weights", out, "--eval-tracks", "3", "--tune-tracks", "2"])
    assert all(np.isfinite(r["mpjpe"]) for r in rows.values()) and "temporal causal" in rows
    model, schedule, meta = tt.load_temporal(out)
    cfg = json.loads(meta["diffpose.config"])
    assert cfg["lifter"] == lifter.config() and model.lifter is not None and model.v2 == (design == "v2")
    tc = cfg["temporal"]
    assert tc["causal"]["pad"] == [10, 0] and tc["offline"]["pad"] == [5, 5]
    if design == "v2":
        assert tc["offline"]["inputs"] == 102 and tc["causal"]["start"] == "lifter-average"
        assert tc["offline"]["fuse"] == {"window": 5, "pad": [2, 2]} and tc["causal"]["fuse"]["pad"] == [4, 0]
    else:
        assert tc["offline"]["inputs"] == 51 and "start" not in tc["offline"] and "fuse" not in tc["offline"]
    track = eval_tracks(Mocap(os.path.join(args.data, "test.safetensors")), max_tracks=1)[0]["visible"]
    kp = torch.from_numpy(track["kp"][:20])
    flat = lambda x: np.asarray(x, np.float64).reshape(-1).tolist()  # noqa: E731
    res = {"design": design, "timesteps": [12, 0], "init": "official", "kp": flat(kp)}
    if design == "v2":
        with torch.no_grad():
            res["lifted"] = flat(model.lifter_start(kp))
    for mode in tt.MODES:
        enc = model.encoder(mode)
        lifted = model.lifter_start(kp[None]).detach() if enc.lifted else None
        delta, film = check_encoder(enc, kp, lifted)
        xyz, film2, base, delta2 = check_model(model, mode, kp)
        # (start_film runs the lifter on the edge-padded track, a batch of another size: the last bits may differ)
        assert torch.allclose(delta, delta2, atol=1e-6) and torch.allclose(film, film2, atol=1e-6)
        assert delta.abs().max() > 0
        final, start, denoised = tt.temporal_predict(model, schedule, [{"xyz": track["xyz"][:20], "v": {
            "kp": track["kp"][:20], "uv": track["uv"][:20]}}], "v", mode, stages=True)
        assert np.allclose(start[0], xyz.numpy(), atol=1e-6) and np.isfinite(final[0]).all()
        res[mode] = {"start": flat(xyz), "film": flat(film), "delta": flat(delta),
                     ("average_start" if enc.lifted else "lifter_start"): flat(base), "xyz": flat(final[0])}
        if enc.lifted:
            check_fuse(enc, torch.from_numpy(denoised[0]))
            res[mode]["denoised"] = flat(denoised[0])
        else:
            assert np.array_equal(final[0], denoised[0])
    assert Schedule().config() == cfg["diffusion"]
    check_deeper(model, schedule, out, track)
    check_device_placement(model, schedule, args)
    if design == "v2":
        check_one_mode(args, tmp, out, common)
    return out, res, model


def check_one_mode(args, tmp, path, common):
    """--modes causal --freeze-denoiser from an exported file: the causal encoder trains, the offline
    encoder, the denoiser and the lifter stay bit for bit (raw and EMA weights)."""
    runs = os.path.join(tmp, "runs-causal")
    one = ["--runs", runs, "--init", path, "--init-temporal", path, "--design", "v2", "--freeze-lifter"] + TINY + [
        "--steps", "10", "--warmup", "1", "--eval-every", "1000"]
    last = os.path.join(runs, common[1], "last.pt")
    tt.main(common + one + ["--max-steps", "0"])
    before = torch.load(last, weights_only=False)["model"]
    tt.main(common + one + ["--resume", "--max-steps", "3", "--modes", "causal", "--freeze-denoiser"])
    after = torch.load(last, weights_only=False)
    for state in (after["model"], after["ema"]):
        moved = {k.split(".")[0] for k in before if not torch.equal(before[k], state[k])}
        assert moved == {"causal"}, f"--modes causal --freeze-denoiser moved {sorted(moved)}"


def check_deeper(model, schedule, path, track):
    """--init-temporal into an encoder with one block more: step 0 lifts exactly as the file."""
    enc = model.offline
    deeper = tt.TemporalModel(copy.deepcopy(model.denoiser), enc.channels, enc.dilations + (9,), enc.normalise,
                              model.lifter, enc.lifted, enc.fuse_radius, (5, 5), (1, 1))
    tt.init_from_temporal(deeper, path, lambda msg: None)
    t = {"xyz": track["xyz"][:20], "v": {"kp": track["kp"][:20], "uv": track["uv"][:20]}}
    for mode in tt.MODES:
        assert deeper.encoder(mode).receptive_field > model.encoder(mode).receptive_field
        a, b = (tt.temporal_predict(m, schedule, [t], "v", mode)[0][0] for m in (model, deeper))
        assert np.allclose(a, b, atol=1e-6), (mode, np.abs(a - b).max())


def check_device_placement(model, schedule, args):
    """One training step's forward (start-pose and fused-output losses, the diffusion term) with the
    model and the batch on PyTorch's 'meta' device (shapes, no data) under OneDevice: a tensor made
    on the host inside the step and used with the model's fails here, as it would on a GPU
    (train/device_run.sh; there is no GPU here). The backward pass is autograd's and needs no check."""
    a = tt.parse_args(["--frames", "6", "--final-windows", "2", "--diff-batch", "24", "--batch", "3"])
    dev = META
    m, sch = copy.deepcopy(model).to(dev), copy.deepcopy(schedule)
    frames, first = tt.grid(m, a)
    b = WindowSampler(Mocap(os.path.join(args.data, "train.safetensors")), seed=1).batch(a.batch, frames, first, a.frames)
    out = slice(first, first + a.frames)
    kp = torch.from_numpy(b["kp"]).to(dev)
    target, valid = (torch.from_numpy(b[k][:, out]).to(dev) for k in ("xyz", "valid"))
    with OneDevice():
        if m.v2:
            loss, _, films = tt.v2_losses(m, sch, kp, target, valid, b["index"], first, a)
        else:
            loss, _, films = tt.v1_losses(m, kp, target, valid, first, a)
        loss = loss + tt.diffusion_term(m, sch, b, films, first, a)
    assert loss.device == dev and loss.shape == ()


def check_zero_film(d):
    """zero FiLM is the frame denoiser."""
    x = torch.randn(4, 17, 5)
    t = torch.tensor([0, 5, 12, 50])
    zero = torch.zeros(4, d.layers, 2, d.hidden)
    with torch.no_grad():
        assert torch.equal(d(x, t), d(x, t, film=zero))
        assert not torch.allclose(d(x, t), d(x, t, film=zero + 0.5))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--frame-weights", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--designs", default="v1,v2")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    lifter = without_sigma(load_frame(args.frame_weights)[0])  # as train_temporal.py takes it
    for design in args.designs.split(","):
        check_fresh(args, design)
        with tempfile.TemporaryDirectory() as tmp:
            out, res, model = train_and_check(args, design, tmp, lifter)
            check_zero_film(model.denoiser)
            if args.keep:
                suffix = "" if design == "v1" else "-" + design
                os.makedirs(args.keep, exist_ok=True)
                shutil.copy(out, os.path.join(args.keep, f"smoke-temporal{suffix}.safetensors"))
                with open(os.path.join(args.keep, f"smoke-temporal{suffix}-outputs.json"), "w") as f:
                    json.dump(res, f)
    print("temporal smoke ok")


if __name__ == "__main__":
    main()
