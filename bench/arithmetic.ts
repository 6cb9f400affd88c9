import { programMacs, programOf } from '../src/model/network-program.js';
import type { ModelWeights } from '../src/model/weights.js';

/**
 * Multiply-adds of a whole lift of one pose: the lifter once, the denoiser per hypothesis and
 * step, each the sum over its op program (programMacs: dense graph products, every Chebyshev term
 * including the identity, the step embedding per item as PyTorch computes it; layer norms,
 * softmax and activations not counted). The same count for every contestant, whatever each
 * skips or fuses.
 */
export function macsPerPose(weights: ModelWeights, hypotheses: number, steps: number): number {
  return programMacs(programOf(weights.lifter)) + hypotheses * steps * programMacs(programOf(weights.denoiser));
}
