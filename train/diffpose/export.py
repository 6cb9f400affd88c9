"""Write/read the engine's weights file (docs/formats.md, "Weights file").

CLI (from the repository root):
    /usr/bin/python3 train/diffpose/export.py --ckpt train/runs/<name>/best.pt \
        --out weights/diffpose.safetensors --card weights/MODEL_CARD.md [--no-ema]
"""
import json
import os
import sys

import numpy as np
import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from diffpose import safetensors_io
    from diffpose.diffusion import Schedule
    from diffpose.model import from_config
else:
    from . import safetensors_io
    from .diffusion import Schedule
    from .model import from_config


def make_config(lifter, denoiser, schedule):
    return {"format": 1, "joints": 17, "skeleton": "h36m17",
            "lifter": lifter.config(), "denoiser": denoiser.config(),
            "diffusion": schedule.config()}


def export(path, lifter, denoiser, schedule, source="", training=""):
    """lifter / denoiser: GCNpose / GCNdiff modules (or None to use state dicts via export_state)."""
    return export_state(path, lifter.state_dict(), denoiser.state_dict(),
                        make_config(lifter, denoiser, schedule), source, training)


def export_state(path, lifter_sd, denoiser_sd, config, source="", training=""):
    tensors = {}
    for prefix, sd in (("lifter.", lifter_sd), ("denoiser.", denoiser_sd)):
        for k, v in sd.items():
            k = k[len("module."):] if k.startswith("module.") else k
            tensors[prefix + k] = v
    return write_weights(path, tensors, config, source, training)


def write_weights(path, tensors, config, source="", training=""):
    """tensors: name -> torch tensor, written as F32 with the diffpose.* metadata."""
    tensors = {k: v.detach().cpu().to(torch.float32).numpy() for k, v in tensors.items()}
    meta = {"diffpose.config": json.dumps(config)}
    if source:
        meta["diffpose.source"] = source
    if training:
        meta["diffpose.training"] = training
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    safetensors_io.write(path, tensors, meta)
    return tensors


def load(path, **kw):
    """Returns (lifter, denoiser, schedule, metadata) from an engine weights file."""
    tensors, meta = safetensors_io.read(path)
    cfg = json.loads(meta["diffpose.config"])
    nets = []
    for kind in ("lifter", "denoiser"):
        sd = {k[len(kind) + 1:]: torch.from_numpy(np.array(v, dtype=np.float32))
              for k, v in tensors.items() if k.startswith(kind + ".")}
        extra = {}
        if kind == "lifter" and any(k.startswith("temb.") for k in sd):
            extra["temb_block"] = True
        net = from_config(kind, cfg[kind], **extra, **kw)
        net.load_state_dict(sd)
        net.eval()
        nets.append(net)
    d = cfg["diffusion"]
    return nets[0], nets[1], Schedule(d["betaStart"], d["betaEnd"], d["numSteps"], d.get("xyzNoiseGain")), meta


def main():
    import argparse
    ap = argparse.ArgumentParser(description="export a training checkpoint to the engine format")
    ap.add_argument("--ckpt", required=True, help="train/runs/<name>/last.pt (train.py checkpoint)")
    ap.add_argument("--out", default="weights/diffpose.safetensors")
    ap.add_argument("--no-ema", action="store_true", help="export raw weights instead of EMA")
    ap.add_argument("--card", default=None, help="also write a model card (e.g. weights/MODEL_CARD.md)")
    ap.add_argument("--card-eval", default=None,
                    help="with --card: a Markdown file with the full-split `diffpose eval` results to put in the card")
    args = ap.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu", weights_only=False)  # our own checkpoint
    use_ema = not args.no_ema and ck.get("ema_lifter") is not None
    lsd = ck["ema_lifter"] if use_ema else ck["lifter"]
    dsd = ck["ema_denoiser"] if use_ema else ck["denoiser"]
    training = ck.get("training_summary", "") + (" (EMA weights)" if use_ema else " (raw weights)")
    export_state(args.out, lsd, dsd, ck["config"], ck.get("source", ""), training)
    print(f"wrote {args.out} from {args.ckpt} step {ck.get('step')} ema={use_ema} eval {ck.get('best')}")
    if args.card:
        if __package__ in (None, ""):
            from diffpose.card import write_card
        else:
            from .card import write_card
        full_eval = open(args.card_eval).read().strip() if args.card_eval else None
        write_card(args.card, ck, args.out, use_ema, full_eval)
        print(f"wrote {args.card}")


if __name__ == "__main__":
    main()
