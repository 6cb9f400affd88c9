"""GCNdiff (denoiser) and GCNpose (lifter), written from ../shared/docs/model-spec.md §2-§3.

Parameter names are exactly the released checkpoints' state-dict names (without `module.`).
Constant graph matrices (Chebyshev terms) are non-persistent buffers, so they never appear in
a state dict.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .skeleton import NUM_JOINTS, chebyshev_terms


def swish(x):
    return x * torch.sigmoid(x)


def timestep_embedding(t, dim):
    """e(t) = [sin(t f_k), cos(t f_k)], f_k = exp(-k ln(10000) / (half - 1)), k < half = dim/2.

    t: [B] (integer or float) -> [B, dim] float32.
    """
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * -(math.log(10000.0) / (half - 1)))
    arg = t.to(torch.float32)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


class ChebConv(nn.Module):
    """Y = sum_k T_k @ X @ W_k + b; weight [3, 1, in, out], bias [1, 1, out]."""

    def __init__(self, cin, cout):
        super().__init__()
        self.cin, self.cout = cin, cout
        self.weight = nn.Parameter(torch.empty(3, 1, cin, cout))
        self.bias = nn.Parameter(torch.zeros(1, 1, cout))
        # Xavier-normal for the equivalent Linear(3*cin -> cout).
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / (3 * cin + cout)))

    def forward(self, x, cheb):
        b, n, c = x.shape
        tx = torch.einsum("kij,bjc->bikc", cheb, x).reshape(b, n, 3 * c)
        return tx @ self.weight.reshape(3 * self.cin, self.cout) + self.bias.reshape(self.cout)


class GraphConv(nn.Module):
    """ReLU(ChebConv(X)); parameters under `gconv.`."""

    def __init__(self, cin, cout, dropout=0.0):
        super().__init__()
        self.gconv = ChebConv(cin, cout)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x, cheb):
        x = F.relu(self.gconv(x, cheb))
        return self.dropout(x) if self.dropout is not None else x


class LayerNorm(nn.Module):
    """a_2 * (x - mean) / (std + eps) + b_2 with the UNBIASED std (not torch.nn.LayerNorm)."""

    def __init__(self, c, eps=1e-6):
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(c))
        self.b_2 = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True, unbiased=True)
        return self.a_2 * (x - mean) / (std + self.eps) + self.b_2


class MultiHeadAttention(nn.Module):
    """linears.0/1/2/3 = query, key, value, output; no mask."""

    def __init__(self, d, heads, dropout=0.0):
        super().__init__()
        assert d % heads == 0
        self.h, self.dk = heads, d // heads
        self.linears = nn.ModuleList([nn.Linear(d, d) for _ in range(4)])
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = [lin(x).view(b, n, self.h, self.dk).transpose(1, 2) for lin in self.linears[:3]]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dk)
        p = F.softmax(scores, dim=-1)
        if self.dropout is not None:
            p = self.dropout(p)
        y = (p @ v).transpose(1, 2).reshape(b, n, d)
        return self.linears[3](y)


class LAMGconv(nn.Module):
    """`fc` applied after the learnable-adjacency propagation: fc(Lhat @ X)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.fc = nn.Linear(cin, cout)


def lam_laplacian(a_hat):
    """Lhat[i][j] = s[i] A_hat[i][j] s[j], s[j] = (sum_i A_hat[i][j] + 1e-5)^-1/2."""
    s = (a_hat.sum(0) + 1e-5) ** -0.5
    return s[:, None] * a_hat * s[None, :]


class GraphNet(nn.Module):
    """FFN(X) = fc2(Lhat @ ReLU(fc1(Lhat @ X)))."""

    def __init__(self, d, n=NUM_JOINTS):
        super().__init__()
        self.A_hat = nn.Parameter(torch.eye(n))
        self.gconv1 = LAMGconv(d, 2 * d)
        self.gconv2 = LAMGconv(2 * d, d)

    def forward(self, x):
        lap = lam_laplacian(self.A_hat)
        x = F.relu(self.gconv1.fc(torch.matmul(lap, x)))
        return self.gconv2.fc(torch.matmul(lap, x))


class Sublayer(nn.Module):
    def __init__(self, d, dropout=0.0):
        super().__init__()
        self.norm = LayerNorm(d)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x, fn):
        y = fn(self.norm(x))
        return x + (self.dropout(y) if self.dropout is not None else y)


class GraAttenLayer(nn.Module):
    def __init__(self, d, heads, dropout=0.0, attn_dropout=0.0):
        super().__init__()
        self.self_attn = MultiHeadAttention(d, heads, attn_dropout)
        self.feed_forward = GraphNet(d)
        self.sublayer = nn.ModuleList([Sublayer(d, dropout), Sublayer(d, dropout)])

    def forward(self, x, trace=None):
        x = self.sublayer[0](x, self.self_attn)
        if trace is not None:
            trace.append(("attn", x))
        return self.sublayer[1](x, self.feed_forward)


class ResChebGC(nn.Module):
    """Y = X + G2(FiLM(G1(X) [+ temb_proj(swish(temb))])); FiLM(h) = h * (1 + gamma) + beta with
    film = [B, 2, d] (gamma, beta; shared over the joints), only for the temporal model."""

    def __init__(self, d, temb_dim=None, dropout=0.0):
        super().__init__()
        self.gconv1 = GraphConv(d, d, dropout)
        self.gconv2 = GraphConv(d, d, dropout)
        self.temb_proj = nn.Linear(temb_dim, d) if temb_dim else None

    def forward(self, x, cheb, temb=None, film=None):
        y = self.gconv1(x, cheb)
        if self.temb_proj is not None:
            y = y + self.temb_proj(swish(temb))[:, None, :]
        if film is not None:
            y = y * (1.0 + film[:, 0, None, :]) + film[:, 1, None, :]
        return x + self.gconv2(y, cheb)


class _GCN(nn.Module):
    def __init__(self, hidden, layers, heads, coords_in, coords_out, diffusion,
                 temb_block, dropout=0.0, gconv_dropout=0.0, attn_dropout=0.0):
        super().__init__()
        self.hidden, self.layers, self.heads = hidden, layers, heads
        self.coords_in, self.coords_out = coords_in, coords_out
        self.diffusion = diffusion
        self.register_buffer("cheb", torch.tensor(chebyshev_terms(), dtype=torch.float32),
                             persistent=False)
        temb_dim = 4 * hidden
        self.gconv_input = ChebConv(coords_in, hidden)
        self.gconv_layers = nn.ModuleList(
            [ResChebGC(hidden, temb_dim if diffusion else None, gconv_dropout) for _ in range(layers)])
        self.atten_layers = nn.ModuleList(
            [GraAttenLayer(hidden, heads, dropout, attn_dropout) for _ in range(layers)])
        self.gconv_output = ChebConv(hidden, coords_out)
        with torch.no_grad():  # start near zero output (training from scratch; not in the spec)
            self.gconv_output.weight.mul_(0.1)
        if diffusion or temb_block:
            self.temb = nn.Module()
            self.temb.dense = nn.ModuleList([nn.Linear(hidden, temb_dim), nn.Linear(temb_dim, temb_dim)])

    def config(self):
        return {"hidden": self.hidden, "layers": self.layers, "heads": self.heads,
                "coordsIn": self.coords_in, "coordsOut": self.coords_out}

    def step_embedding(self, t):
        return self.temb.dense[1](swish(self.temb.dense[0](timestep_embedding(t, self.hidden))))

    def _run(self, x, t=None, trace=None, film=None):
        temb = None
        if self.diffusion:
            if t.dim() == 0:
                t = t.expand(x.shape[0])
            temb = self.step_embedding(t)
            if trace is not None:
                trace.append(("e", timestep_embedding(t, self.hidden)))
                trace.append(("temb", temb))
        out = self.gconv_input(x, self.cheb)
        if trace is not None:
            trace.append(("input", out))
        for i in range(self.layers):
            sub = [] if trace is not None else None
            out = self.atten_layers[i](out, sub)
            if trace is not None:
                trace.append((f"layer{i}.attn", sub[0][1]))
                trace.append((f"layer{i}.ffn", out))
            out = self.gconv_layers[i](out, self.cheb, temb, None if film is None else film[:, i])
            if trace is not None:
                trace.append((f"layer{i}.gconv", out))
        return self.gconv_output(out, self.cheb)


class GCNdiff(_GCN):
    """Denoiser g(x_t, t): [B, 17, 5] (u, v, x, y, z) -> predicted scaled noise [B, 17, 5].
    film: optional [B, layers, 2, hidden] (gamma, beta per residual graph block; temporal model)."""

    def __init__(self, hidden=96, layers=5, heads=4, coords_in=5, coords_out=5, **kw):
        super().__init__(hidden, layers, heads, coords_in, coords_out, True, True, **kw)

    def forward(self, x, t, trace=None, film=None):
        return self._run(x, t, trace, film)


class GCNpose(_GCN):
    """Lifter: normalised uv [B, 17, 2] -> camera-frame xyz [B, 17, 3]. With coords_in 3 the
    joint's 2D confidence is the third input channel (docs/temporal-model.md §13): a hidden joint
    then reads as hidden, not as a real joint wherever the detector left it. With coords_out 4 the
    fourth output channel is log sigma, the lifter's own estimate of each joint's error scale
    (metres per axis; docs/uncertainty.md): the paper init's xyz noise std.

    temb_block=True adds the released checkpoints' unused `temb.dense` block.
    """

    def __init__(self, hidden=96, layers=5, heads=4, coords_in=2, coords_out=3,
                 temb_block=False, **kw):
        if coords_in not in (2, 3):
            raise ValueError(f"a lifter reads (u, v) or (u, v, confidence), not {coords_in} channels")
        if coords_out not in (3, 4):
            raise ValueError(f"a lifter writes xyz or (xyz, log sigma), not {coords_out} channels")
        super().__init__(hidden, layers, heads, coords_in, coords_out, False, temb_block, **kw)

    def forward(self, uv, conf=None, trace=None):
        """uv [..., 17, 2]; conf [..., 17] in [0, 1], None = all 1 (ignored by a 2-channel lifter).
        -> xyz [..., 17, 3]."""
        return self.xyz_sigma(uv, conf, trace)[0]

    def xyz_sigma(self, uv, conf=None, trace=None):
        """-> (xyz [..., 17, 3], sigma [..., 17] in metres, or None for a 3-output lifter)."""
        out = self.raw(uv, conf, trace)
        return out[..., :3], (out[..., 3].exp() if self.coords_out == 4 else None)

    def raw(self, uv, conf=None, trace=None):
        """-> every output channel [..., 17, coords_out] (xyz, then log sigma for a 4-output lifter)."""
        shape = uv.shape
        x = uv.reshape(-1, 17, 2)
        if self.coords_in == 3:
            c = torch.ones_like(x[..., 0]) if conf is None else conf.reshape(-1, 17).to(x.dtype)
            x = torch.cat([x, c[..., None]], -1)
        return self._run(x, None, trace).reshape(*shape[:-1], self.coords_out)


def widen_lifter_input(state):
    """A 2-channel lifter's state dict as a 3-channel one that ignores the confidence (its weights
    zero): the starting point of fine-tuning a confidence-reading lifter from a shipped one."""
    w = state["gconv_input.weight"]
    if w.shape[2] == 3:
        return state
    out = dict(state)
    out["gconv_input.weight"] = torch.cat([w, torch.zeros_like(w[:, :, :1])], 2)
    return out


def deepen_lifter(state, model, bias=1e-4):
    """A lifter's state dict with the blocks that `model` (a deeper lifter of the same width) has
    beyond it appended before the output convolution, each as good as the identity: the attention
    and graph-FFN sublayers' output weights zero (their residual adds nothing, and they still get
    gradients), the residual graph block's second convolution zero but for a bias of `bias`, so its
    ReLU stays open to gradients and the block adds a constant `bias` per channel (about 0.1 mm at
    the output for 1e-4). The starting point of fine-tuning a deeper lifter from a shipped one."""
    have = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("gconv_layers."))
    out = dict(state)
    fresh = model.state_dict()
    for i in range(have, model.layers):
        for k, v in fresh.items():
            if k.startswith((f"gconv_layers.{i}.", f"atten_layers.{i}.")):
                out[k] = v.clone()
        for k in (f"atten_layers.{i}.self_attn.linears.3", f"atten_layers.{i}.feed_forward.gconv2.fc"):
            out[k + ".weight"] = torch.zeros_like(fresh[k + ".weight"])
            out[k + ".bias"] = torch.zeros_like(fresh[k + ".bias"])
        k = f"gconv_layers.{i}.gconv2.gconv"
        out[k + ".weight"] = torch.zeros_like(fresh[k + ".weight"])
        out[k + ".bias"] = torch.full_like(fresh[k + ".bias"], bias)
    return out


def add_sigma_output(state, start=0.04):
    """A 3-output lifter's state dict as a 4-output one whose log sigma is log(start) everywhere
    (its weights zero): the starting point of fine-tuning a lifter that predicts its own error."""
    w, b = state["gconv_output.weight"], state["gconv_output.bias"]
    if w.shape[-1] == 4:
        return state
    out = dict(state)
    out["gconv_output.weight"] = torch.cat([w, torch.zeros_like(w[..., :1])], -1)
    out["gconv_output.bias"] = torch.cat([b, torch.full_like(b[..., :1], math.log(start))], -1)
    return out


def without_sigma(lifter):
    """A 4-output lifter as the 3-output one it contains (its xyz unchanged): what a temporal model
    takes from a frame file, since the engine reads a temporal file's lifter as xyz only."""
    if lifter.coords_out == 3:
        return lifter
    cfg = lifter.config()
    out = GCNpose(hidden=cfg["hidden"], layers=cfg["layers"], heads=cfg["heads"], coords_in=cfg["coordsIn"])
    st = dict(lifter.state_dict())
    st["gconv_output.weight"] = st["gconv_output.weight"][..., :3]
    st["gconv_output.bias"] = st["gconv_output.bias"][..., :3]
    out.load_state_dict({k: v for k, v in st.items() if not k.startswith("temb.")})
    return out.train(lifter.training)


def from_config(kind, cfg, **kw):
    cls = GCNdiff if kind == "denoiser" else GCNpose
    return cls(hidden=cfg["hidden"], layers=cfg["layers"], heads=cfg["heads"],
               coords_in=cfg["coordsIn"], coords_out=cfg["coordsOut"], **kw)
