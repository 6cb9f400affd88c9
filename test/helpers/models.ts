import type { ModelConfig } from '../../src/model/config.js';
import { randomWeightsFile } from '../../src/model/random-weights.js';
import { parseSafetensors, serializeSafetensors, type WritableTensor } from '../../src/model/safetensors.js';

/** A small random model (fast on the CPU reference) shared by API and executor tests. */
export const SMALL_CONFIG: ModelConfig = {
  format: 1,
  joints: 17,
  skeleton: 'h36m17',
  lifter: { hidden: 16, layers: 2, heads: 2, coordsIn: 2, coordsOut: 3 },
  denoiser: { hidden: 24, layers: 2, heads: 2, coordsIn: 5, coordsOut: 5 },
  diffusion: { betaStart: 1e-4, betaEnd: 1e-3, numSteps: 51 },
};

export function smallWeights(seed = 11): Uint8Array {
  return randomWeightsFile(SMALL_CONFIG, seed);
}

/** Plausible pixel keypoints for n poses in a 640x480 image (a standing figure, jittered). */
export function someKeypoints(n: number, seed = 1): Float32Array {
  const base = [
    320, 240, 300, 240, 300, 320, 300, 400, 340, 240, 340, 320, 340, 400, 320, 190, 320, 140, 320, 120, 320, 95, 350,
    145, 370, 190, 380, 235, 290, 145, 270, 190, 260, 235,
  ];
  const out = new Float32Array(n * 34);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = base[i % 34] + (s / 2147483648 - 0.5) * 20 + (Math.floor(i / 34) % 5) * 3;
  }
  return out;
}

/** A temporal weights file with its lifter (tensors and config) replaced by the frame file `frame`'s. */
export function withLifter(temporal: Uint8Array, frame: Uint8Array): Uint8Array {
  const file = parseSafetensors(temporal),
    other = parseSafetensors(frame);
  const tensors = new Map<string, WritableTensor>();
  for (const [name, t] of file.tensors) if (!name.startsWith('lifter.')) tensors.set(name, t);
  for (const [name, t] of other.tensors) if (name.startsWith('lifter.')) tensors.set(name, t);
  const config = JSON.parse(file.metadata['diffpose.config']);
  config.lifter = JSON.parse(other.metadata['diffpose.config']).lifter;
  return serializeSafetensors(tensors, { ...file.metadata, 'diffpose.config': JSON.stringify(config) });
}
