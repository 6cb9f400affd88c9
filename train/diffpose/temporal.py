"""Temporal context encoder f_ST (docs/temporal-model.md): a dilated temporal convolution over
one track's 2D keypoints (u, v, confidence) giving, per frame, the start-pose correction delta
[17, 3] (root-centred) and the FiLM parameters (gamma, beta) of every residual graph block of the
denoiser (GCNdiff). train_temporal.TemporalModel puts it together with the lifter and denoiser.

Two designs (docs/temporal-model.md §3 and §12):
- v1 (`lifted=False`): input (u, v, c) per frame (51 channels); start pose of frame t =
  root_centre(lifter(uv_t)) + delta_t.
- v2 (`lifted=True`): input (u, v, c, root-centred lifter xyz) per frame (102 channels); start pose
  = sum_k average[k] * lifter xyz of window frame k (a learned per-joint average over the window,
  initialised as a moving average) + delta_t; the final output is a learned per-joint average of
  the denoised poses of the frames around t (`fuse`, clamped to the track).

Tensor names (under `context.offline.` / `context.causal.` in the weights file):
    input.{weight [C, 51 or 102, 3], bias [C]}
    blocks.{i}.conv.{weight [C, C, 3], bias [C]}     dilation dilations[i]
    blocks.{i}.point.{weight [C, C, 1], bias [C]}
    pose.{weight [51, C], bias [51]}
    film.{weight [layers * 2 * hidden, C], bias [layers * 2 * hidden]}
    average [window, 17]                             v2 only: tap k = window frame k (offset pad[0] before t)
    fuse [fuse window, 17]                           v2 only: tap k = denoised frame t - fuse pad[0] + k
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .skeleton import NUM_JOINTS

IN_CHANNELS = 3 * NUM_JOINTS  # channel 3j + (0: u, 1: v, 2: confidence)
LIFTED_CHANNELS = 2 * IN_CHANNELS  # v2: + channel 51 + 3j + (0: x, 1: y, 2: z) of the root-centred lifter output


class Block(nn.Module):
    """x[crop] + ReLU(point(ReLU(conv_d(x))))."""

    def __init__(self, channels, dilation):
        super().__init__()
        self.dilation = dilation
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation)
        self.point = nn.Conv1d(channels, channels, 1)


class ContextEncoder(nn.Module):
    """Valid (unpadded) convolutions over a window; `forward` edge-pads a whole track first.

    causal=False: output frame t sees frames t-R..t+R (R = receptive_field // 2);
    causal=True:  output frame t sees frames t-2R..t. Indices outside the track are clamped
    (edge padding: the first / last frame repeated)."""

    def __init__(self, channels=128, dilations=(3, 9), causal=False, hidden=64, layers=4, normalise=False,
                 lifted=False, fuse_radius=0, start_avg=1, fuse_avg=1):
        """lifted=True: the v2 design (lifter xyz as input, learned averages); fuse_radius R: the
        output average covers 2R + 1 denoised frames (offline t-R..t+R, causal t-2R..t);
        start_avg / fuse_avg: the moving averages (frames) that the two averages start as."""
        super().__init__()
        self.channels, self.dilations, self.causal = channels, tuple(dilations), causal
        self.normalise, self.lifted = normalise, lifted
        self.hidden, self.layers = hidden, layers
        self.input = nn.Conv1d(LIFTED_CHANNELS if lifted else IN_CHANNELS, channels, 3)
        self.blocks = nn.ModuleList([Block(channels, d) for d in self.dilations])
        self.pose = nn.Linear(channels, 3 * NUM_JOINTS)
        self.film = nn.Linear(channels, layers * 2 * hidden)
        with torch.no_grad():  # both heads start at zero: FiLM is the identity (the frame denoiser) and the
            self.film.weight.zero_()  # start-pose correction delta is 0 (the frame lifter's start pose)
            self.film.bias.zero_()
            self.pose.weight.zero_()
            self.pose.bias.zero_()
        self.fuse_radius = fuse_radius if lifted else 0
        if lifted:
            self.average = nn.Parameter(moving_average_taps(self.receptive_field, start_avg, causal))
            self.fuse = nn.Parameter(moving_average_taps(2 * fuse_radius + 1, fuse_avg, causal))

    @property
    def receptive_field(self):
        return 1 + 2 * (1 + sum(self.dilations))

    def padding(self):
        """(frames before, frames after) an output frame that its receptive field covers."""
        r = self.receptive_field - 1
        return (r, 0) if self.causal else (r // 2, r // 2)

    def fuse_padding(self):
        """v2: (denoised frames before, after) the output frame that the output average reads."""
        r = self.fuse_radius
        return (2 * r, 0) if self.causal else (r, r)

    def config(self):
        cfg = {"channels": self.channels, "dilations": list(self.dilations), "causal": self.causal,
               "window": self.receptive_field, "pad": list(self.padding()),
               "inputs": LIFTED_CHANNELS if self.lifted else IN_CHANNELS,
               "filmLayers": self.layers, "filmWidth": self.hidden, "normalise": bool(self.normalise)}
        if self.lifted:  # v2 only, so that v1 files keep their exact config
            cfg.update({"start": "lifter-average", "output": "fused",
                        "fuse": {"window": 2 * self.fuse_radius + 1, "pad": list(self.fuse_padding())}})
        return cfg

    def _crop(self, x, d):
        return x[:, :, 2 * d:] if self.causal else x[:, :, d:x.shape[2] - d]

    def features(self, x):
        """x [B, 51, L] -> [B, C, L - receptive_field + 1] (valid convolutions)."""
        h = F.relu(self.input(x))
        for blk in self.blocks:
            y = F.relu(blk.point(F.relu(blk.conv(h))))
            h = self._crop(h, blk.dilation) + y
        return h

    def heads(self, h, film_grad=1.0):
        """h [B, C, T] -> (delta [B, T, 17, 3] root-centred, film [B, T, layers, 2, hidden]).
        film_grad (training only): scale of the gradient that the FiLM head passes to the features."""
        h = h.transpose(1, 2)
        b, t, _ = h.shape
        xyz = self.pose(h).view(b, t, NUM_JOINTS, 3)
        xyz = xyz - xyz[:, :, :1]
        hf = h if film_grad == 1.0 else h.detach() * (1.0 - film_grad) + h * film_grad
        return xyz, self.film(hf).view(b, t, self.layers, 2, self.hidden)

    def encode(self, kp, lifted=None):
        """kp [B, L, 17, 3] (u, v, c), already padded (v2: lifted [B, L, 17, 3], the root-centred
        lifter output of every window frame) -> features [B, C, L - receptive_field + 1]."""
        b, n = kp.shape[:2]
        if self.normalise:
            kp = normalise_frames(kp)
        x = kp.reshape(b, n, IN_CHANNELS)
        if self.lifted:
            x = torch.cat([x, lifted.reshape(b, n, IN_CHANNELS)], -1)
        return self.features(x.transpose(1, 2))

    def forward_window(self, kp, film_grad=1.0, lifted=None):
        """kp [B, L, 17, 3] (u, v, c), already padded: L = T + receptive_field - 1 -> T outputs
        (delta, film) (heads); v2: lifted as in encode."""
        return self.heads(self.encode(kp, lifted), film_grad)

    def forward(self, kp, lifted=None):
        """kp [B, T, 17, 3] whole tracks (all of length T) -> T outputs each, edge-padded."""
        before, after = self.padding()
        t = kp.shape[1]
        idx = torch.arange(-before, t + after, device=kp.device).clamp(0, t - 1)
        return self.forward_window(kp[:, idx], lifted=None if lifted is None else lifted[:, idx])

    def average_start(self, lifted):
        """v2: lifted [B, L, 17, 3] over padded windows -> [B, L - window + 1, 17, 3]: output j =
        sum_k average[k, joint] * lifted[j + k] (a valid correlation, like the convolutions)."""
        win = lifted.unfold(1, self.receptive_field, 1)  # [B, T, 17, 3, window]
        return torch.einsum("btjck,kj->btjc", win, self.average)

    def fuse_outputs(self, denoised, index):
        """v2: denoised [B, D, 17, 3]; index [B, T, fuse window] (long): for output j, the denoised
        frame of each tap (the track-clamped frame t - fuse pad[0] + k) -> [B, T, 17, 3]."""
        b, t, v = index.shape
        taps = torch.gather(denoised, 1, index.reshape(b, t * v, 1, 1).expand(-1, -1, *denoised.shape[2:]))
        return torch.einsum("btvjc,vj->btjc", taps.view(b, t, v, *denoised.shape[2:]), self.fuse)

    def fuse_track(self, denoised):
        """v2: denoised [B, T, 17, 3] whole tracks -> fused [B, T, 17, 3] (indices clamped to the track)."""
        b, t = denoised.shape[:2]
        before = self.fuse_padding()[0]
        ar = lambda n: torch.arange(n, device=denoised.device)  # noqa: E731
        idx = (ar(t)[:, None] - before + ar(2 * self.fuse_radius + 1)[None]).clamp(0, t - 1)
        return self.fuse_outputs(denoised, idx[None].expand(b, -1, -1))


def moving_average_taps(window, k, causal):
    """[window, 17]: a k-frame moving average ending at the output frame's tap (centred offline,
    trailing causal) -- the initial value of the v2 averages (k = 1: the output frame alone)."""
    taps = torch.zeros(window, NUM_JOINTS)
    centre = window - 1 if causal else window // 2
    lo = centre - (k - 1) if causal else centre - k // 2
    taps[lo:lo + k] = 1.0 / k
    return taps


def normalise_frames(kp):
    """Per frame: w_j = c_j + 1e-3, m = sum_j w_j uv_j / sum_j w_j, s = sqrt(sum_j w_j |uv_j - m|^2 /
    sum_j w_j) + 1e-4; uv_j <- (uv_j - m) / s; c unchanged. kp [..., 17, 3]."""
    uv, c = kp[..., :2], kp[..., 2:]
    w = c + 1e-3
    m = (uv * w).sum(-2, keepdim=True) / w.sum(-2, keepdim=True)
    d = uv - m
    s = ((d.square().sum(-1, keepdim=True) * w).sum(-2, keepdim=True) / w.sum(-2, keepdim=True)).sqrt() + 1e-4
    return torch.cat([d / s, c], -1)


def encoder_from_config(cfg):
    """v1 (inputs 51) or v2 (inputs 102, start "lifter-average", output "fused")."""
    lifted = cfg["inputs"] == LIFTED_CHANNELS
    if lifted != (cfg.get("start") == "lifter-average") or cfg["inputs"] not in (IN_CHANNELS, LIFTED_CHANNELS):
        raise ValueError(f"unsupported temporal encoder config {cfg}")
    radius = (cfg["fuse"]["window"] - 1) // 2 if lifted else 0
    return ContextEncoder(cfg["channels"], cfg["dilations"], cfg["causal"], cfg["filmWidth"], cfg["filmLayers"],
                          cfg.get("normalise", False), lifted, radius)
