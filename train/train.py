"""Train the DiffPose lifter (GCNpose) and denoiser (GCNdiff) together on prepared mocap with
on-the-fly virtual cameras and detector noise (docs/camera-model.md).

    /usr/bin/python3 train/train.py --name base --minutes 100 --export weights/diffpose.safetensors
    /usr/bin/python3 train/train.py --name base --resume --minutes 60      # continue

Every step draws one batch of examples; the lifter takes an MPJPE step on (uv -> xyz) and the
denoiser a diffusion step on x_0 = [uv0, xyz]. Checkpoints: train/runs/<name>/last.pt (every
--ckpt-minutes), best.pt + best.safetensors (best on validation examples from the training
split; the test split is for train/evaluate.py only). Log: train/runs/<name>/train.log.
"""
import argparse
import copy
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Mocap, Sampler, test_examples  # noqa: E402
from diffpose.diffusion import Schedule, ddim, init_official, lift, pose_diffusion_loss, root_centre  # noqa: E402
from diffpose.card import write_card  # noqa: E402
from diffpose.export import export_state, make_config  # noqa: E402
from diffpose.model import GCNdiff, GCNpose, add_sigma_output, deepen_lifter, widen_lifter_input  # noqa: E402
from diffpose.export import load as load_weights  # noqa: E402
from diffpose.heatmaps import with_heatmap_mixture  # noqa: E402
from sampler_pool import SamplerPool  # noqa: E402
from video import CROP_PROBS, legs_crop_probs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VALIDATION_SEED = 4242  # the cameras and noise of the validation examples (as diffpose calibrate's)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--runs", default=os.path.join(ROOT, "train", "runs"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--lifter-hidden", type=int, default=None)
    ap.add_argument("--lifter-layers", type=int, default=None)
    ap.add_argument("--lifter-conf", action="store_true",
                    help="the lifter reads each joint's 2D confidence as a third input channel (kept on --resume; "
                         "with --init from a 2-channel file its confidence weights start at zero)")
    ap.add_argument("--lifter-sigma", action="store_true",
                    help="the lifter also predicts each joint's error scale (a 4th output, log sigma; kept on --resume; "
                         "with --init from a 3-output file it starts at 0.04 m everywhere), trained by a Gaussian NLL")
    ap.add_argument("--sigma-weight", type=float, default=0.02, help="with --lifter-sigma: the NLL term's weight")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min", type=float, default=2e-5)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--steps", type=int, default=20000,
                    help="length of the cosine schedule; 0: the cosine spans this invocation's --minutes of wall time "
                         "(a run on a device of unknown speed)")
    ap.add_argument("--minutes", type=float, default=1e9, help="stop after this much wall time (this invocation)")
    ap.add_argument("--max-steps", type=int, default=None, help="stop at this global step")
    ap.add_argument("--ema", type=float, default=0.999, help="0 disables EMA")
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--uv0", choices=["detected", "clean"], default=None,
                    help="uv channels of the denoiser's x_0: the noisy keypoints (what inference sees) or the clean "
                         "projection; default: detected, or the checkpoint's choice on --resume")
    ap.add_argument("--mirror", type=float, default=0.5)
    ap.add_argument("--robust", action="store_true",
                    help="robust recipe (train/video.py RobustFrameSampler): body proportions, webcam truncation "
                         "(legs / one side cropped out), dropped and masked joints, swaps; kept on --resume")
    ap.add_argument("--legs-reach", type=float, default=0.1,
                    help="with --robust: the legs crop's bottom edge U(0, this) body heights above the highest knee "
                         "(train/video.py truncate; > 0.2 also hides hips and hands)")
    ap.add_argument("--legs-prob", type=float, default=dict(CROP_PROBS)["legs"],
                    help="with --robust: the fraction of examples whose legs are cropped out (train/video.py)")
    ap.add_argument("--heatmaps", type=int, default=0, metavar="K",
                    help="K in 1..5: the 2D as the engine lifts detector heatmaps: keypoints and the denoiser's uv "
                         "noise scale from K-component mixtures fitted to simulated heatmaps (diffpose/heatmaps.py)")
    ap.add_argument("--train-nets", choices=["both", "lifter", "denoiser"], default="both")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-size", type=int, default=2000)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--export", default=None, help="also write the best model here (engine format)")
    ap.add_argument("--card", default=None, help="with --export: also write the model card here (e.g. weights/MODEL_CARD.md)")
    ap.add_argument("--init", default=None,
                    help="start a new run from this engine weights file (e.g. fine-tune the shipped model with --robust)")
    ap.add_argument("--fresh-lifter", action="store_true",
                    help="with --init: take only the denoiser from the file; the lifter starts afresh at its own size "
                         "(--lifter-hidden, --lifter-layers)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="torch device of the networks and their steps, e.g. cuda "
                    "(train/device_run.sh); evaluation runs on the host")
    ap.add_argument("--sampler-workers", type=int, default=0,
                    help="processes drawing batches ahead of the steps (train/sampler_pool.py); 0: drawn in the step")
    ap.add_argument("--eval-start", action="store_true",
                    help="evaluate before the first step; a run from --init then exports only what beats its start")
    ap.add_argument("--eval-end", action="store_true", help="evaluate (and export if best) when the run stops")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


class EMA:
    def __init__(self, model, rate):
        self.rate = rate
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model, step):
        rate = min(self.rate, (1.0 + step) / (10.0 + step))  # warm-up so early evals are meaningful
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.mul_(rate).add_(p.detach(), alpha=1 - rate)


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    return cosine_lr(a, (step - a.warmup) / max(1, a.steps - a.warmup))


def lr_now(step, a, t_start):
    """lr_at, or with --steps 0 the cosine over the wall time of --minutes from t_start (after the warm-up steps)."""
    if a.steps > 0 or step < a.warmup:
        return lr_at(step, a)
    return cosine_lr(a, (time.time() - t_start) / (60 * a.minutes))


def cosine_lr(a, p):
    """The cosine from a.lr down to a.lr_min at progress p (clamped to [0, 1])."""
    return a.lr_min + 0.5 * (a.lr - a.lr_min) * (1 + math.cos(math.pi * min(1.0, p)))


def mpjpe(pred, target):
    return (pred - target).norm(dim=-1).mean()


def sigma_nll(sigma, xyz, target):
    """Gaussian NLL (per axis, constants dropped) of the lifter's detached root-relative error under
    its own sigma [B, 17], over the non-root joints: trains sigma without pulling on the pose."""
    e2 = (root_centre(xyz) - root_centre(target)).detach().square().sum(-1)
    return (3 * sigma.log() + e2 / (2 * sigma.square()))[:, 1:].mean()


def lifter_loss(lifter, b, a, dev):
    """The lifter's loss on a batch of host arrays: MPJPE, plus the sigma NLL when it predicts its
    error. -> (loss, MPJPE)"""
    uv, xyz, conf = (torch.from_numpy(b[k]).to(dev) for k in ("uv", "xyz", "conf"))
    pred, sig = lifter.xyz_sigma(uv, conf)
    err = mpjpe(pred, xyz)
    return (err if sig is None else err + a.sigma_weight * sigma_nll(sig, pred, xyz)), err


def denoiser_loss(denoiser, schedule, b, a, dev):
    """The denoiser's diffusion loss on a batch of host arrays (x_0 = [uv0, xyz], uv scaled by the 2D sigma)."""
    uv0 = torch.from_numpy(b["uv"] if a.uv0 == "detected" else b["uv_clean"]).to(dev)
    xyz = torch.from_numpy(b["xyz"]).to(dev)
    sig = torch.from_numpy(b["sigma"]).to(dev)[..., None]
    return pose_diffusion_loss(denoiser, schedule, uv0, sig, xyz)


def corr(a, b):
    return float(np.corrcoef(a.flatten(), b.flatten())[0, 1])


def pa_mpjpe(pred, target):
    """Procrustes-aligned MPJPE (numpy, [N,17,3])."""
    mu_p, mu_t = pred.mean(1, keepdims=True), target.mean(1, keepdims=True)
    p0, t0 = pred - mu_p, target - mu_t
    np_, nt = np.linalg.norm(p0, axis=(1, 2), keepdims=True), np.linalg.norm(t0, axis=(1, 2), keepdims=True)
    p0, t0 = p0 / np_, t0 / nt
    u, s, vt = np.linalg.svd(np.einsum("nji,njk->nik", t0, p0))
    v = vt.transpose(0, 2, 1)
    r = v @ u.transpose(0, 2, 1)
    sign = np.sign(np.linalg.det(r))[:, None]
    v[:, :, -1] *= sign
    s[:, -1] *= sign[:, 0]
    r = v @ u.transpose(0, 2, 1)
    scale = s.sum(1)[:, None, None] * nt / np_
    aligned = scale * (pred - mu_p) @ r + mu_t
    return float(np.linalg.norm(aligned - target, axis=-1).mean())


@torch.no_grad()
def evaluate(lifter, denoiser, schedule, ex, chunk=1000, paper_size=500, hypotheses=8):
    """Official init on all of ex; paper init (mixture sigma from the examples, H hypotheses, mean)
    on the first paper_size examples, with a fixed generator so evals are comparable."""
    lifter.eval(), denoiser.eval()
    outs_l, outs_d, outs_s = [], [], []
    uv_all, conf_all = torch.from_numpy(ex["uv"]), torch.from_numpy(ex["conf"])
    for i in range(0, len(uv_all), chunk):
        uv = uv_all[i:i + chunk]
        xyz, sig = lifter.xyz_sigma(uv, conf_all[i:i + chunk])
        xyz = root_centre(xyz)
        x = ddim(denoiser, schedule, init_official(uv, xyz), [12, 0], eta=0.0)
        outs_l.append(xyz)
        outs_d.append(root_centre(x[..., 2:]))
        outs_s.append(sig)
    tgt = torch.from_numpy(ex["xyz"])
    pl, pd = torch.cat(outs_l), torch.cat(outs_d)
    n = min(paper_size, len(uv_all))
    uv = uv_all[:n]
    sig = torch.from_numpy(ex["sigma"][:n])[:, :, None, None].expand(n, 17, 1, 2).contiguous()
    mixture = (torch.ones(n, 17, 1), uv[:, :, None, :], sig)
    pp, spread, _ = lift(lifter, denoiser, schedule, uv, (12, 0), "paper", 0.0, hypotheses, mixture,
                         torch.Generator().manual_seed(0), conf_all[:n])
    err_p = (pp - tgt[:n]).norm(dim=-1)[:, 1:]
    ev = {"lifter_mm": 1000 * mpjpe(pl, tgt).item(), "diffpose_mm": 1000 * mpjpe(pd, tgt).item(),
          "lifter_pa_mm": 1000 * pa_mpjpe(pl.numpy(), tgt.numpy()),
          "diffpose_pa_mm": 1000 * pa_mpjpe(pd.numpy(), tgt.numpy()),
          "paper_h8_mm": 1000 * mpjpe(pp, tgt[:n]).item(), "paper_lifter_mm": 1000 * mpjpe(pl[:n], tgt[:n]).item(),
          "paper_h8_r_spread": corr(spread[:, 1:].numpy(), err_p.numpy())}
    if outs_s[0] is not None:
        ev["lifter_r_sigma"] = corr(torch.cat(outs_s)[:, 1:].numpy(), (pl - tgt).norm(dim=-1)[:, 1:].numpy())
    return ev


def eval_score(ev):
    """Model selection: the worse of the two DiffPose inits (a checkpoint's eval from before the
    paper init was evaluated counts as never better)."""
    return max(ev["diffpose_mm"], ev.get("paper_h8_mm", float("inf")))


def make_logger(run):
    """log(msg): a timestamped line to stdout and <run>/train.log."""
    logf = open(os.path.join(run, "train.log"), "a")

    def log(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()
    return log


def open_run(a, arch_keys):
    """Run folder, logger and, with --resume, the last checkpoint (None if there is none) with the
    architecture/data arguments arch_keys copied from it into a. -> (run, last_path, log, ck)."""
    run = os.path.join(a.runs, a.name)
    os.makedirs(run, exist_ok=True)
    last_path = os.path.join(run, "last.pt")
    log = make_logger(run)
    ck = None
    if a.resume and os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu", weights_only=False)  # our own file: args, numpy RNG state
        for k in arch_keys:  # a key that an older checkpoint lacks keeps the command line's value
            setattr(a, k, ck["args"].get(k, getattr(a, k)))
        log(f"resuming {last_path} at step {ck['step']}")
    elif a.resume:
        log(f"--resume given but {last_path} does not exist: starting fresh")
    return run, last_path, log, ck


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    # architecture and data choices come from the checkpoint; schedule/time flags from the command line
    run, last_path, log, ck = open_run(a, ("hidden", "layers", "heads", "lifter_hidden", "lifter_layers", "lifter_conf",
                                           "lifter_sigma", "data"))
    if ck is not None:
        saved = ck["args"]
        a.robust = a.robust or saved.get("robust", False)
        a.deepened_from = saved.get("deepened_from")
        if a.uv0 is None or a.uv0 == saved["uv0"]:
            a.uv0 = saved["uv0"]
        else:  # fine-tuning with another denoiser target is a deliberate choice, so it is allowed
            log(f"uv0 changes from {saved['uv0']} (checkpoint) to {a.uv0}")
    a.uv0 = a.uv0 or "detected"

    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    train_set = Mocap(os.path.join(a.data, "train.safetensors"))
    if a.robust:
        from video import RobustFrameSampler
        make_sampler = lambda seed: RobustFrameSampler(  # noqa: E731
            train_set, seed=seed, mirror_prob=a.mirror, swap_prob=0.03, legs_reach=a.legs_reach,
            crop_probs=legs_crop_probs(a.legs_prob))
    else:
        make_sampler = lambda seed: Sampler(train_set, seed=seed, mirror_prob=a.mirror)  # noqa: E731
    sampler = make_sampler(a.seed)
    if a.heatmaps and not 1 <= a.heatmaps <= 5:
        raise SystemExit("--heatmaps K: K in 1..5")
    # Its own stream: the heatmap draws never shift the sampler's (a resumed run sees new ones).
    heatmap_rng = np.random.default_rng(a.seed + 7919)
    # Evaluation and "best" selection on validation examples from the TRAINING split (every 20th
    # frame, its own cameras and noise): the test split only ever measures (train/evaluate.py).
    ex_val = test_examples(train_set, limit=a.eval_size, stride=20, seed=VALIDATION_SEED)
    schedule = Schedule()

    lh, ll = a.lifter_hidden or a.hidden, a.lifter_layers or a.layers
    lifter = GCNpose(hidden=lh, layers=ll, heads=a.heads, coords_in=3 if a.lifter_conf else 2,
                     coords_out=4 if a.lifter_sigma else 3)
    denoiser = GCNdiff(hidden=a.hidden, layers=a.layers, heads=a.heads)
    if a.init and ck is None:
        init_l, init_d, _, _ = load_weights(a.init)
        if not a.fresh_lifter:
            init_state = {k: v for k, v in init_l.state_dict().items() if not k.startswith("temb.")}
            init_state = widen_lifter_input(init_state) if a.lifter_conf else init_state
            if lifter.layers > init_l.layers:
                init_state = deepen_lifter(init_state, lifter)
                a.deepened_from = init_l.layers  # saved with the args: the summary and the card say it
                log(f"lifter deepened from {init_l.layers} to {lifter.layers} blocks (the new ones start near the identity)")
            lifter.load_state_dict(add_sigma_output(init_state) if a.lifter_sigma else init_state)
        denoiser.load_state_dict(init_d.state_dict())
    step0 = ck["step"] if ck is not None else 0
    pool = SamplerPool(make_sampler, a.sampler_workers, (a.batch,), a.seed, step0) \
        if a.sampler_workers > 0 else None  # forked before the networks go to their device
    lifter.to(dev), denoiser.to(dev)
    opt_l = torch.optim.Adam(lifter.parameters(), lr=a.lr)
    opt_d = torch.optim.Adam(denoiser.parameters(), lr=a.lr)
    ema_l = EMA(lifter, a.ema) if a.ema > 0 else None
    ema_d = EMA(denoiser, a.ema) if a.ema > 0 else None
    step, elapsed, best = 0, 0.0, None
    history = []
    if ck is not None:
        lifter.load_state_dict(ck["lifter"])
        denoiser.load_state_dict(ck["denoiser"])
        opt_l.load_state_dict(ck["opt_lifter"])
        opt_d.load_state_dict(ck["opt_denoiser"])
        if ema_l is not None and ck.get("ema_lifter") is not None:
            ema_l.model.load_state_dict(ck["ema_lifter"])
            ema_d.model.load_state_dict(ck["ema_denoiser"])
        step, elapsed, best = ck["step"], ck["elapsed"], ck.get("best")
        history = ck.get("history", [])
        if best is not None and best.get("split") != "validation":
            best = None  # chosen on the test split by older code: not comparable, and not to be used
        sampler.set_state(ck["sampler_state"])
        torch.set_rng_state(ck["torch_rng"])

    config = make_config(lifter, denoiser, schedule)
    n_l = sum(p.numel() for p in lifter.parameters())
    n_d = sum(p.numel() for p in denoiser.parameters())
    log(f"config {json.dumps(config)} | params lifter {n_l} denoiser {n_d} | train frames {len(train_set)} "
        f"validation examples (training split) {len(ex_val['uv'])} | args {vars(a)}")

    def summary():
        return (f"train.py run '{a.name}': {step} steps x batch {a.batch} ({step * a.batch} examples), "
                f"{elapsed / 3600:.2f} hours on {a.device} ({a.threads} CPU thread)"
                + (f", batches drawn by {a.sampler_workers} processes" if a.sampler_workers else "") + f", Adam lr {a.lr} cosine to {a.lr_min} "
                f"over {a.steps} steps, EMA {a.ema}, uv0 {a.uv0}, mirror {a.mirror}"
                + ("; robust recipe (train/video.py)" if a.robust else "")
                + (f"; denoiser from {os.path.basename(a.init)}, lifter from scratch" if a.fresh_lifter and a.init else "")
                + (f"; lifter deepened from {a.deepened_from} blocks" if getattr(a, "deepened_from", None) else "")
                + ("; lifter reads confidence" if a.lifter_conf else "")
                + (f"; lifter predicts its error (NLL weight {a.sigma_weight})" if a.lifter_sigma else "")
                + (f"; legs crops reach {a.legs_reach}" if a.robust and a.legs_reach != 0.1 else "")
                + (f"; legs cropped in {a.legs_prob:.0%} of examples" if a.robust and a.legs_prob != dict(CROP_PROBS)["legs"] else "") + f"; data {os.path.relpath(a.data, ROOT)}")

    def state(extra=None):
        d = {"lifter": lifter.state_dict(), "denoiser": denoiser.state_dict(),
             "ema_lifter": ema_l.model.state_dict() if ema_l else None,
             "ema_denoiser": ema_d.model.state_dict() if ema_d else None,
             "opt_lifter": opt_l.state_dict(), "opt_denoiser": opt_d.state_dict(),
             "step": step, "elapsed": elapsed, "best": best, "history": history,
             "sampler_state": sampler.state(), "torch_rng": torch.get_rng_state(),
             "args": vars(a), "config": config, "training_summary": summary(),
             "source": "diffpose-webgpu train/train.py"}
        if extra:
            d.update(extra)
        return d

    def eval_nets():
        """The networks evaluated and exported (EMA if any), on the host: evaluation is the same on every device."""
        nets = (ema_l.model, ema_d.model) if ema_l else (lifter, denoiser)
        return nets if dev.type == "cpu" else tuple(copy.deepcopy(n).cpu() for n in nets)

    def run_eval():
        """Evaluates, logs, keeps the best (best.pt, best.safetensors, --export) and returns the eval time."""
        nonlocal best
        t0 = time.time()
        ev = evaluate(*eval_nets(), schedule, ex_val)
        ev["step"] = step
        ev["split"] = "validation"
        history.append({"eval": ev})
        improved = best is None or eval_score(ev) < eval_score(best)
        log("validation step %d (%s): lifter %.1f mm (PA %.1f) | lifter+DDIM[12,0] %.1f mm (PA %.1f) | "
            "first %d: lifter %.1f, paper init H=8 %.1f mm r(spread, error) %.3f%s%s [%.0fs]" % (
                step, "EMA" if ema_l else "raw", ev["lifter_mm"], ev["lifter_pa_mm"], ev["diffpose_mm"],
                ev["diffpose_pa_mm"], min(500, len(ex_val["uv"])), ev["paper_lifter_mm"], ev["paper_h8_mm"],
                ev["paper_h8_r_spread"],
                " | lifter r(sigma, error) %.3f" % ev["lifter_r_sigma"] if "lifter_r_sigma" in ev else "",
                " *best*" if improved else "", time.time() - t0))
        if improved and step == step0 and a.eval_start:
            best = ev  # the start is the score to beat; nothing is written for it
        elif improved:
            best = ev
            nets = eval_nets()
            training = summary() + " (EMA weights)" * bool(ema_l) + "; eval " + json.dumps(ev)
            for path in [os.path.join(run, "best.safetensors")] + ([a.export] if a.export else []):
                export_state(path, nets[0].state_dict(), nets[1].state_dict(), config, "diffpose-webgpu train/train.py",
                             training)
            save_atomic(state(), os.path.join(run, "best.pt"))
            if a.export:
                if a.card:
                    write_card(a.card, state(), os.path.relpath(a.export, ROOT), bool(ema_l))
                log(f"exported {a.export}" + (f" and {a.card}" if a.card else ""))
        return time.time() - t0

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: stop.append("SIGINT"))
    if a.eval_start:
        run_eval()
    t_start = time.time()
    t_ckpt = time.time()
    run_loss_l, run_loss_d, n_run, t_run = 0.0, 0.0, 0, time.time()
    train_l = a.train_nets in ("both", "lifter")
    train_d = a.train_nets in ("both", "denoiser")
    while True:
        if a.max_steps is not None and step >= a.max_steps:
            break
        if time.time() - t_start > a.minutes * 60:
            break
        if stop:
            log(f"{stop[0]} received: saving and stopping")
            break
        lr = lr_now(step, a, t_start)
        for o in (opt_l, opt_d):
            for g in o.param_groups:
                g["lr"] = lr
        b = pool.batch() if pool else sampler.batch(a.batch)
        if a.heatmaps:
            b = with_heatmap_mixture(b, heatmap_rng, a.heatmaps)
        lifter.train(), denoiser.train()
        if train_l:
            loss_l, err_l = lifter_loss(lifter, b, a, dev)
            run_loss_l += err_l.item()
            opt_l.zero_grad(set_to_none=True)
            loss_l.backward()
            torch.nn.utils.clip_grad_norm_(lifter.parameters(), a.grad_clip)
            opt_l.step()
            if ema_l:
                ema_l.update(lifter, step)
        if train_d:
            loss_d = denoiser_loss(denoiser, schedule, b, a, dev)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            torch.nn.utils.clip_grad_norm_(denoiser.parameters(), a.grad_clip)
            opt_d.step()
            if ema_d:
                ema_d.update(denoiser, step)
            run_loss_d += loss_d.item()
        step += 1
        n_run += 1
        if step % a.log_every == 0:
            dt = time.time() - t_run
            elapsed += dt
            log(f"step {step} lr {lr:.2e} lifter_mpjpe_mm {1000 * run_loss_l / n_run:.1f} "
                f"denoiser_loss {run_loss_d / n_run:.4f} | {1000 * dt / n_run:.0f} ms/step")
            history.append({"step": step, "lifter_mm": 1000 * run_loss_l / n_run, "denoiser_loss": run_loss_d / n_run})
            run_loss_l, run_loss_d, n_run, t_run = 0.0, 0.0, 0, time.time()
        if step % a.eval_every == 0:
            t_run += run_eval()  # eval time is not training time
        if time.time() - t_ckpt > a.ckpt_minutes * 60:
            save_atomic(state(), last_path)
            t_ckpt = time.time()
    if pool:
        pool.close()
    if a.eval_end and step % a.eval_every != 0:
        run_eval()
    save_atomic(state(), last_path)
    log(f"stopped at step {step}; saved {last_path}")


if __name__ == "__main__":
    main()
