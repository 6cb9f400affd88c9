"""GMM-scaled diffusion and the reference DDIM sampler (model-spec §5).

Tensor layout per joint: (u, v, x, y, z). `scale` is [B, 17, 5] = [su, sv, 1, 1, 1].
"""
import numpy as np
import torch


class Schedule:
    """beta linear from beta_start to beta_end over T steps; alphabar_{-1} = 1."""

    def __init__(self, beta_start=1e-4, beta_end=1e-3, num_steps=51, xyz_noise_gain=None):
        self.beta_start, self.beta_end, self.num_steps = beta_start, beta_end, num_steps
        # [17] per-joint factors on the paper init's xyz noise std (config diffusion.xyzNoiseGain,
        # fitted by `diffpose calibrate`), or None
        self.xyz_noise_gain = None if xyz_noise_gain is None else torch.tensor(xyz_noise_gain, dtype=torch.float32)
        self.betas = np.linspace(beta_start, beta_end, num_steps, dtype=np.float64)
        self.alphabar = np.cumprod(1.0 - self.betas)
        # index t + 1, so that alphabar_ext[0] is alphabar_{-1} = 1
        self._ext = torch.tensor(np.concatenate([[1.0], self.alphabar]), dtype=torch.float32)

    def config(self):
        c = {"betaStart": self.beta_start, "betaEnd": self.beta_end, "numSteps": self.num_steps}
        if self.xyz_noise_gain is not None:
            c["xyzNoiseGain"] = [round(float(g), 6) for g in self.xyz_noise_gain]
        return c

    def a(self, t):
        """alphabar_t for an int or an integer tensor (t = -1 allowed), float32 tensor."""
        t = torch.as_tensor(t, dtype=torch.long)
        if self._ext.device != t.device:  # the table follows the timesteps' device (training on a GPU)
            self._ext = self._ext.to(t.device)
        return self._ext[t + 1]

    def a64(self, t):
        return 1.0 if t < 0 else float(self.alphabar[t])


def paired_timesteps(n, num_steps, generator=None, device=None):
    """t uniform in {0..T-1}, the first half paired with T-1-t as the released code does."""
    t = torch.randint(0, num_steps, (n // 2 + 1,), generator=generator, device=device)
    return torch.cat([t, num_steps - 1 - t])[:n]


def q_sample(schedule, x0, t, scale, eps):
    """x_t = sqrt(a_t) x0 + sqrt(1 - a_t) (eps * scale); t [B] long."""
    a = schedule.a(t).view(-1, 1, 1)
    return a.sqrt() * x0 + (1.0 - a).sqrt() * (eps * scale)


def diffusion_loss(denoiser, schedule, x0, scale, t=None, eps=None, generator=None):
    """||eps*scale - g(x_t, t)||^2 summed over joints and channels, mean over the batch."""
    n = x0.shape[0]
    if t is None:
        t = paired_timesteps(n, schedule.num_steps, generator, x0.device)
    if eps is None:
        eps = torch.randn(x0.shape, generator=generator, device=x0.device)
    target = eps * scale
    xt = q_sample(schedule, x0, t, scale, eps)
    pred = denoiser(xt, t)
    return (target - pred).square().sum(dim=(1, 2)).mean()


def pose_diffusion_loss(denoiser, schedule, uv, sigma, xyz):
    """diffusion_loss of x_0 = [uv, xyz] whose uv noise is scaled by the 2D sigma [B, 17, 1] (the
    GMM scaling of model-spec §5) and whose xyz noise is not."""
    x0 = torch.cat([uv, xyz], -1)
    scale = torch.cat([sigma, sigma, torch.ones_like(xyz)], -1)
    return diffusion_loss(denoiser, schedule, x0, scale)


@torch.no_grad()
def ddim(denoiser, schedule, x, timesteps, eta=0.0, generator=None, trace=None, noise=None):
    """DDIM from x at timesteps[0] down through timesteps[-1] to -1.

    timesteps: descending, e.g. [12, 0]. Returns x_{-1}. z ~ N(0, I) (only used when eta > 0;
    `noise`, a list with one tensor per step, replaces the random z).
    trace (list) receives (t, eps_hat, x0_hat, x_next) per step.
    """
    seq = list(timesteps)
    nxt = seq[1:] + [-1]
    n = x.shape[0]
    for step, (t, tn) in enumerate(zip(seq, nxt)):
        at, an = schedule.a64(t), schedule.a64(tn)
        eps = denoiser(x, torch.full((n,), t, dtype=torch.long, device=x.device))
        x0 = (x - (1.0 - at) ** 0.5 * eps) / at ** 0.5
        c1 = eta * ((1.0 - at / an) * (1.0 - an) / (1.0 - at)) ** 0.5
        c2 = max(1.0 - an - c1 * c1, 0.0) ** 0.5
        x = an ** 0.5 * x0 + c2 * eps
        if c1 > 0:
            z = noise[step] if noise is not None else torch.randn(x.shape, generator=generator, device=x.device)
            x = x + c1 * z
        if trace is not None:
            trace.append((t, eps, x0, x))
    return x


def root_centre(xyz):
    return xyz - xyz[..., :1, :]


def init_official(uv, lifter_xyz):
    """Released code: uv = component mean, xyz = lifter output root-centred, no noise."""
    return torch.cat([uv, root_centre(lifter_xyz)], dim=-1)


def moment_match(n):
    """Standard normals n [H, ...] -> per element of ..., the H draws centred and scaled to unit
    sample std (H >= 2; the engine's initNormals)."""
    c = n - n.mean(0, keepdim=True)
    return c / c.square().mean(0, keepdim=True).clamp_min(1e-12).sqrt()


def init_paper(schedule, t_start, pi, mu, sigma, lifter_xyz, hypotheses=1, generator=None, xyz_std=None):
    """Paper: per joint a component k ~ pi, uv ~ N(mu_k, sigma_k^2), xyz from the lifter, then
    x_K = sqrt(a_K) x + sqrt(1 - a_K) eps * [sigma_k, 1]. xyz_std [B, 17] (a 4-output lifter's
    sigma) replaces the xyz channels' noise std sqrt(1 - a_K): the start's depth distribution is
    then as wide as the lifter's own error estimate (docs/uncertainty.md). With two or more
    hypotheses the standard normals are moment-matched over them (moment_match); the schedule's
    xyz_noise_gain scales each joint's xyz noise.

    pi [B, 17, K], mu/sigma [B, 17, K, 2] (uv units) -> [hypotheses, B, 17, 5]."""
    b, j, k = pi.shape
    idx = torch.multinomial(pi.reshape(-1, k), hypotheses, replacement=True, generator=generator)
    idx = idx.T.reshape(hypotheses, b, j, 1, 1).expand(hypotheses, b, j, 1, 2)
    m = torch.gather(mu.expand(hypotheses, *mu.shape), 3, idx)[:, :, :, 0]
    s = torch.gather(sigma.expand(hypotheses, *sigma.shape), 3, idx)[:, :, :, 0]
    n = torch.randn((hypotheses, b, j, 7), generator=generator)
    if hypotheses >= 2:
        n = moment_match(n)
    x = torch.cat([m + s * n[..., :2], root_centre(lifter_xyz).expand(hypotheses, b, j, 3)], dim=-1)
    a = schedule.a64(t_start)
    xyz_noise = torch.full((b, j), (1.0 - a) ** 0.5) if xyz_std is None else xyz_std
    if schedule.xyz_noise_gain is not None:
        xyz_noise = xyz_noise * schedule.xyz_noise_gain
    xyz_noise = xyz_noise[..., None]
    return a ** 0.5 * x + torch.cat([(1.0 - a) ** 0.5 * s * n[..., 2:4], xyz_noise * n[..., 4:]], dim=-1)


def summarize(xyz_h):
    """xyz_h [H, B, 17, 3] -> (mean [B,17,3], spread [B,17]), spread_j = sqrt(mean_h ||x_hj - mean_j||^2)."""
    mean = xyz_h.mean(0)
    spread = (xyz_h - mean).square().sum(-1).mean(0).sqrt()
    return mean, spread


@torch.no_grad()
def lift(lifter, denoiser, schedule, uv, timesteps=(12, 0), init="official", eta=0.0,
         hypotheses=1, mixture=None, generator=None, conf=None):
    """Full DiffPose inference. uv [B,17,2] (component means / keypoints), conf [B,17] (None: all 1).

    mixture = (pi, mu, sigma) for init='paper' (defaults to one component at uv with
    sigma 0.01, i.e. the formats.md rule with c = 1). Returns (mean xyz, spread, lifter xyz); a
    4-output lifter's sigma sets the paper init's xyz noise (init_paper).
    """
    xyz0, sig = lifter.xyz_sigma(uv, conf)
    xyz0 = root_centre(xyz0)
    if init == "official":
        starts = [init_official(uv, xyz0)] * hypotheses
    elif init == "paper":
        if mixture is None:
            mixture = (torch.ones(uv.shape[:2] + (1,)), uv[:, :, None, :], torch.full(uv.shape[:2] + (1, 2), 0.01))
        starts = init_paper(schedule, timesteps[0], *mixture, xyz0, hypotheses, generator, sig)
    else:
        raise ValueError(init)
    outs = [root_centre(ddim(denoiser, schedule, x, timesteps, eta, generator)[..., 2:]) for x in starts]
    mean, spread = summarize(torch.stack(outs))
    return mean, spread, xyz0
