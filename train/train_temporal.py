"""Train the temporal (video) DiffPose model: the frame lifter (GCNpose), two context encoders
(offline: centred window; causal: past frames only) and a FiLM-conditioned GCNdiff denoiser, on
windows of the mocap clips (train/video.py). The start pose of frame t is root_centre(lifter(uv_t))
+ delta_t, delta_t from the encoder's pose head. docs/temporal-model.md describes the model, the
weights file and the recipe.

    sh train/openblas.sh /usr/bin/python3 train/train_temporal.py --name tcn --minutes 100 \
        --export weights/diffpose-temporal.safetensors --card weights/MODEL_CARD-temporal.md
    ... --name tcn --resume --minutes 60                        # continue
    /usr/bin/python3 train/train_temporal.py --eval-only --frame-weights weights/diffpose.safetensors \
        [--temporal-weights weights/diffpose-temporal.safetensors]   # the evaluation table only

One step: a batch of windows; each encoder (and the shared lifter) takes an MPJPE (+ velocity) step
on its start pose over the window's output frames, and the denoiser a diffusion step on output
frames conditioned by either encoder's FiLM (the encoders get the diffusion gradient through FiLM
too). Lifter and denoiser start from the frame model's (--init), the pose head (delta) and FiLM from
zero, i.e. at step 0 the temporal model is the frame model exactly.
--design v2 (docs/temporal-model.md §12): the encoders also read every window frame's lifter output,
the start pose is a learned average of those + delta, the output a learned average of the denoised
poses around the frame (both averages start as moving averages: step 0 is the moving-average
baseline); the fused output takes its own loss (MPJPE + velocity + acceleration) through DDIM [12, 0].
Evaluation (every --eval-every steps, fixed test-split tracks at 30 fps): frame model, frame model +
centred moving average, + One-Euro (both tuned on training-split tracks), temporal offline and
causal; MPJPE, P-MPJPE, MPJVE, acceleration error, and upper-body MPJPE with the legs cropped out.
"""
import argparse
import json
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Mocap  # noqa: E402
from diffpose import safetensors_io  # noqa: E402
from diffpose.diffusion import Schedule, ddim, init_official, pose_diffusion_loss, root_centre  # noqa: E402
from diffpose.export import load as load_frame, write_weights  # noqa: E402
from diffpose.model import GCNdiff, GCNpose, from_config, without_sigma  # noqa: E402
from diffpose.temporal import ContextEncoder, encoder_from_config  # noqa: E402
from train import EMA, lr_now, open_run, pa_mpjpe, save_atomic  # noqa: E402
from sampler_pool import SamplerPool  # noqa: E402
from video import CROP_PROBS, FPS, UPPER, WindowSampler, eval_tracks, legs_crop_probs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ("offline", "causal")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default=None)
    ap.add_argument("--runs", default=os.path.join(ROOT, "train", "runs"))
    ap.add_argument("--data", default=os.path.join(ROOT, "data", "prepared"))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init", default=os.path.join(ROOT, "weights", "diffpose.safetensors"),
                    help="frame-model weights whose lifter and denoiser start the temporal ones ('none': from scratch)")
    ap.add_argument("--freeze-lifter", action="store_true", help="keep the lifter at its --init weights")
    ap.add_argument("--modes", default="offline,causal",
                    help="the encoders trained (their losses and their half of the diffusion term); the others stay "
                         "at their start weights, e.g. 'causal' with --freeze-denoiser improves the causal window alone")
    ap.add_argument("--freeze-denoiser", action="store_true",
                    help="keep the shared denoiser at its start weights (the FiLM heads, in the encoders, still train)")
    ap.add_argument("--lifter-lr-scale", type=float, default=1.0, help="the lifter's learning rate relative to --lr")
    ap.add_argument("--frame-weights", default=os.path.join(ROOT, "weights", "diffpose.safetensors"),
                    help="frame model evaluated as the baseline")
    ap.add_argument("--hidden", type=int, default=64, help="lifter and denoiser size when --init none")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--channels", type=int, default=128)
    ap.add_argument("--dilations", default="3,9", help="receptive field 1 + 2 (1 + sum)")
    ap.add_argument("--normalise", type=int, default=1,
                    help="1: the encoder centres and scales each frame's uv (confidence-weighted; docs/temporal-model.md)")
    ap.add_argument("--design", choices=("v1", "v2"), default="v1",
                    help="v1: encoders see the 2D, start = frame lifter + delta; v2 (docs/temporal-model.md §12): "
                         "encoders also see the lifter's xyz, start = learned average of the window's lifter "
                         "outputs + delta, output = learned average of the denoised poses around the frame")
    ap.add_argument("--fuse-radius", type=int, default=4,
                    help="v2: the output average reads 2R + 1 denoised frames (offline t-R..t+R, causal t-2R..t)")
    ap.add_argument("--start-avg", default="7,3",
                    help="v2: offline,causal moving-average length (frames) that the start average begins as")
    ap.add_argument("--fuse-avg", default="5,1",
                    help="v2: offline,causal moving-average length that the output average begins as (1: none)")
    ap.add_argument("--init-temporal", default=None,
                    help="temporal weights file (v1 or v2) whose encoders, FiLM heads and denoiser start this run "
                         "where shapes allow (not the lifter: --init; not a v1 pose head into v2)")
    ap.add_argument("--final-windows", type=int, default=8,
                    help="v2: windows per step whose fused output (DDIM [12, 0] + output average) takes a loss")
    ap.add_argument("--final-weight", type=float, default=1.0, help="v2: weight of the fused output's loss")
    ap.add_argument("--final-acc-weight", default="1.0",
                    help="v2: acceleration-error term of the fused output's loss (its velocity term: --vel-weight); "
                         "'offline,causal' for one per window")
    ap.add_argument("--batch", type=int, default=32, help="windows per step")
    ap.add_argument("--frames", type=int, default=16, help="output frames per window")
    ap.add_argument("--diff-batch", type=int, default=256, help="frames per step for the diffusion loss (both encoders)")
    ap.add_argument("--vel-weight", type=float, default=1.0, help="velocity-error term of the start-pose loss")
    ap.add_argument("--acc-weight", type=float, default=0.0, help="acceleration-error term")
    ap.add_argument("--diff-weight", type=float, default=1.0)
    ap.add_argument("--film-grad", type=float, default=0.1,
                    help="scale of the diffusion loss's gradient into the encoders' shared features (via FiLM)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min", type=float, default=2e-5)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--steps", type=int, default=16000,
                    help="length of the cosine schedule; 0: the cosine spans this invocation's --minutes of wall time "
                         "(a run on a device of unknown speed)")
    ap.add_argument("--minutes", type=float, default=1e9, help="stop after this much wall time (this invocation)")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--mirror", type=float, default=0.5)
    ap.add_argument("--legs-reach", type=float, default=0.1,
                    help="the legs crop's bottom edge U(0, this) body heights above the window's highest knee "
                         "(train/video.py truncate)")
    ap.add_argument("--legs-prob", type=float, default=dict(CROP_PROBS)["legs"],
                    help="the fraction of training windows whose legs are cropped out (train/video.py)")
    ap.add_argument("--fps", default="20,60",
                    help="training windows' frame rates, uniform in this range (the evaluation tracks are at 30 fps; "
                         "v2's averages have fixed taps per frame, so they fit the rates they were trained at)")
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--eval-start", action="store_true",
                    help="also evaluate before the first step (a fresh run: the frame model); its selection score is "
                         "the one to beat, so nothing is saved as best or exported unless training improves on it")
    ap.add_argument("--eval-end", action="store_true", help="also evaluate (and export if best) when the run stops")
    ap.add_argument("--eval-tracks", type=int, default=None,
                    help="test-split tracks (up to 64 frames) in the periodic eval (default: all, about 120)")
    ap.add_argument("--tune-tracks", type=int, default=40, help="training-split tracks to tune the smoothers on")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--ckpt-minutes", type=float, default=4.0)
    ap.add_argument("--export", default=None, help="also write the best model here (engine format)")
    ap.add_argument("--card", default=None, help="with --export: also write a model card here")
    ap.add_argument("--eval-only", action="store_true", help="print the evaluation table and exit")
    ap.add_argument("--temporal-weights", default=None, help="with --eval-only: a temporal weights file to evaluate")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="torch device of the model and its steps, e.g. cuda (train/device_run.sh)")
    ap.add_argument("--sampler-workers", type=int, default=0,
                    help="processes drawing training windows ahead of the steps (0: drawn in the step loop); each has "
                         "its own random stream, so such a run resumes with new draws, not the same ones")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    names = a.modes.split(",")
    if any(n not in MODES for n in names):
        ap.error(f"--modes: one or both of {','.join(MODES)}, comma-separated")
    a.modes = tuple(m for m in MODES if m in names)
    return a


class TemporalModel(nn.Module):
    """denoiser (GCNdiff with FiLM) + lifter (GCNpose, the frame model's) + offline and causal
    context encoders. v1: start pose of output frame t = root_centre(lifter(uv_t)) + delta_t (delta:
    the encoder's root-centred pose head, zero at initialisation). v2 (lifted=True): the encoders
    also read the lifter's output of every window frame, the start pose is a learned average of
    those + delta_t, and the output a learned average of the denoised poses around t (both averages
    start as moving averages of start_avg / fuse_avg frames, per mode (offline, causal)).
    lifter=None: the first design (the pose head alone is the start pose), kept only to read its files."""

    def __init__(self, denoiser, channels, dilations, normalise=False, lifter=None, lifted=False, fuse_radius=0,
                 start_avg=(1, 1), fuse_avg=(1, 1)):
        super().__init__()
        self.denoiser = denoiser
        self.lifter = lifter
        kw = dict(channels=channels, dilations=dilations, hidden=denoiser.hidden, layers=denoiser.layers,
                  normalise=normalise, lifted=lifted, fuse_radius=fuse_radius)
        self.offline = ContextEncoder(causal=False, start_avg=start_avg[0], fuse_avg=fuse_avg[0], **kw)
        self.causal = ContextEncoder(causal=True, start_avg=start_avg[1], fuse_avg=fuse_avg[1], **kw)

    @property
    def v2(self):
        return self.offline.lifted

    def encoder(self, mode):
        return self.offline if mode == "offline" else self.causal

    def lifter_start(self, kp):
        """kp [..., 17, 3] raw model-unit keypoints and confidence -> root_centre(lifter(uv, c)) [..., 17, 3]."""
        if self.lifter is None:
            return torch.zeros(kp.shape[:-1] + (3,), device=kp.device)
        return root_centre(self.lifter(kp[..., :2], kp[..., 2]))

    def start_film(self, mode, kp, padded=False, film_grad=1.0, base=None, parts=False, lifted=None):
        """kp [B, T, 17, 3] (u, v, c) whole tracks (edge-padded here), or with padded=True windows
        already padded (L = T + window - 1 frames, output frame j = input frame pad[0] + j).
        -> (start [B, T, 17, 3], film [B, T, layers, 2, hidden]) with start = base + delta, base =
        v1: lifter_start(uv of the output frames) (`base`: if already computed; training: both
        encoders share it); v2: the learned average of lifter_start over each window (`lifted`: the
        lifter_start of kp's frames if already computed). parts=True: (start, film, base, delta)."""
        enc = self.encoder(mode)
        if not padded:
            before, after = enc.padding()
            t = kp.shape[1]
            idx = torch.arange(-before, t + after, device=kp.device).clamp(0, t - 1)
            kp = kp[:, idx]
            lifted = None if lifted is None else lifted[:, idx]
        if enc.lifted:
            if lifted is None:
                lifted = self.lifter_start(kp)
            delta, film = enc.forward_window(kp, film_grad, lifted)
            base = enc.average_start(lifted)
        else:
            delta, film = enc.forward_window(kp, film_grad)
            if base is None:
                before = enc.padding()[0]
                base = self.lifter_start(kp[:, before:before + delta.shape[1]])
        start = base + delta
        return (start, film, base, delta) if parts else (start, film)

    def finish(self, mode, denoised):
        """Whole tracks' root-centred DDIM outputs [B, T, 17, 3] -> the model's output (v2: fused)."""
        enc = self.encoder(mode)
        return enc.fuse_track(denoised) if enc.lifted else denoised


def init_from_temporal(model, path, log):
    """Copy a temporal file's tensors (v1 or v2) into model where names and shapes allow; a v1
    encoder's input weights fill the (u, v, c) part of a v2 encoder's. The pose head (delta) is
    copied only between files of the same design (v1's corrects one frame's lifter output, v2's an
    average), so a v2 model started from v1 weights still starts at its moving averages."""
    src, _, _ = load_temporal(path)
    sd, own = src.state_dict(), model.state_dict()
    same_design = src.v2 == model.v2
    copied, skipped = [], []
    with torch.no_grad():
        for k, v in sd.items():
            if k.startswith("lifter."):
                continue  # the lifter comes from --init
            if k not in own or (k.split(".")[1:2] == ["pose"] and not same_design):
                skipped.append(k)
            elif own[k].shape == v.shape:
                own[k].copy_(v)
                copied.append(k)
            elif k.endswith("input.weight") and own[k].shape[1] > v.shape[1]:
                own[k][:, :v.shape[1]].copy_(v)
                own[k][:, v.shape[1]:].zero_()  # the new channels start unused
                copied.append(k + " (first %d inputs)" % v.shape[1])
            elif k.endswith(".average") and own[k].shape[0] > v.shape[0]:
                # A longer window: the old taps where the old window sat (centred offline, trailing
                # causal), the new frames at 0, so the start average is unchanged.
                causal = k.split(".")[0] == "causal"
                lo = own[k].shape[0] - v.shape[0] if causal else (own[k].shape[0] - v.shape[0]) // 2
                own[k].zero_()
                own[k][lo:lo + v.shape[0]].copy_(v)
                copied.append(k + " (into the longer window)")
            else:
                skipped.append(k)
        # Blocks the source lacks (a deeper encoder) start as the identity: their residual branch's
        # last convolution at zero adds nothing, so step 0 is the source model.
        zeroed = [k for k in own if ".blocks." in k and ".point." in k and k not in sd]
        for k in zeroed:
            own[k].zero_()
    log(f"init from {path} (not its lifter): {len(copied)} tensors copied, skipped {', '.join(skipped) or 'none'}"
        + (f"; new blocks start as the identity ({', '.join(zeroed)} at zero)" if zeroed else ""))


def make_config(model, schedule):
    lifter = {"lifter": model.lifter.config()} if model.lifter is not None else {}
    return {"format": 1, "joints": 17, "skeleton": "h36m17", **lifter, "denoiser": model.denoiser.config(),
            "diffusion": schedule.config(),
            "temporal": {m: model.encoder(m).config() for m in MODES}}


def export_temporal(path, sd, config, source="", training=""):
    """Engine weights file: lifter.* (GCNpose names), denoiser.* (GCNdiff names), context.offline.*,
    context.causal.*."""
    tensors = {}
    for k, v in sd.items():
        part, rest = k.split(".", 1)
        tensors[(part + "." if part in ("lifter", "denoiser") else "context." + part + ".") + rest] = v
    write_weights(path, tensors, config, source, training)


def load_temporal(path):
    """-> (TemporalModel, Schedule, metadata) from a file written by export_temporal."""
    tensors, meta = safetensors_io.read(path)
    cfg = json.loads(meta["diffpose.config"])
    den = from_config("denoiser", cfg["denoiser"])
    lifter = None
    if "lifter" in cfg:
        lifter = from_config("lifter", cfg["lifter"], temb_block=any(k.startswith("lifter.temb.") for k in tensors))
    enc = encoder_from_config(cfg["temporal"]["offline"])
    model = TemporalModel(den, enc.channels, enc.dilations, enc.normalise, lifter, enc.lifted, enc.fuse_radius)
    sd = {}
    for k, v in tensors.items():
        k = k[len("context."):] if k.startswith("context.") else k
        sd[k] = torch.from_numpy(np.array(v, dtype=np.float32))
    model.load_state_dict(sd)
    d = cfg["diffusion"]
    return model.eval(), Schedule(d["betaStart"], d["betaEnd"], d["numSteps"]), meta


# ---------------------------------------------------------------------------------------------
# evaluation

def moving_average(x, k):
    """Centred moving average over k frames (odd) of x [T, ...]; the window shrinks at the ends."""
    t, r = len(x), k // 2
    c = np.concatenate([np.zeros_like(x[:1]), np.cumsum(x, 0)])
    lo, hi = np.clip(np.arange(t) - r, 0, t), np.clip(np.arange(t) + r + 1, 0, t)
    return (c[hi] - c[lo]) / (hi - lo).reshape((-1,) + (1,) * (x.ndim - 1))


def one_euro(x, fps, min_cutoff, beta, d_cutoff=1.0):
    """One-Euro filter (Casiez et al. 2012) of x [T, ...] per coordinate, causal."""
    te = 1.0 / fps
    alpha = lambda fc: 1.0 / (1.0 + 1.0 / (2 * np.pi * fc) / te)  # noqa: E731
    y = np.empty_like(x)
    y[0] = x[0]
    dx = np.zeros_like(x[0])
    for t in range(1, len(x)):
        dx = dx + alpha(d_cutoff) * ((x[t] - y[t - 1]) / te - dx)
        a = alpha(min_cutoff + beta * np.abs(dx))
        y[t] = y[t - 1] + a * (x[t] - y[t - 1])
    return y


def metrics(pred, tracks, joints=None):
    """pred, tracks: lists of [T, 17, 3] (metres). MPJPE, P-MPJPE (mm), MPJVE (mm/frame), accel (mm/frame^2)."""
    j = slice(None) if joints is None else joints
    p, g = np.concatenate(pred), np.concatenate(tracks)
    vel = [np.linalg.norm(np.diff(a[:, j], 1, 0) - np.diff(b[:, j], 1, 0), axis=-1).reshape(-1) for a, b in zip(pred, tracks)]
    acc = [np.linalg.norm(np.diff(a[:, j], 2, 0) - np.diff(b[:, j], 2, 0), axis=-1).reshape(-1) for a, b in zip(pred, tracks)]
    return {"mpjpe": 1000 * float(np.linalg.norm(p[:, j] - g[:, j], axis=-1).mean()),
            "pa": 1000 * pa_mpjpe(p, g) if joints is None else float("nan"),
            "mpjve": 1000 * float(np.concatenate(vel).mean()), "accel": 1000 * float(np.concatenate(acc).mean())}


def split(x, tracks):
    out, i = [], 0
    for tr in tracks:
        out.append(x[i:i + len(tr["xyz"])])
        i += len(tr["xyz"])
    return out


@torch.no_grad()
def frame_predict(lifter, denoiser, schedule, tracks, variant, chunk=2048):
    """Frame model (lifter + DDIM [12, 0], official init) on every frame -> list of [T, 17, 3]."""
    dev = next(denoiser.parameters()).device
    uv = torch.from_numpy(np.concatenate([tr[variant]["uv"] for tr in tracks])).to(dev)
    conf = torch.from_numpy(np.concatenate([tr[variant]["conf"] for tr in tracks])).to(dev)
    outs = []
    for i in range(0, len(uv), chunk):
        u = uv[i:i + chunk]
        x = ddim(denoiser, schedule, init_official(u, lifter(u, conf[i:i + chunk])), [12, 0], eta=0.0)
        outs.append(root_centre(x[..., 2:]))
    return split(torch.cat(outs).cpu().numpy(), tracks)


@torch.no_grad()
def temporal_predict(model, schedule, tracks, variant, mode, chunk=2048, stages=False):
    """Start pose and FiLM over each whole track (edge padding), then DDIM [12, 0] from [uv, start
    xyz] with FiLM, then (v2) the output average -> (final, start) or with stages=True (final,
    start, denoised): lists of [T, 17, 3]."""
    dev = next(model.parameters()).device
    starts, films = [], []
    for tr in tracks:
        xyz, film = model.start_film(mode, torch.from_numpy(tr[variant]["kp"])[None].to(dev))
        starts.append(xyz[0])
        films.append(film[0])
    start, film = torch.cat(starts), torch.cat(films)
    uv = torch.from_numpy(np.concatenate([tr[variant]["uv"] for tr in tracks])).to(dev)
    outs = []
    for i in range(0, len(uv), chunk):
        f = film[i:i + chunk]
        x = ddim(lambda x_, t_: model.denoiser(x_, t_, film=f), schedule,
                 init_official(uv[i:i + chunk], start[i:i + chunk]), [12, 0], eta=0.0)
        outs.append(root_centre(x[..., 2:]))
    denoised = split(torch.cat(outs).cpu().numpy(), tracks)
    final = [model.finish(mode, torch.from_numpy(d)[None].to(dev))[0].cpu().numpy() for d in denoised]
    starts = split(start.cpu().numpy(), tracks)
    return (final, starts, denoised) if stages else (final, starts)


MA_WINDOWS = (3, 5, 7, 9, 11, 15, 21, 31)
EURO_MIN_CUTOFF = (0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0)  # Hz
EURO_BETA = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # per (m/s)


def tune_smoothers(pred, gt):
    """Grid search of the moving-average window and the One-Euro (min_cutoff, beta) on MPJPE."""
    err = lambda ps: metrics(ps, gt)["mpjpe"]  # noqa: E731
    ma = min(MA_WINDOWS, key=lambda k: err([moving_average(p, k) for p in pred]))
    euro = min(((c, b) for c in EURO_MIN_CUTOFF for b in EURO_BETA),
               key=lambda cb: err([one_euro(p, FPS, *cb) for p in pred]))
    return {"ma_window": int(ma), "euro_min_cutoff": euro[0], "euro_beta": euro[1]}


class Evaluator:
    """Fixed test tracks; the frame-model baselines computed once."""

    def __init__(self, test_set, train_set, frame_weights, eval_tracks_n, tune_tracks_n, log, device="cpu"):
        self.tracks = eval_tracks(test_set, max_tracks=eval_tracks_n)
        self.gt = [tr["xyz"] for tr in self.tracks]
        self.tune = eval_tracks(train_set, max_tracks=tune_tracks_n, seed=7)  # training split: tuning, selection
        self.rows, self.smooth = {}, None
        if frame_weights and os.path.exists(frame_weights):
            lifter, den, sch, _ = load_frame(frame_weights)
            lifter, den = lifter.to(device), den.to(device)
            t0 = time.time()
            tune = self.tune
            self.smooth = tune_smoothers(frame_predict(lifter, den, sch, tune, "visible"), [t["xyz"] for t in tune])
            log(f"smoothers tuned on {len(tune)} training-split tracks: {json.dumps(self.smooth)} [{time.time() - t0:.0f}s]")
            for variant in ("visible", "legs"):
                p = frame_predict(lifter, den, sch, self.tracks, variant)
                self._add(f"frame ({os.path.basename(frame_weights)})", variant, p)
                self._add(f"frame + moving average {self.smooth['ma_window']}", variant,
                          [moving_average(x, self.smooth["ma_window"]) for x in p])
                self._add(f"frame + One-Euro {self.smooth['euro_min_cutoff']}/{self.smooth['euro_beta']}", variant,
                          [one_euro(x, FPS, self.smooth["euro_min_cutoff"], self.smooth["euro_beta"]) for x in p])

    def _add(self, name, variant, pred):
        r = self.rows.setdefault(name, {})
        if variant == "visible":
            r.update(metrics(pred, self.gt))
            r["upper"] = metrics(pred, self.gt, UPPER)["mpjpe"]
        else:
            r["upper_legs_hidden"] = metrics(pred, self.gt, UPPER)["mpjpe"]

    def run(self, model, schedule):
        rows = dict(self.rows)
        base = dict(self.rows)
        self.rows = {}
        for mode in MODES:
            for variant in ("visible", "legs"):
                final, start, denoised = temporal_predict(model, schedule, self.tracks, variant, mode, stages=True)
                self._add(f"temporal {mode}, start pose", variant, start)
                if model.v2:
                    self._add(f"temporal {mode}, denoised (not fused)", variant, denoised)
                self._add(f"temporal {mode}", variant, final)
        rows.update(self.rows)
        self.rows = base
        return rows

    def selection_score(self, model, schedule):
        """Model selection on the TRAINING-split tracks (the test split is never used to choose):
        mean MPJPE of the offline and causal temporal models, all joints visible."""
        gt = [t["xyz"] for t in self.tune]
        return float(np.mean([metrics(temporal_predict(model, schedule, self.tune, "visible", m)[0], gt)["mpjpe"]
                              for m in MODES]))


def table(rows, n_frames, n_tracks):
    lines = [f"{n_tracks} test tracks, {n_frames} frames, 30 fps | MPJPE | P-MPJPE | MPJVE | accel | upper | "
             f"upper, legs hidden (ratio)"]
    for name, r in rows.items():
        ratio = r["upper_legs_hidden"] / r["upper"]
        lines.append(f"  {name:<40s} {r['mpjpe']:6.1f} {r['pa']:6.1f} {r['mpjve']:6.2f} {r['accel']:6.2f} "
                     f"{r['upper']:6.1f} {r['upper_legs_hidden']:6.1f} ({ratio:.2f})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# training

def window_losses(xyz, target, valid, acc_weight=1.0):
    """xyz, target [B, T, 17, 3]; valid [B, T] -> (mpjpe, velocity error, acceleration error), means
    over valid frames (the acceleration error only with acc_weight > 0, else 0)."""
    v = valid.float()
    err = (xyz - target).norm(dim=-1).mean(-1)
    mp = (err * v).sum() / v.sum().clamp(min=1)
    dv = (xyz.diff(dim=1) - target.diff(dim=1)).norm(dim=-1).mean(-1)
    v2 = v[:, 1:] * v[:, :-1]
    vel = (dv * v2).sum() / v2.sum().clamp(min=1)
    acc = torch.zeros((), device=xyz.device)
    if acc_weight > 0:
        da = (xyz.diff(n=2, dim=1) - target.diff(n=2, dim=1)).norm(dim=-1).mean(-1)
        v3 = v2[:, 1:] * v2[:, :-1]
        acc = (da * v3).sum() / v3.sum().clamp(min=1)
    return mp, vel, acc


def grid(model, a):
    """Training grid of a window: (frames, first): outputs at [first, first + a.frames); the causal
    encoder reads back to frame 0, the offline one up to the last frame; v2 also denoises the
    frames that the output averages read (fuse radius R: 2R before the outputs causal, R after offline)."""
    half = (model.offline.receptive_field - 1) // 2
    r = model.offline.fuse_radius
    return a.frames + 3 * half + 3 * r, 2 * half + 2 * r


def v1_losses(model, kp, target, valid, first, a):
    """v1 start-pose losses of both encoders -> (loss, log values, FiLM of the output frames per mode)."""
    half = (model.offline.receptive_field - 1) // 2
    frames = kp.shape[1]
    loss, logs, films = torch.zeros((), device=kp.device), {}, []
    base = model.lifter_start(kp[:, first:first + a.frames])  # the frame lifter's, shared by both encoders
    for mode, win in (("offline", kp[:, half:]), ("causal", kp[:, :frames - half])):
        if mode not in a.modes:
            continue
        xyz, film = model.start_film(mode, win, padded=True, film_grad=a.film_grad, base=base)
        mp, vel, acc = window_losses(xyz, target, valid, a.acc_weight)
        loss = loss + mp + a.vel_weight * vel + a.acc_weight * acc
        films.append(film)
        logs.update({f"{mode} start": mp, f"{mode} start vel": vel})
    return loss, logs, films


def fused_final(model, schedule, mode, kp, start, film, index, lo, a):
    """v2: DDIM [12, 0] on the first a.final_windows windows' denoised range (start, film [B, D, ...],
    grid frames lo .. lo + D - 1), then the output average at the a.frames output frames, each tap
    clamped to the track (index: the sampler's grid clamp) -> [final_windows, frames, 17, 3]."""
    enc = model.encoder(mode)
    nf, d = min(a.final_windows, kp.shape[0]), start.shape[1]
    f = film[:nf].reshape(-1, *film.shape[2:])
    x = init_official(kp[:nf, lo:lo + d, :, :2].reshape(-1, 17, 2), start[:nf].reshape(-1, 17, 3))
    x = ddim(lambda x_, t_: model.denoiser(x_, t_, film=f), schedule, x, [12, 0], eta=0.0)
    denoised = root_centre(x[..., 2:]).view(nf, d, 17, 3)
    v = 2 * enc.fuse_radius + 1
    g = lo + torch.arange(a.frames)[:, None] + torch.arange(v)[None]  # output j, tap k: grid frame lo + j + k
    pos = (torch.from_numpy(index[:nf])[:, g] - lo).clamp(0, d - 1).to(kp.device)
    return enc.fuse_outputs(denoised, pos)


def final_acc_weight(a, mode):
    """--final-acc-weight: one weight for both windows, or "offline,causal" (a causal output average
    smooths by lagging, which costs accuracy where an offline one's does not)."""
    w = [float(v) for v in str(a.final_acc_weight).split(",")]
    return w[0] if len(w) == 1 or mode == "offline" else w[1]


def v2_losses(model, schedule, kp, target, valid, index, first, a):
    """v2: per encoder, the start-pose loss on the output frames and the fused output's loss on the
    first a.final_windows windows -> (loss, log values, FiLM of the output frames per mode, for the
    diffusion loss, with its gradient into the features scaled by a.film_grad)."""
    wins = {}
    for mode in a.modes:
        (eb, ea), (fb, fa) = model.encoder(mode).padding(), model.encoder(mode).fuse_padding()
        lo, hi = first - fb, first + a.frames + fa  # the frames to denoise
        wins[mode] = (fb, lo, slice(lo - eb, hi + ea))
    # The lifter's output on the grid frames the trained encoders read (no graph when frozen): most of
    # a CPU step, and a causal-only run reads a quarter fewer frames than the grid holds.
    u0, u1 = min(w.start for *_, w in wins.values()), max(w.stop for *_, w in wins.values())
    lifted = model.lifter_start(kp[:, u0:u1])
    loss, logs, films = torch.zeros((), device=kp.device), {}, []
    for mode in a.modes:
        enc = model.encoder(mode)
        fb, lo, win = wins[mode]
        lifted_win = lifted[:, win.start - u0:win.stop - u0]
        h = enc.encode(kp[:, win], lifted_win)
        delta, film = enc.heads(h)
        start = enc.average_start(lifted_win) + delta  # [B, frames to denoise, 17, 3]
        out = slice(fb, fb + a.frames)
        mp, vel, acc = window_losses(start[:, out], target, valid, a.acc_weight)
        final = fused_final(model, schedule, mode, kp, start, film, index, lo, a)
        nf = final.shape[0]
        acc_weight = final_acc_weight(a, mode)
        fmp, fvel, facc = window_losses(final, target[:nf], valid[:nf], acc_weight)
        loss = loss + mp + a.vel_weight * vel + a.acc_weight * acc + a.final_weight * (
            fmp + a.vel_weight * fvel + acc_weight * facc)
        films.append(enc.heads(h[:, :, out], a.film_grad)[1])
        logs.update({f"{mode} start": mp, f"{mode} final": fmp, f"{mode} final vel": fvel, f"{mode} final acc": facc})
    return loss, logs, films


def diffusion_term(model, schedule, b, films, first, a):
    """The frame model's diffusion loss on a.diff_batch valid output frames (b's valid), an equal share
    conditioned by each trained encoder's FiLM. The frames are picked on the host, where the batch is."""
    out = slice(first, first + a.frames)
    vi = torch.nonzero(torch.from_numpy(b["valid"][:, out]).reshape(-1))[:, 0]
    pick = vi[torch.randint(0, len(vi), (a.diff_batch,))]
    dev = films[0].device
    on_dev = pick.to(dev)
    cuts = [a.diff_batch * i // len(films) for i in range(len(films) + 1)]
    film = torch.cat([f.reshape(-1, *f.shape[2:])[on_dev[lo:hi]] for f, lo, hi in zip(films, cuts, cuts[1:])])
    flat = lambda key: torch.from_numpy(b[key][:, out]).reshape(-1, *b[key].shape[2:])[pick].to(dev)  # noqa: E731
    return pose_diffusion_loss(lambda x_, t_: model.denoiser(x_, t_, film=film), schedule, flat("uv"),
                               flat("sigma")[..., None], flat("xyz"))


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.eval_only:
        return eval_only(a)
    assert a.name, "--name is required for training"
    run, last_path, log, ck = open_run(a, ("hidden", "layers", "heads", "channels", "dilations", "frames", "data", "init",
                                          "normalise", "design", "fuse_radius", "start_avg", "fuse_avg",
                                          "freeze_lifter"))  # (a v2 run's lifter must stay the frame model's)
    if ck is not None and not any(k.startswith("lifter.") for k in ck["model"]):
        raise SystemExit(f"{last_path} is a checkpoint of the first temporal design (no lifter): start a new run")
    if ck is not None and "design" not in ck["args"]:
        a.design = "v1"  # checkpoints from before v2

    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    train_set = Mocap(os.path.join(a.data, "train.safetensors"))
    test_set = Mocap(os.path.join(a.data, "test.safetensors"))
    schedule = Schedule()
    if a.init and a.init != "none":
        lifter, denoiser, schedule, _ = load_frame(a.init)
        # The frame file's noise gains were fitted to its own denoiser and lifter's sigma: not the temporal model's.
        schedule.xyz_noise_gain = None
        lifter = without_sigma(lifter)
        lifter.train()
        denoiser.train()
    else:
        lifter = GCNpose(hidden=a.hidden, layers=a.layers, heads=a.heads)
        denoiser = GCNdiff(hidden=a.hidden, layers=a.layers, heads=a.heads)
    dil = tuple(int(d) for d in str(a.dilations).split(","))
    pair = lambda s_: tuple(int(k) for k in str(s_).split(","))  # noqa: E731
    model = TemporalModel(denoiser, a.channels, dil, a.normalise, lifter, a.design == "v2", a.fuse_radius,
                          pair(a.start_avg), pair(a.fuse_avg))
    if a.init_temporal and ck is None:
        init_from_temporal(model, a.init_temporal, log)
    rf = model.offline.receptive_field
    frames, first = grid(model, a)
    make_sampler = lambda seed: WindowSampler(  # noqa: E731
        train_set, seed=seed, mirror_prob=a.mirror, fps_range=tuple(float(f) for f in a.fps.split(",")),
        legs_reach=a.legs_reach, crop_probs=legs_crop_probs(a.legs_prob))
    sampler = make_sampler(a.seed)
    step = ck["step"] if ck is not None else 0
    pool = SamplerPool(make_sampler, a.sampler_workers, (a.batch, frames, first, a.frames), a.seed, step) \
        if a.sampler_workers > 0 else None  # forked before the model goes to its device
    model.to(dev)
    for p in lifter.parameters():
        p.requires_grad_(not a.freeze_lifter)
    for p in model.denoiser.parameters():
        p.requires_grad_(not a.freeze_denoiser)
    for mode in MODES:
        for p in model.encoder(mode).parameters():
            p.requires_grad_(mode in a.modes)
    lifter_ids = {id(p) for p in lifter.parameters()}
    opt = torch.optim.Adam([{"params": [p for p in model.parameters() if id(p) not in lifter_ids], "lr_scale": 1.0},
                            {"params": list(lifter.parameters()), "lr_scale": a.lifter_lr_scale}], lr=a.lr)
    ema = EMA(model, a.ema) if a.ema > 0 else None
    elapsed, best, history = 0.0, None, []
    if ck is not None:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if ema is not None and ck.get("ema") is not None:
            ema.model.load_state_dict(ck["ema"])
        step, elapsed, best, history = ck["step"], ck["elapsed"], ck.get("best"), ck.get("history", [])
        sampler.set_state(ck["sampler_state"])
        opt.param_groups[1]["lr_scale"] = a.lifter_lr_scale
        torch.set_rng_state(ck["torch_rng"])
        if dev.type == "cuda" and ck.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(ck["cuda_rng"], dev)
    config = make_config(model, schedule)
    n_enc = sum(p.numel() for p in model.offline.parameters())
    n_den = sum(p.numel() for p in model.denoiser.parameters())
    n_lift = sum(p.numel() for p in model.lifter.parameters())
    log(f"config {json.dumps(config)} | params per encoder {n_enc} lifter {n_lift} denoiser {n_den} | receptive field {rf} | "
        f"args {vars(a)}")
    evaluator = Evaluator(test_set, train_set, a.frame_weights, a.eval_tracks, a.tune_tracks, log, dev)
    n_eval = sum(len(t["xyz"]) for t in evaluator.tracks)

    def design():
        if not model.v2:
            return "v1: start = lifter + delta"
        return (f"v2: encoders read (u, v, c, lifter xyz), start = learned average of the window's lifter outputs "
                f"(from moving averages {a.start_avg} offline,causal) + delta, output = learned average of "
                f"{2 * a.fuse_radius + 1} denoised frames (from {a.fuse_avg}); fused-output loss MPJPE + "
                f"{a.vel_weight} velocity + {a.final_acc_weight} accel on {a.final_windows} windows per step, "
                f"weight {a.final_weight}" + (f", encoders etc. init {os.path.relpath(a.init_temporal, ROOT)}"
                                               if a.init_temporal else ""))

    def summary():
        return (f"train_temporal.py run '{a.name}': {step} steps x {a.batch} windows x {a.frames} output frames, "
                f"{elapsed / 3600:.2f} hours on {a.device} ({a.threads} CPU thread)" + (f", windows drawn by {a.sampler_workers} processes" if a.sampler_workers else "") + f", Adam lr {a.lr} cosine to {a.lr_min} over "
                f"{a.steps} steps, EMA {a.ema}, loss MPJPE + {a.vel_weight} velocity + {a.acc_weight} accel + "
                f"{a.diff_weight} diffusion (x{a.film_grad} into the encoder features), lifter and denoiser init "
                f"{os.path.relpath(a.init, ROOT) if a.init != 'none' else 'none'}, lifter "
                f"{'frozen' if a.freeze_lifter else f'trained (lr x{a.lifter_lr_scale})'}, denoiser "
                f"{'frozen' if a.freeze_denoiser else 'trained'}, encoders trained: {','.join(a.modes)}, {design()}; "
                f"data {os.path.relpath(a.data, ROOT)} (train/video.py recipe, {a.fps} fps)")

    def state():
        return {"model": model.state_dict(), "ema": ema.model.state_dict() if ema else None,
                "opt": opt.state_dict(), "step": step, "elapsed": elapsed, "best": best, "history": history,
                "sampler_state": sampler.state(), "torch_rng": torch.get_rng_state(), "args": vars(a),
                "cuda_rng": torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None,
                "config": config, "training_summary": summary(), "source": "diffpose-webgpu train/train_temporal.py"}

    def evaluate():
        """Evaluate the EMA (or raw) weights; on a better selection score save best.pt and export. -> seconds taken."""
        nonlocal best
        t0 = time.time()
        net = ema.model if ema else model
        rows = evaluator.run(net.eval(), schedule)
        sel = evaluator.selection_score(net, schedule)
        improved = best is None or sel < best["score"]
        history.append({"eval": rows, "step": step})
        log(f"eval step {step} ({'EMA' if ema else 'raw'}): selection (training-split tracks, mean of offline "
            f"and causal) {sel:.1f} mm{' *best*' if improved else ''} [{time.time() - t0:.0f}s]\n"
            + table(rows, n_eval, len(evaluator.tracks)))
        if improved:
            best = {"score": sel, "step": step, "rows": rows}
            save_atomic(state(), os.path.join(run, "best.pt"))
            training = summary() + (" (EMA weights)" if ema else "") + "; eval " + json.dumps(best)
            export_temporal(os.path.join(run, "best.safetensors"), net.state_dict(), config,
                            "diffpose-webgpu train/train_temporal.py", training)
            if a.export:
                export_temporal(a.export, net.state_dict(), config, "diffpose-webgpu train/train_temporal.py", training)
                if a.card:
                    write_card(a.card, a.export, config, summary(), best, n_eval, len(evaluator.tracks),
                               evaluator.smooth)
                log(f"exported {a.export}" + (f" and {a.card}" if a.card else ""))
        return time.time() - t0

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: stop.append("SIGINT"))
    if a.eval_start:
        t0 = time.time()
        rows = evaluator.run(model.eval(), schedule)
        sel = evaluator.selection_score(model, schedule)
        if best is None:  # a run that starts from a file exports only what beats that file on the selection tracks
            best = {"score": sel, "step": step, "rows": rows}
        log(f"eval step {step} (raw weights): selection {sel:.1f} mm [{time.time() - t0:.0f}s]\n"
            + table(rows, n_eval, len(evaluator.tracks)))
    t_start = t_ckpt = t_run = time.time()
    run_l, n_run = {}, 0
    while True:
        if (a.max_steps is not None and step >= a.max_steps) or time.time() - t_start > a.minutes * 60:
            break
        if stop:
            log(f"{stop[0]} received: saving and stopping")
            break
        lr = lr_now(step, a, t_start)
        for g in opt.param_groups:
            g["lr"] = lr * g["lr_scale"]
        b = pool.batch() if pool else sampler.batch(a.batch, frames, first, a.frames)
        kp = torch.from_numpy(b["kp"]).to(dev)
        out = slice(first, first + a.frames)
        target = torch.from_numpy(b["xyz"][:, out]).to(dev)
        valid = torch.from_numpy(b["valid"][:, out]).to(dev)
        model.train()
        if model.v2:
            loss, logs, films = v2_losses(model, schedule, kp, target, valid, b["index"], first, a)
        else:
            loss, logs, films = v1_losses(model, kp, target, valid, first, a)
        ld = diffusion_term(model, schedule, b, films, first, a)
        loss = loss + a.diff_weight * ld
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip)
        opt.step()
        if ema:
            ema.update(model, step)
        for k, v in list(logs.items()) + [("denoiser", ld)]:
            run_l[k] = run_l.get(k, 0.0) + v.item()
        step += 1
        n_run += 1
        if step % a.log_every == 0:
            dt = time.time() - t_run
            elapsed += dt
            m = {k: v / n_run for k, v in run_l.items()}
            log(f"step {step} lr {lr:.2e} | " + " | ".join(
                f"{k} {v:.4f}" if k == "denoiser" else f"{k} {1000 * v:.1f}" for k, v in m.items())
                + f" | {1000 * dt / n_run:.0f} ms/step (mm; vel mm/frame, acc mm/frame^2)")
            history.append({"step": step, **{f"{mode}_mm": 1000 * m[f"{mode} start"] for mode in a.modes},
                            "denoiser_loss": m["denoiser"], "train": m})
            run_l, n_run, t_run = {}, 0, time.time()
        if step % a.eval_every == 0:
            t_run += evaluate()
        if time.time() - t_ckpt > a.ckpt_minutes * 60:
            save_atomic(state(), last_path)
            t_ckpt = time.time()
    if a.eval_end and (not history or history[-1].get("step") != step or "eval" not in history[-1]):
        evaluate()
    save_atomic(state(), last_path)
    if pool:
        pool.close()
    log(f"stopped at step {step}; saved {last_path}")


def eval_only(a):
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    ev = Evaluator(Mocap(os.path.join(a.data, "test.safetensors")), Mocap(os.path.join(a.data, "train.safetensors")),
                   a.frame_weights, a.eval_tracks, a.tune_tracks, log, a.device)
    rows = dict(ev.rows)
    if a.temporal_weights:
        model, schedule, _ = load_temporal(a.temporal_weights)
        rows = ev.run(model.to(a.device), schedule)
    print(table(rows, sum(len(t["xyz"]) for t in ev.tracks), len(ev.tracks)))
    return rows


def design_text(enc):
    """The model card's sentence on what the encoders do (v1 or v2, from an encoder config)."""
    if enc.get("start") != "lifter-average":
        return ("each frame a correction of the lifter's start pose (start = root-centred lifter output + delta; the "
                "lifter is the frame model's GCNpose) and FiLM parameters for the GCNdiff denoiser, which runs "
                "DDIM [12, 0] as in the frame model.")
    fuse = enc["fuse"]
    return ("each frame (design v2, `docs/temporal-model.md` §12; the encoders read the 2D and the frozen frame "
            "lifter's xyz of every window frame) a start pose = a learned per-joint average of the window's lifter "
            "outputs + a correction delta, and FiLM parameters for the GCNdiff denoiser, which runs DDIM [12, 0] as "
            f"in the frame model; the output is a learned per-joint average of the denoised poses of {fuse['window']} "
            f"frames ({fuse['pad'][0]} before and {fuse['pad'][1]} after the frame offline).")


def write_card(path, weights, config, summary, best, n_frames, n_tracks, smooth):
    t = config["temporal"]
    text = f"""# Model card: `{os.path.relpath(weights, ROOT)}` (temporal DiffPose)

Video version of the frame model in `weights/diffpose.safetensors` (see `weights/MODEL_CARD.md`
for the data, its licences and the frame model): two context encoders over one track's 2D
keypoints and confidences -- **offline** (centred window of {t['offline']['window']} frames, needs
{t['offline']['pad'][1]} future frames) and **causal** (the last {t['causal']['window']} frames, zero latency) -- that give
{design_text(t['offline'])} Architecture, tensor names and exact math: `docs/temporal-model.md`.

## Intended use
Single-person 2D -> 3D lifting of tracked 17-joint keypoints (with confidences) from video, e.g. a
webcam (causal) or a recorded clip (offline); same output as the frame model. Not for
safety-critical use, biometrics or identification. Trained on 30 fps mocap resampled to 20-60 fps; the engine reads 2D under 25 fps upsampled in time to about 30 (the `fps` option, docs/temporal-model.md §18).

## Training
{summary}. Recipe: `docs/temporal-model.md` ("Training recipe").

## Evaluation (step {best['step']}, EMA weights, PyTorch reference, DDIM [12, 0], official init, H = 1)
Fixed test-split tracks ({n_tracks} tracks, {n_frames} frames, 30 fps, one camera per track,
temporally correlated detector noise; `train/video.py` `eval_tracks`); smoothing baselines tuned
on training-split tracks: {json.dumps(smooth)}. mm; MPJVE in mm/frame, acceleration error in
mm/frame^2; "upper" = joints 7-16; "legs hidden" = the same tracks cropped above the knees
(knees and ankles out of frame: confidence < 0.1, positions at the border or garbage).

| model | MPJPE | P-MPJPE | MPJVE | accel | upper | upper, legs hidden |
|---|---|---|---|---|---|---|
""" + "\n".join(f"| {k} | {r['mpjpe']:.1f} | {r['pa']:.1f} | {r['mpjve']:.2f} | {r['accel']:.2f} | {r['upper']:.1f} | "
                f"{r['upper_legs_hidden']:.1f} |" for k, r in best["rows"].items()) + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
