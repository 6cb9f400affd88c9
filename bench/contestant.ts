import type { BenchCase, BenchInput } from './cases.js';

/** What one contestant measured on one case. */
export interface Measurement {
  /** The first call (compilation, first-use allocation, JIT) in ms. */
  firstMs: number;
  /** The timed calls after it, in ms. */
  timesMs: number[];
  /** The mean poses [n, 17, 3] of the last call, checked against the CPU reference. */
  poses: Float32Array;
  /** Engine-only metrics (dispatches, GPU time per dispatch, resident time, memory). */
  details?: Record<string, unknown>;
}

/** The correctness check of a case: undefined when right, else what is wrong. */
export type Check = (poses: Float32Array) => string | undefined;

export interface MeasurePlan {
  /** Stop adding timed calls once this much time was spent on them (at least one call). */
  targetMs: number;
  maxRuns: number;
}

/** A runtime under test, loaded with the shared weights and ready to run cases. */
export interface Contestant {
  name: string;
  /** What it runs on: the adapter, or the CPU and threads. */
  device: string;
  version: string;
  /** Largest absolute difference from the CPU reference that still counts as the same output (m). */
  tolerance: number;
  /**
   * Runs the case once, checks it, and only if right times further calls. A wrong result
   * throws WrongResult; timings of wrong output are never reported.
   */
  measure(c: BenchCase, input: BenchInput, check: Check, plan: MeasurePlan): Promise<Measurement>;
  dispose(): void | Promise<void>;
}

/** A contestant that could not run here, and why (not installed, no adapter...). */
export interface Skipped {
  name: string;
  skipped: string;
}

export class WrongResult extends Error {}

/**
 * The timing loop of in-process contestants: a first call, the check, then timed calls until the
 * plan's time is used.
 */
export async function timeCalls(
  lift: () => Promise<Float32Array>,
  check: Check,
  plan: MeasurePlan,
): Promise<Measurement> {
  let t0 = performance.now();
  let poses = await lift();
  const firstMs = performance.now() - t0;
  const wrong = check(poses);
  if (wrong) throw new WrongResult(wrong);
  const timesMs: number[] = [];
  let spent = 0;
  while (timesMs.length < plan.maxRuns && (timesMs.length === 0 || spent < plan.targetMs)) {
    t0 = performance.now();
    poses = await lift();
    const ms = performance.now() - t0;
    timesMs.push(ms);
    spent += ms;
  }
  const wrongLater = check(poses);
  if (wrongLater) throw new WrongResult(`a timed call differs: ${wrongLater}`);
  return { firstMs, timesMs, poses };
}
