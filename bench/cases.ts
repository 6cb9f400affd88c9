import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One benchmark case: a full lift of `poses` poses with `hypotheses` each over `timesteps`. */
export interface BenchCase {
  poses: number;
  hypotheses: number;
  timesteps: number[];
}

export const RELEASED_STEPS = [12, 0];
export const TEN_STEPS = [45, 40, 35, 30, 25, 20, 15, 10, 5, 0];

export function caseName(c: BenchCase): string {
  const steps = c.timesteps.length === 2 ? `[${c.timesteps.join(', ')}]` : `${c.timesteps.length} steps`;
  return `${c.poses}x${c.hypotheses} ${steps}`;
}

/** The full suite, the CI-sized `--quick` subset, and `--tiny` (the test of the script itself). */
export function benchCases(size: 'full' | 'quick' | 'tiny'): BenchCase[] {
  const grid = (batches: number[], hs: number[]) =>
    batches.flatMap((poses) => hs.map((hypotheses) => ({ poses, hypotheses, timesteps: RELEASED_STEPS })));
  if (size === 'tiny') return [...grid([1, 3], [1, 2]), { poses: 2, hypotheses: 1, timesteps: [8, 4, 0] }];
  if (size === 'quick')
    return [...grid([1], [1, 8]), ...grid([64], [1]), { poses: 1, hypotheses: 1, timesteps: TEN_STEPS }];
  return [
    ...grid([1, 64, 1024, 8192], [1, 8]),
    { poses: 1, hypotheses: 1, timesteps: TEN_STEPS },
    { poses: 64, hypotheses: 8, timesteps: TEN_STEPS },
  ];
}

/** Pixel keypoints and confidences of n poses, same for every contestant. */
export interface BenchInput {
  keypoints: Float32Array;
  confidence: Float32Array;
  imageSize: [number, number];
}

/**
 * Real detector-like keypoints (the bundled test-split examples) repeated to n poses, each
 * repeat shifted by a few pixels so no two poses of a batch are equal.
 */
export function benchInput(n: number): BenchInput {
  const frames: number[][][] = [];
  let imageSize: [number, number] = [640, 480];
  for (const name of ['walk-h36m17.json', 'basketball-h36m17.json']) {
    const file = JSON.parse(readFileSync(fileURLToPath(new URL(`../examples/${name}`, import.meta.url)), 'utf8')) as {
      imageSize: [number, number];
      frames: Array<{ keypoints: number[][] }>;
    };
    imageSize = file.imageSize;
    for (const f of file.frames) frames.push(f.keypoints);
  }
  const keypoints = new Float32Array(n * 34),
    confidence = new Float32Array(n * 17);
  for (let i = 0; i < n; i++) {
    const f = frames[i % frames.length],
      shift = Math.floor(i / frames.length) % 7;
    f.forEach(([x, y, c], j) => {
      keypoints[(i * 17 + j) * 2] = x + shift;
      keypoints[(i * 17 + j) * 2 + 1] = y - shift;
      confidence[i * 17 + j] = c;
    });
  }
  return { keypoints, confidence, imageSize };
}
