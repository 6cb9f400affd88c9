import { NUM_JOINTS } from '../pose/skeleton.js';
import { MAX_XYZ_NOISE_GAIN } from './config.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { CONFIG_KEY } from './weights.js';

const J = NUM_JOINTS;

/**
 * One round of fitting the paper init's per-joint xyz noise gains (config diffusion.xyzNoiseGain)
 * from H >= 2 validation lifts made with `current`: each joint's gain is multiplied by its mean
 * error / mean spread, relative to the other joints', so that every joint's spread follows its
 * error in the same proportion. The denoiser pulls some joints' starts back harder than others'
 * (the torso's more than the wrists'), so equal noise leaves the torso's spread too small for its
 * error and a pooled r(spread, error) low (docs/uncertainty.md). The mean over the joints stays
 * put: the hypotheses get no wider on average. The root is root-relative zero in both error and
 * spread and keeps gain 1.
 *
 * error, spread: [N, 17] per joint of every validation pose.
 */
export function fitNoiseGainRound(
  error: ArrayLike<number>,
  spread: ArrayLike<number>,
  current?: ArrayLike<number>,
): number[] {
  if (error.length !== spread.length || error.length === 0 || error.length % J !== 0)
    throw new Error(`fitNoiseGainRound: error and spread must be [N, ${J}] of the same N > 0`);
  const sumError = new Float64Array(J),
    sumSpread = new Float64Array(J);
  for (let i = 0; i < error.length; i++) {
    sumError[i % J] += error[i];
    sumSpread[i % J] += spread[i];
  }
  const ratio = Array.from(sumError, (e, j) => (j === 0 || !(sumSpread[j] > 0) ? NaN : e / sumSpread[j]));
  const valid = ratio.filter((r) => Number.isFinite(r));
  if (valid.length === 0)
    throw new Error('fitNoiseGainRound: no joint has a spread (lifts with H >= 2 and the paper init needed)');
  const mean = valid.reduce((a, b) => a + b) / valid.length;
  return ratio.map((r, j) => {
    const before = current ? current[j] : 1;
    if (!Number.isFinite(r)) return before;
    return Math.min(MAX_XYZ_NOISE_GAIN, before * (r / mean));
  });
}

/** The gains as a weights file stores them: 6 significant digits. */
export function storedNoiseGain(gain: readonly number[]): number[] {
  return gain.map((g) => Number(g.toPrecision(6)));
}

/** The weights `bytes` with their config's diffusion.xyzNoiseGain set to `gain` (tensors and other metadata unchanged). */
export function withXyzNoiseGain(bytes: Uint8Array, gain: readonly number[]): Uint8Array {
  const file = parseSafetensors(bytes);
  const config = JSON.parse(file.metadata[CONFIG_KEY]);
  config.diffusion = { ...config.diffusion, xyzNoiseGain: storedNoiseGain(gain) };
  return serializeSafetensors(file.tensors, { ...file.metadata, [CONFIG_KEY]: JSON.stringify(config) });
}
