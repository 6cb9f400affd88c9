import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiffPose } from '../../src/diffpose.js';
import { expectClose } from '../helpers/close.js';
import { testGpu } from '../helpers/gpu.js';

const PYTHON = '/usr/bin/python3';
const repoRoot = new URL('../../', import.meta.url).pathname;

/**
 * Keeps the Python side from rotting unseen: train/smoke.py trains a tiny model for a few steps,
 * resumes it, exports it, and the engine must load the export and reproduce PyTorch's lift.
 * In CI (CI=true) a missing PyTorch is a failure, elsewhere the test is pending.
 */
describe('train/ smoke test: PyTorch training -> export -> engine', function () {
  this.timeout(600_000);
  let dir: string;
  before(function () {
    const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
    if (!hasTorch) {
      if (process.env.CI === 'true' || process.env.DIFFPOSE_REQUIRE_GPU === '1') throw new Error(`${PYTHON} has no torch (install Debian's python3-torch)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'diffpose-smoke-'));
    const r = spawnSync(PYTHON, ['train/smoke.py', '--keep', dir], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`train/smoke.py failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('the engine loads the export and matches PyTorch (CPU reference and fused GPU)', async function () {
    const out = JSON.parse(readFileSync(join(dir, 'smoke-outputs.json'), 'utf8'));
    const uv = Float32Array.from(out.uv as number[]);
    const kp = uv.map((v) => v + 1); // uv -> pixels of a 2x2 image
    const expected = Float32Array.from(out.xyz as number[]);
    // The smoke model's lifter reads confidences (train.py --lifter-conf).
    const confidence = Float32Array.from(out.confidence as number[]);
    const options = { imageSize: [2, 2] as [number, number], init: 'official' as const, timesteps: out.timesteps as number[], confidence };
    const cpu = await DiffPose.load({ weights: join(dir, 'smoke.safetensors'), backend: 'cpu' });
    // And predicts its own error (train.py --lifter-sigma).
    const sigma = Float32Array.from(out.sigma as number[]);
    const ref = await cpu.lift(kp, options);
    expectClose(ref.poses, expected, 1e-4, 0, 'CPU reference vs PyTorch');
    expectClose(ref.sigma!, sigma, 1e-5, 1e-4, 'CPU reference sigma vs PyTorch');
    const gpu = await testGpu(this);
    const model = await DiffPose.load({ weights: join(dir, 'smoke.safetensors'), device: gpu.device });
    try {
      const r = await model.lift(kp, options);
      expect(r.executor).to.equal('fused');
      expectClose(r.poses, expected, 1e-4, 0, 'fused GPU vs PyTorch');
      expectClose(r.sigma!, sigma, 1e-5, 1e-4, 'fused GPU sigma vs PyTorch');
    } finally {
      model.dispose();
    }
  });
});
