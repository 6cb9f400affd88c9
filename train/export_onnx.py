"""Export the engine's weights file to ONNX, so that ONNX Runtime can be benchmarked against the
engine on the very same networks.

    /usr/bin/python3 train/export_onnx.py weights/diffpose.safetensors <out_dir> [--opset 17]

Writes <out_dir>/lifter.onnx (uv [B,17,2] (and confidence [B,17] for a lifter that reads it) -> xyz
[B,17,3], or [B,17,4] with log sigma last for a lifter that predicts its error: the RAW lifter output; root-centring
belongs to the sampler, which the benchmark runs around the networks), <out_dir>/denoiser.onnx
(x [B,17,5], t int64 [B] -> eps [B,17,5]) and <out_dir>/onnx.json.

Why it is built this way:
- The networks are loaded through diffpose.export.load, i.e. from the engine's file, not from a
  training checkpoint: the contestants must run bit-identical weights, and onnx.json records the
  file's sha256 so a benchmark can refuse a stale export.
- The step embedding is part of the denoiser graph (t enters as int64), so ONNX Runtime does the
  same work per step as the engine does; nothing is precomputed on the Python side.
- The batch axis is dynamic; the trace uses batch 3 so that no size-1 broadcast gets baked in.
- torch.onnx.export needs no `onnx` package (torch serialises the protobuf itself). Without
  onnx/onnxruntime in this Python, the check here is: the op inventory of the exported graph (no
  training-only or random ops), and a torch.jit trace at batch 3 replayed at batch 7 against eager
  (catches shapes frozen into the graph). If onnxruntime is importable, the files are also run.
  The benchmark compares ONNX Runtime's output with the engine's anyway.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffpose.export import load  # noqa: E402

FORBIDDEN = {"Dropout", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
             "Multinomial", "BatchNormalization"}


class RawLifter(torch.nn.Module):
    """The lifter's every output channel (a 4-output lifter's log sigma too), as the engine reads them."""

    def __init__(self, lifter):
        super().__init__()
        self.lifter = lifter

    def forward(self, uv, conf=None):
        return self.lifter.raw(uv, conf)


def specs(lifter, denoiser):
    """(name, module, example inputs, input names, output names) per network."""
    g = torch.Generator().manual_seed(0)
    uv = torch.randn(3, 17, 2, generator=g) * 0.3
    x = torch.randn(3, 17, 5, generator=g) * 0.3
    t = torch.tensor([12, 5, 0], dtype=torch.long)
    lifter = RawLifter(lifter)
    if lifter.lifter.coords_in == 3:  # a confidence-reading lifter: confidence [B,17] is a second input
        conf = torch.rand(3, 17, generator=g)
        lifted = ("lifter", lifter, (uv, conf), ["uv", "confidence"], ["xyz"])
    else:
        lifted = ("lifter", lifter, (uv,), ["uv"], ["xyz"])
    return [lifted,
            ("denoiser", denoiser, (x, t), ["x", "t"], ["eps"])]


def bigger(inputs):
    """The same kind of inputs at batch 7, to check that the batch axis really is dynamic."""
    g = torch.Generator().manual_seed(1)
    return tuple(torch.randint(0, 51, (7,), generator=g) if a.dtype == torch.long
                 else torch.randn((7,) + tuple(a.shape[1:]), generator=g) * 0.3 for a in inputs)


def main():
    ap = argparse.ArgumentParser(description="weights file -> lifter.onnx, denoiser.onnx, onnx.json")
    ap.add_argument("weights")
    ap.add_argument("out_dir")
    ap.add_argument("--opset", type=int, default=17, help="17 is torch 1.13's highest")
    args = ap.parse_args()
    torch.set_num_threads(1)
    lifter, denoiser, _, _ = load(args.weights)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(args.weights, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    info = {"weights_sha256": sha, "opset": args.opset, "torch": torch.__version__,
            "inputs": {}, "outputs": {}, "files": {}, "ops": {}, "check": {}}
    for name, net, example, ins, outs in specs(lifter, denoiser):
        axes = {n: {0: "batch"} for n in ins + outs}
        kw = dict(input_names=ins, output_names=outs, dynamic_axes=axes, opset_version=args.opset)
        path = os.path.join(args.out_dir, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(net, example, path, **kw)
            pretty = torch.onnx.export_to_pretty_string(net, example, **kw)
        ops = collections.Counter(re.findall(r'Node \{type: "(\w+)"', pretty))
        bad = sorted(set(ops) & FORBIDDEN)
        if bad:
            raise SystemExit(f"{name}: the exported graph contains {bad}")
        info["inputs"][name], info["outputs"][name] = ins, outs
        info["files"][name] = name + ".onnx"
        info["ops"][name] = dict(sorted(ops.items()))

        big = bigger(example)
        with torch.no_grad():
            ref = net(*big)
            traced = torch.jit.trace(net, example, check_trace=False)
            err = (traced(*big) - ref).abs().max().item()
        info["check"][name] = {"traced_vs_eager_batch7": err}
        try:
            import onnxruntime as ort
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            got = sess.run(None, {n: a.numpy() for n, a in zip(ins, big)})[0]
            info["check"][name]["onnxruntime_vs_eager_batch7"] = float(abs(got - ref.numpy()).max())
        except ImportError:
            pass
        print(f"{path}: {sum(ops.values())} nodes, check {info['check'][name]}", file=sys.stderr)
        if err > 1e-5:
            raise SystemExit(f"{name}: traced graph differs from eager by {err} at batch 7")
    with open(os.path.join(args.out_dir, "onnx.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
