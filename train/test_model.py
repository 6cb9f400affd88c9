"""Self-checks: the model against a direct transcription of model-spec §2-§3, the safetensors
round trip, and the released checkpoint layout.   /usr/bin/python3 train/test_model.py
"""
import math
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffpose.checkpoint import load_released, save_released  # noqa: E402
from diffpose.diffusion import Schedule, ddim  # noqa: E402
from diffpose.export import export, load  # noqa: E402
from diffpose.model import GCNdiff, GCNpose, deepen_lifter, widen_lifter_input  # noqa: E402
from diffpose.skeleton import BONES  # noqa: E402


def spec_forward(sd, x, t, hidden, layers, heads):
    """One pose at a time, float64, straight from the spec's formulas."""
    p = {k: v.double() for k, v in sd.items()}
    n = 17
    a = torch.eye(n, dtype=torch.float64)
    for i, j in BONES:
        a[i, j] = a[j, i] = 1
    a = a / a.sum(1, keepdim=True)
    lap = torch.eye(n, dtype=torch.float64) - a
    ts = [torch.eye(n, dtype=torch.float64), lap, 2 * lap @ lap - torch.eye(n, dtype=torch.float64)]

    def cheb(name, X):
        w, b = p[name + ".weight"], p[name + ".bias"]
        return sum(ts[k] @ X @ w[k, 0] for k in range(3)) + b[0, 0]

    def lin(name, X):
        return X @ p[name + ".weight"].T + p[name + ".bias"]

    def ln(name, X):
        mean = X.mean(-1, keepdim=True)
        std = ((X - mean) ** 2).sum(-1, keepdim=True).div(X.shape[-1] - 1).sqrt()
        return p[name + ".a_2"] * (X - mean) / (std + 1e-6) + p[name + ".b_2"]

    def sw(v):
        return v * torch.sigmoid(v)

    temb = None
    if t is not None:
        half = hidden // 2
        f = torch.tensor([math.exp(-k * math.log(10000) / (half - 1)) for k in range(half)], dtype=torch.float64)
        e = torch.cat([torch.sin(t * f), torch.cos(t * f)])
        temb = lin("temb.dense.1", sw(lin("temb.dense.0", e)))
    X = cheb("gconv_input", x.double())
    dk = hidden // heads
    for l in range(layers):
        pre = f"atten_layers.{l}."
        Y = ln(pre + "sublayer.0.norm", X)
        q, k, v = (lin(pre + f"self_attn.linears.{i}", Y) for i in range(3))
        outs = []
        for h in range(heads):
            sl = slice(h * dk, (h + 1) * dk)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(dk)
            outs.append(torch.softmax(s, -1) @ v[:, sl])
        X = X + lin(pre + "self_attn.linears.3", torch.cat(outs, -1))
        Y = ln(pre + "sublayer.1.norm", X)
        A = p[pre + "feed_forward.A_hat"]
        sv = (A.sum(0) + 1e-5) ** -0.5
        L = torch.stack([torch.stack([sv[i] * A[i, j] * sv[j] for j in range(n)]) for i in range(n)])
        Y = torch.relu(lin(pre + "feed_forward.gconv1.fc", L @ Y))
        X = X + lin(pre + "feed_forward.gconv2.fc", L @ Y)
        pre = f"gconv_layers.{l}."
        Y = torch.relu(cheb(pre + "gconv1.gconv", X))
        if temb is not None:
            Y = Y + lin(pre + "temb_proj", sw(temb))
        X = X + torch.relu(cheb(pre + "gconv2.gconv", Y))
    return cheb("gconv_output", X)


def perturbed(model):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, prm in model.named_parameters():
            prm.add_(0.1 * torch.rand(prm.shape, generator=g))
    return model.eval()


def main():
    torch.manual_seed(0)
    cfg = dict(hidden=16, layers=2, heads=4)
    den, lif = perturbed(GCNdiff(**cfg)), perturbed(GCNpose(**cfg))
    x5, x2 = torch.randn(3, 17, 5), torch.randn(3, 17, 2)
    t = torch.tensor([0, 12, 50])
    with torch.no_grad():
        out5, out2 = den(x5, t), lif(x2)
    for i in range(3):
        r5 = spec_forward(den.state_dict(), x5[i], float(t[i]), **cfg)
        r2 = spec_forward(lif.state_dict(), x2[i], None, **cfg)
        assert torch.allclose(out5[i].double(), r5, atol=1e-5, rtol=1e-4), (out5[i] - r5).abs().max()
        assert torch.allclose(out2[i].double(), r2, atol=1e-5, rtol=1e-4), (out2[i] - r2).abs().max()
    print("model == spec transcription: ok")

    sch = Schedule()
    assert abs(sch.a64(-1) - 1.0) < 1e-12 and sch.alphabar.shape == (51,)
    assert abs(math.sqrt(1 - sch.alphabar[12]) - 0.0519) < 1e-3

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "w.safetensors")
        export(path, lif, den, sch, source="test")
        l2, d2, s2, meta = load(path)
        with torch.no_grad():
            assert torch.equal(l2(x2), out2) and torch.equal(d2(x5, t), out5)
            a = ddim(den, sch, x5, [12, 0])
            b = ddim(d2, s2, x5, [12, 0])
            assert torch.equal(a, b)
        raw = open(path, "rb").read()
        n = int.from_bytes(raw[:8], "little")
        assert n % 8 == 0
        print("safetensors round trip: ok")
        rp = os.path.join(d, "r.pth")
        save_released(rp, den, epoch=1, step=2)
        states = torch.load(rp)
        assert len(states) == 5 and all(k.startswith("module.") for k in states[0])
        assert not any(k.startswith("module.") for k in states[4])
        sd = load_released(rp)
        assert all(torch.equal(sd[k], v) for k, v in den.state_dict().items())
        print("released layout: ok")

    # A confidence-reading lifter: the spec transcription with (u, v, c) as its input, and a
    # released lifter widened to it (zero confidence weights) lifts exactly as before whatever c.
    lif3 = perturbed(GCNpose(coords_in=3, **cfg))
    conf = torch.rand(3, 17)
    with torch.no_grad():
        out3 = lif3(x2, conf)
        wide = GCNpose(coords_in=3, **cfg)
        wide.load_state_dict(widen_lifter_input(lif.state_dict()))
        assert torch.allclose(wide(x2, conf), out2, atol=1e-6), "widened lifter differs"
        assert torch.equal(lif3(x2), lif3(x2, torch.ones(3, 17))), "no confidence must mean 1"
    for i in range(3):
        r3 = spec_forward(lif3.state_dict(), torch.cat([x2[i], conf[i, :, None]], -1), None, **cfg)
        assert torch.allclose(out3[i].double(), r3, atol=1e-5, rtol=1e-4), (out3[i] - r3).abs().max()
    print("confidence-reading lifter: ok")

    # A lifter deepened by two blocks lifts as before (up to the residual blocks' small open bias)
    # and trains its new blocks: each new block's output weights get gradients.
    deep = GCNpose(**dict(cfg, layers=cfg["layers"] + 2))
    deep.load_state_dict(deepen_lifter(lif.state_dict(), deep))
    with torch.no_grad():
        assert torch.allclose(deep(x2), out2, atol=1e-4), (deep(x2) - out2).abs().max()
        shallow_open = deepen_lifter(lif.state_dict(), deep, bias=1e-2)
    deep.load_state_dict(shallow_open)
    with torch.no_grad():
        assert not torch.allclose(deep(x2), out2, atol=1e-4), "the open bias must reach the output"
    deep(x2).square().sum().backward()
    grads = dict(deep.named_parameters())
    for i in (cfg["layers"], cfg["layers"] + 1):
        for k in (f"atten_layers.{i}.self_attn.linears.3.weight", f"atten_layers.{i}.feed_forward.gconv2.fc.weight",
                  f"gconv_layers.{i}.gconv2.gconv.weight"):
            assert grads[k].grad.abs().sum() > 0, f"{k} gets no gradient"
    print("deepened lifter: ok")


if __name__ == "__main__":
    main()
