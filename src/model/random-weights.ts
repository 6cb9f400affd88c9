import type { ModelConfig } from './config.js';
import { expectedTensors } from './network-params.js';
import { serializeSafetensors, type Tensor } from './safetensors.js';
import { CONFIG_KEY } from './weights.js';

/** mulberry32: a tiny seeded generator, enough for test weights. */
export function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A weights file with random values for a config: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) like
 * PyTorch's default init, LayerNorm gains near 1 and A_hat near the identity, so activations
 * stay in a realistic range. For tests and benchmarks until trained weights exist.
 */
export function randomWeightsFile(config: ModelConfig, seed = 1): Uint8Array {
  const rand = generator(seed);
  const tensors = new Map<string, Tensor>();
  const nets = [
    ['lifter.', config.lifter, false],
    ['denoiser.', config.denoiser, true],
  ] as const;
  for (const [prefix, cfg, withTemb] of nets) {
    for (const [name, shape] of expectedTensors(cfg, withTemb)) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(numel);
      if (name.endsWith('A_hat')) {
        for (let i = 0; i < numel; i++) data[i] = (i % 18 === 0 ? 1 : 0) + 0.1 * rand();
      } else if (name.endsWith('a_2')) {
        for (let i = 0; i < numel; i++) data[i] = 1 + 0.2 * (rand() - 0.5);
      } else {
        const fanIn = shape.length === 4 ? shape[2] : shape.length === 2 ? shape[1] : shape[shape.length - 1];
        const bound = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < numel; i++) data[i] = bound * (2 * rand() - 1);
      }
      tensors.set(prefix + name, { shape, data });
    }
  }
  return serializeSafetensors(tensors, {
    [CONFIG_KEY]: JSON.stringify(config),
    'diffpose.source': `random weights, seed ${seed}`,
  });
}
