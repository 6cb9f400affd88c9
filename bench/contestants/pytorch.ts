import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gmmInitRef } from '../../src/model/gmm-init.js';
import { resolveSettings } from '../../src/lift-options.js';
import type { ModelConfig } from '../../src/model/config.js';
import { parseSafetensors, serializeSafetensors } from '../../src/model/safetensors.js';
import { prepareInput } from '../../src/pose/input.js';
import type { BenchCase, BenchInput } from '../cases.js';
import {
  WrongResult,
  type Check,
  type Contestant,
  type MeasurePlan,
  type Measurement,
  type Skipped,
} from '../contestant.js';
import { pythonCommand, REPO, torchVersion } from '../python.js';

const TORCH_TOLERANCE = 1e-4;

/**
 * PyTorch on the CPU (train/bench_torch.py, the train/ model): a process per case that times
 * itself. The random start comes from here — the engine's draws, pre-scaled, as `offset` — so
 * its output is checked against the CPU reference like everyone else's.
 */
class TorchContestant implements Contestant {
  readonly name = 'PyTorch CPU';
  readonly tolerance = TORCH_TOLERANCE;
  readonly device: string;
  private readonly dir = mkdtempSync(join(tmpdir(), 'diffpose-bench-torch-'));

  constructor(
    readonly version: string,
    private readonly weightsPath: string,
    private readonly config: ModelConfig,
    private readonly threads: number,
    private readonly plainBlas: boolean,
  ) {
    this.device = `CPU, ${threads} thread${threads > 1 ? 's' : ''}, ${plainBlas ? 'reference BLAS' : 'OpenBLAS'}`;
  }

  async measure(c: BenchCase, input: BenchInput, check: Check, plan: MeasurePlan): Promise<Measurement> {
    const batch = prepareInput({
      keypoints: input.keypoints,
      imageSize: input.imageSize,
      confidence: input.confidence,
    });
    const s = resolveSettings(
      { imageSize: input.imageSize, hypotheses: c.hypotheses, timesteps: c.timesteps },
      this.config,
    );
    const first = s.coefficients[0];
    // The engine's paper init with the lifter's xyz left out and unit xyz noise (times the model's
    // per-joint gain): bench_torch adds sqrt(a) * xyz and scales the noise by the start's std (the
    // lifter's sigma, or sqrt(1 - a)).
    const offset = gmmInitRef({
      poses: batch.poses,
      hypotheses: c.hypotheses,
      components: batch.components,
      gmm: batch.gmm,
      lifterXyz: new Float32Array(batch.poses * 51),
      mode: s.init,
      sqrtA: first.sqrtA,
      sqrtOneMinusA: first.sqrtOneMinusA,
      xyzStd: new Float32Array(batch.poses * 17).fill(1),
      xyzGain: s.xyzNoiseGain,
      key: s.key,
      poseOffset: 0,
    });
    const request = join(this.dir, 'request.safetensors'),
      response = join(this.dir, 'response.safetensors');
    writeFileSync(
      request,
      serializeSafetensors(
        {
          uv: { shape: [batch.poses, 17, 2], data: batch.uv },
          offset: { shape: [batch.poses * c.hypotheses, 17, 5], data: offset },
          ...(batch.confidence && { confidence: { shape: [batch.poses, 17], data: batch.confidence } }),
        },
        {
          hypotheses: String(c.hypotheses),
          timesteps: JSON.stringify(c.timesteps),
          eta: '0',
          init: s.init,
          // The process cannot stop by elapsed time: size the repeats from the plan and a guess.
          repeats: String(plan.maxRuns),
          warmup: '1',
        },
      ),
    );
    const [cmd, ...pre] = pythonCommand(this.plainBlas);
    const r = spawnSync(
      cmd,
      [...pre, 'train/bench_torch.py', this.weightsPath, request, response, '--threads', String(this.threads)],
      { encoding: 'utf8', cwd: REPO },
    );
    if (r.status !== 0)
      throw new Error(`bench_torch.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { first_ms: number; times_ms: number[] };
    const poses = parseSafetensors(readFileSync(response)).tensors.get('mean')!.data as Float32Array;
    const wrong = check(poses);
    if (wrong) throw new WrongResult(wrong);
    return { firstMs: report.first_ms, timesMs: report.times_ms, poses };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function torchContestant(
  weightsPath: string,
  config: ModelConfig,
  threads: number,
  plainBlas: boolean,
): Contestant | Skipped {
  const torch = torchVersion();
  if ('missing' in torch) return { name: 'PyTorch CPU', skipped: torch.missing };
  return new TorchContestant(torch.version, weightsPath, config, threads, plainBlas);
}
