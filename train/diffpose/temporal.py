"""Temporal context encoder f_ST (docs/temporal-model.md): a dilated temporal convolution over
one track's 2D keypoints (u, v, confidence) giving, per frame, the start-pose correction delta
[17, 3] (root-centred; the temporal model's start pose is root_centre(lifter(uv_t)) + delta_t,
train_temporal.TemporalModel.start_film) and the FiLM parameters (gamma, beta) of every residual
graph block of the denoiser (GCNdiff).

Tensor names (under `context.offline.` / `context.causal.` in the weights file):
    input.{weight [C, 51, 3], bias [C]}
    blocks.{i}.conv.{weight [C, C, 3], bias [C]}     dilation dilations[i]
    blocks.{i}.point.{weight [C, C, 1], bias [C]}
    pose.{weight [51, C], bias [51]}
    film.{weight [layers * 2 * hidden, C], bias [layers * 2 * hidden]}
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .skeleton import NUM_JOINTS

IN_CHANNELS = 3 * NUM_JOINTS  # channel 3j + (0: u, 1: v, 2: confidence)


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

    def __init__(self, channels=128, dilations=(3, 9), causal=False, hidden=64, layers=4, normalise=False):
        super().__init__()
        self.channels, self.dilations, self.causal = channels, tuple(dilations), causal
        self.normalise = normalise
        self.hidden, self.layers = hidden, layers
        self.input = nn.Conv1d(IN_CHANNELS, channels, 3)
        self.blocks = nn.ModuleList([Block(channels, d) for d in self.dilations])
        self.pose = nn.Linear(channels, 3 * NUM_JOINTS)
        self.film = nn.Linear(channels, layers * 2 * hidden)
        with torch.no_grad():  # both heads start at zero: FiLM is the identity (the frame denoiser) and the
            self.film.weight.zero_()  # start-pose correction delta is 0 (the frame lifter's start pose)
            self.film.bias.zero_()
            self.pose.weight.zero_()
            self.pose.bias.zero_()

    @property
    def receptive_field(self):
        return 1 + 2 * (1 + sum(self.dilations))

    def padding(self):
        """(frames before, frames after) an output frame that its receptive field covers."""
        r = self.receptive_field - 1
        return (r, 0) if self.causal else (r // 2, r // 2)

    def config(self):
        return {"channels": self.channels, "dilations": list(self.dilations), "causal": self.causal,
                "window": self.receptive_field, "pad": list(self.padding()), "inputs": IN_CHANNELS,
                "filmLayers": self.layers, "filmWidth": self.hidden, "normalise": bool(self.normalise)}

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

    def forward_window(self, kp, film_grad=1.0):
        """kp [B, L, 17, 3] (u, v, c), already padded: L = T + receptive_field - 1 -> T outputs."""
        b, n = kp.shape[:2]
        if self.normalise:
            kp = normalise_frames(kp)
        return self.heads(self.features(kp.reshape(b, n, IN_CHANNELS).transpose(1, 2)), film_grad)

    def forward(self, kp):
        """kp [B, T, 17, 3] whole tracks (all of length T) -> T outputs each, edge-padded."""
        before, after = self.padding()
        t = kp.shape[1]
        idx = torch.arange(-before, t + after).clamp(0, t - 1)
        return self.forward_window(kp[:, idx])


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
    return ContextEncoder(cfg["channels"], cfg["dilations"], cfg["causal"], cfg["filmWidth"], cfg["filmLayers"],
                          cfg.get("normalise", False))
