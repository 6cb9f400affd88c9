import { expect } from 'chai';
import { WeightsError } from '../../src/errors.js';

/** A golden track (u, v, confidence [T, 17, 3]) as pixels of a 1000 x 1000 image: uv = p / 500 - 1. */
export function trackPixels(track: Float32Array): { keypoints: Float32Array; confidence: Float32Array } {
  const n = track.length / 3;
  const keypoints = new Float32Array(2 * n),
    confidence = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    keypoints[2 * i] = (track[3 * i] + 1) * 500;
    keypoints[2 * i + 1] = (track[3 * i + 1] + 1) * 500;
    confidence[i] = track[3 * i + 2];
  }
  return { keypoints, confidence };
}

/** The promise rejects with an error whose message matches. */
export async function expectReject(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, String(pattern)).to.be.instanceOf(Error);
  expect((caught as Error).message).to.match(pattern);
}

/** `load` throws a WeightsError whose message matches. */
export function expectWeightsError(load: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    load();
  } catch (e) {
    caught = e;
  }
  expect(caught, String(pattern)).to.be.instanceOf(WeightsError);
  expect((caught as Error).message).to.match(pattern);
}
