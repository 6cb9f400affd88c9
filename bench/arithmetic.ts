import type { NetworkConfig } from '../src/model/config.js';

const J = 17;
/** Chebyshev terms of every graph convolution (model-spec: T0, T1, T2). */
const K = 3;

/**
 * Multiply-adds of one network evaluation for one item, as the model defines the arithmetic
 * (dense graph products, every Chebyshev term including the identity, the step embedding per
 * item as PyTorch computes it); layer norms, softmax and activations are not counted. The same
 * count for every contestant, whatever each skips or fuses.
 */
export function macsPerEvaluation(c: NetworkConfig, withStepEmbedding: boolean): number {
  const d = c.hidden;
  const cheb = (cin: number, cout: number) => K * J * J * cin + J * K * cin * cout;
  const attention = J * d * 3 * d + 2 * J * J * d + J * d * d;
  const feedForward = J * J * d + J * d * 2 * d + J * J * 2 * d + J * 2 * d * d;
  const gconv = 2 * cheb(d, d) + (withStepEmbedding ? 4 * d * d : 0);
  const embedding = withStepEmbedding ? d * 4 * d + 4 * d * 4 * d : 0;
  return cheb(c.coordsIn, d) + c.layers * (attention + feedForward + gconv) + cheb(d, c.coordsOut) + embedding;
}

/** Multiply-adds of a whole lift of one pose: the lifter once, the denoiser per hypothesis and step. */
export function macsPerPose(lifter: NetworkConfig, denoiser: NetworkConfig, hypotheses: number, steps: number): number {
  return macsPerEvaluation(lifter, false) + hypotheses * steps * macsPerEvaluation(denoiser, true);
}
