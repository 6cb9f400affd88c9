import { readFileSync } from 'node:fs';
import { parseModelWeights, type ModelWeights } from '../../src/model/weights.js';

/** The PyTorch fixtures written by train/fixtures.py (see test/fixtures/golden/README.md). */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

const dir = new URL('../fixtures/golden/', import.meta.url);

export function goldenJson(): any {
  return JSON.parse(readFileSync(new URL('golden.json', dir), 'utf8'));
}

export function goldenWeights(): ModelWeights {
  return parseModelWeights(new Uint8Array(readFileSync(new URL('tiny.safetensors', dir))));
}

export function f32(t: GoldenTensor): Float32Array {
  return Float32Array.from(t.data);
}

export function goldenPath(name: string): URL {
  return new URL(name, dir);
}
