import { InputError } from '../errors.js';
import type { DiffusionConfig } from './config.js';

/** alphabar_t = prod_{s<=t} (1 - beta_s), beta linear from betaStart to betaEnd (f64, as the released code). */
export function alphaBars(cfg: DiffusionConfig): Float64Array {
  const out = new Float64Array(cfg.numSteps);
  let prod = 1;
  for (let t = 0; t < cfg.numSteps; t++) {
    const beta =
      cfg.numSteps === 1 ? cfg.betaStart : cfg.betaStart + ((cfg.betaEnd - cfg.betaStart) * t) / (cfg.numSteps - 1);
    prod *= 1 - beta;
    out[t] = prod;
  }
  return out;
}

/** The coefficients of one DDIM update from step t to the next step (-1 after the last). */
export interface DdimCoefficients {
  t: number;
  sqrtA: number;
  sqrtOneMinusA: number;
  sqrtANext: number;
  c1: number;
  c2: number;
}

/** Checks a reverse schedule: integers, strictly decreasing, inside [0, numSteps). */
export function validateTimesteps(timesteps: readonly number[], cfg: DiffusionConfig): void {
  if (!Array.isArray(timesteps) || timesteps.length === 0)
    throw new InputError('timesteps must be a non-empty array of integers');
  timesteps.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= cfg.numSteps) {
      throw new InputError(`timesteps[${i}] = ${t} is outside the schedule: integers in [0, ${cfg.numSteps - 1}]`);
    }
    if (i > 0 && !(t < timesteps[i - 1])) {
      throw new InputError(
        `timesteps must be strictly decreasing, but timesteps[${i - 1}] = ${timesteps[i - 1]} and timesteps[${i}] = ${t}`,
      );
    }
  });
}

/** DDIM (model-spec §5): x0 = (x - sqrt(1-a) eps) / sqrt(a); x' = sqrt(a') x0 + c1 z + c2 eps. */
export function ddimCoefficients(timesteps: readonly number[], eta: number, cfg: DiffusionConfig): DdimCoefficients[] {
  const ab = alphaBars(cfg);
  return timesteps.map((t, i) => {
    const a = ab[t];
    const aNext = i + 1 < timesteps.length ? ab[timesteps[i + 1]] : 1;
    const c1 = eta * Math.sqrt(((1 - a / aNext) * (1 - aNext)) / (1 - a));
    const c2 = Math.sqrt(Math.max(0, 1 - aNext - c1 * c1));
    return { t, sqrtA: Math.sqrt(a), sqrtOneMinusA: Math.sqrt(1 - a), sqrtANext: Math.sqrt(aNext), c1, c2 };
  });
}
