import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/cli/heatmap-file.js';
import { fitHeatmapsRef } from '../../src/model/heatmap-fit.js';
import { renderHeatmap } from '../../src/pose/heatmap-render.js';
import { expectClose, randomFloats } from '../helpers/close.js';
import { requireGpu } from '../helpers/gpu.js';

const PYTHON = '/usr/bin/python3';
const repoRoot = new URL('../../', import.meta.url).pathname;

/**
 * train/diffpose/heatmaps.py's fit (what training's mixtures come from) against the engine's
 * reference on the same heatmaps: odd sizes, 1-3 blobs per map on a noisy floor, K = 3.
 */
describe('train/diffpose/heatmaps.py fit = the engine reference (fitHeatmapsRef)', function () {
  this.timeout(600_000);
  it('3 people x 17 maps of 29 x 37, K = 3, targetSigma 2 (default) and 0: weights to 1e-3, means and stds to 1e-2 px', function () {
    if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status !== 0) {
      if (requireGpu()) throw new Error(`${PYTHON} has no numpy (install Debian's python3-numpy)`);
      this.skip();
    }
    const [n, J, w, h, K] = [3, 17, 29, 37, 3];
    const u = randomFloats(n * J * 12, 4, 0, 1);
    const maps = randomFloats(n * J * w * h, 5, -1e-4, 1e-3);
    for (let m = 0; m < n * J; m++) {
      const r = u.subarray(m * 12, m * 12 + 12);
      const blobs = Array.from({ length: 1 + Math.floor(r[0] * 3) }, (_, b) => ({
        weight: 0.2 + r[1 + b * 3],
        x: r[2 + b * 3] * (w - 1),
        y: r[3 + b * 3] * (h - 1),
        sx: 1.5 + r[1 + b * 3],
        sy: 1.5 + r[3 + b * 3],
      }));
      renderHeatmap(maps, m * w * h, w, h, blobs);
    }
    const boxes = Float32Array.from([10, 20, 300, 400, 0, 0, 29, 37, 50.5, 60.25, 180, 250]);
    const dir = mkdtempSync(join(tmpdir(), 'diffpose-heatmaps-py-'));
    try {
      writeFileSync(join(dir, 'h.npy'), encodeNpy([n, J, h, w], maps));
      writeFileSync(join(dir, 'b.npy'), encodeNpy([n, 4], boxes));
      for (const targetSigma of [2, 0]) {
        const out = join(dir, `out-${targetSigma}.npy`);
        const r = spawnSync(
          PYTHON,
          ['train/diffpose/heatmaps.py', join(dir, 'h.npy'), join(dir, 'b.npy'), String(K), out, String(targetSigma)],
          { cwd: repoRoot, encoding: 'utf8' },
        );
        if (r.status !== 0) throw new Error(`heatmaps.py failed: ${r.stderr}`);
        const py = parseNpy(readFileSync(out), 'out.npy').data;
        const ts = fitHeatmapsRef({
          heatmaps: maps,
          poses: n,
          joints: J,
          width: w,
          height: h,
          components: K,
          boxes,
          targetSigma,
        });
        const pick = (a: Float32Array, weights: boolean) => a.filter((_, i) => (i % 5 === 0) === weights);
        expectClose(pick(py, true), pick(ts, true), 1e-3, 0, `weights, targetSigma ${targetSigma}`);
        expectClose(pick(py, false), pick(ts, false), 1e-2, 0, `means and stds, targetSigma ${targetSigma}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
