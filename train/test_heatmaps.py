"""Checks train/diffpose/heatmaps.py: known mixtures come back (0.25 heatmap px, weights 0.05),
and the simulator + fit give the mixtures training uses. Run: /usr/bin/python3 train/test_heatmaps.py"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diffpose.heatmaps import fit_heatmaps, heatmap_mixture_uv, render  # noqa: E402

W, H = 48, 64
CASES = [
    [(1, 20.3, 30.7, 2, 2.5)],
    [(0.7, 15.2, 20.4, 2, 2), (0.3, 30.6, 40.1, 3, 2)],
    [(0.6, 20.2, 30.4, 2, 2), (0.4, 26.3, 31.1, 2, 2)],
    [(0.5, 10.2, 12.4, 2, 2), (0.3, 16.3, 13.1, 2, 2.5), (0.2, 30, 50, 4, 3)],
]


def main():
    for blobs in CASES:
        b = np.array(blobs, np.float64)
        maps = render(b[None], W, H)[None].astype(np.float32)
        pi, mu, _ = fit_heatmaps(maps, np.array([[0, 0, W, H]], np.float64), len(blobs))
        for wt, x, y, _, _ in blobs:
            d = np.hypot(mu[0, 0, :, 0] - 0.5 - x, mu[0, 0, :, 1] - 0.5 - y)
            k = d.argmin()
            assert d[k] < 0.25 and abs(pi[0, 0, k] - wt) < 0.05, (blobs, pi, mu)
    rng = np.random.default_rng(0)
    kp = np.array([[320, 240], [300, 240], [300, 320], [300, 400], [340, 240], [340, 320], [340, 400], [320, 190],
                   [320, 140], [320, 120], [320, 95], [350, 145], [370, 190], [380, 235], [290, 145], [270, 190],
                   [260, 235]], np.float64)[None].repeat(64, 0) + rng.normal(0, 3, (64, 17, 2))
    conf = rng.uniform(0.1, 1, (64, 17))
    pi, mu, sd, uv = heatmap_mixture_uv(kp, conf, np.full(64, 640), np.full(64, 480), rng, 3)
    assert np.allclose(pi.sum(-1), 1, atol=1e-5) and (sd > 0).all() and np.isfinite(mu).all()
    # The simulated left/right confusions leave some joints with a second component.
    assert ((pi > 0.1) & (pi < 0.9)).any()
    print("heatmaps ok: known mixtures recovered; simulated batch fitted (%.1f%% joints multi-modal)"
          % (100 * ((pi > 0.1).sum(-1) > 1).mean()))


if __name__ == "__main__":
    main()
