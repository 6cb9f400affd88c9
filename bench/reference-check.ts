import type { DiffPose } from '../src/diffpose.js';
import type { BenchCase, BenchInput } from './cases.js';
import type { Check } from './contestant.js';

/** Poses of every case checked against the CPU reference (its first poses: the same inputs for every batch size). */
export const CHECKED_POSES = 8;

/**
 * The checks of the cases: the engine's CPU reference on the first poses, once per
 * (hypotheses, timesteps). A pose's random draws depend only on its index and the seed, so these
 * are the first poses of every batch size's answer, whoever computes it.
 */
export class ReferenceChecks {
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly model: DiffPose,
    private readonly input: (n: number) => BenchInput,
  ) {}

  async checkFor(c: BenchCase, tolerance: number): Promise<Check> {
    const key = `${c.hypotheses} ${c.timesteps.join(',')}`;
    let ref = this.cache.get(key);
    if (!ref) {
      const input = this.input(CHECKED_POSES);
      ref = (
        await this.model.lift(input.keypoints, {
          imageSize: input.imageSize,
          confidence: input.confidence,
          hypotheses: c.hypotheses,
          timesteps: c.timesteps,
          executor: 'cpu',
        })
      ).poses;
      this.cache.set(key, ref);
    }
    return compareTo(ref, c.poses, tolerance);
  }
}

function compareTo(ref: Float32Array, poses: number, tolerance: number): Check {
  return (got) => {
    if (got.length !== poses * 51) return `${got.length / 51} poses returned for ${poses}`;
    const bad = got.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return `non-finite output at pose ${Math.floor(bad / 51)}`;
    const n = Math.min(poses, CHECKED_POSES) * 51;
    let worst = 0,
      at = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(got[i] - ref[i]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst <= tolerance) return undefined;
    return `max |difference| from the CPU reference ${worst.toExponential(2)} m (pose ${Math.floor(at / 51)}, joint ${Math.floor(at / 3) % 17}) > ${tolerance} m`;
  };
}
