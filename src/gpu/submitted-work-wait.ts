import { isCpuAdapter, type GpuContext } from './context.js';
import { IN_NODE } from './node-gpu.js';

/**
 * Waiting for submitted work without taking a CPU adapter's cores.
 *
 * dawn.node settles `mapAsync` by ticking the device from `setImmediate`: the main thread spins
 * for as long as the GPU works. On a CPU adapter (lavapipe, SwiftShader) that loop takes one of
 * the cores the adapter's own threads run workgroups on. Measured on lavapipe with 2 cores: a
 * dispatch of 8 workgroups took 56-69 ms spinning and 32-40 ms while the main thread slept; a
 * 256-pose lift 830 ms against 450. Dawn offers Node no blocking wait, so a readback on such an
 * adapter first sleeps most of the time the same work (the same key: plan and batch size) took
 * before, then maps, and only the rest is spun.
 *
 * The estimate follows the work: when the map still had to wait after the sleep, the work took
 * the whole time, which is recorded; when it settled at once, the work may have ended during the
 * sleep, and a shorter duration is recorded, until the spin is seen again; a wait spun throughout
 * counts SPUN_SHARE of its time. A key's first call,
 * work estimated under MIN_SLEEP_MS and work of one workgroup are mapped at once as before.
 */
export class SubmittedWorkWait {
  /** Per key, the last HISTORY durations (oldest first). */
  private readonly durations = new Map<string, number[]>();

  constructor(
    /** False where spinning costs the work nothing: GPUs, browsers. */
    readonly sleeps: boolean,
    private readonly clock: WaitClock = realClock,
  ) {}

  /** Maps `bytes` of `buffer` for reading once the work submitted before it is done. */
  mapRead(buffer: GPUBuffer, bytes: number, work: SubmittedWork): Promise<void> {
    return this.after(work, () => buffer.mapAsync(GPUMapMode.READ, 0, bytes));
  }

  /**
   * Runs `settle` (a promise Dawn keeps by ticking: a map, onSubmittedWorkDone) after sleeping
   * most of the time `work` took before.
   */
  async after(work: SubmittedWork, settle: () => Promise<unknown>): Promise<void> {
    if (!this.sleeps || work.workgroups < 2) {
      await settle();
      return;
    }
    const past = this.durations.get(work.key) ?? [];
    // The shortest recent duration: sleeping past the work's end costs the caller latency,
    // waking before it only the last part's second core.
    const estimate = past.length ? Math.min(...past) : 0;
    const sleep = estimate >= MIN_SLEEP_MS ? SLEEP_SHARE * estimate : 0;
    const start = this.clock.now();
    if (sleep > 0) await this.clock.sleep(sleep);
    const settleStart = this.clock.now();
    await settle();
    const end = this.clock.now();
    const overslept = sleep > 0 && end - settleStart < SETTLED_AT_ONCE_MS;
    past.push(overslept ? estimate * SHRINK : sleep > 0 ? end - start : SPUN_SHARE * (end - start));
    if (past.length > HISTORY) past.shift();
    if (!this.durations.has(work.key)) {
      if (this.durations.size >= MAX_KEYS) this.durations.clear();
      this.durations.set(work.key, past);
    }
  }
}

/** What a readback waits for. */
export interface SubmittedWork {
  /** Names the work: the plan's kind and batch size (durations are kept per key). */
  key: string;
  /**
   * The most workgroups one of its dispatches ran: a single workgroup runs on one of the
   * adapter's threads, which the spinning thread does not slow.
   */
  workgroups: number;
}

/** The time source and timer, replaceable in tests. */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: WaitClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Below this the spun rest of an accurate estimate (15%) is too short to tell from a map of
 * finished work, and a timer's own lateness (about a millisecond in Node) is most of the gain.
 */
export const MIN_SLEEP_MS = 8;
/** Share of the estimate slept: the rest absorbs the timer's lateness and the work's variation. */
export const SLEEP_SHARE = 0.85;
/**
 * A map that settles this soon after the sleep found the work already done (0.1-0.6 ms measured
 * on lavapipe for finished work).
 */
export const SETTLED_AT_ONCE_MS = 1;
/**
 * The share of a wholly spun wait recorded as the work's duration: while the main thread spun,
 * the work had one core fewer (on 2 cores it took up to twice as long). Too short an estimate
 * costs only the rest's spin, too long one the caller's time: a sequence of two chunks, whose
 * second chunk would otherwise sleep 1.7 times its work, gains from its second chunk on.
 */
export const SPUN_SHARE = 0.5;
/** How fast an estimate that overslept comes down. */
export const SHRINK = 0.8;
/** Durations kept per key. */
export const HISTORY = 5;
/** Batch sizes seen by one plan; past this the estimates start over (a caller of every size). */
const MAX_KEYS = 256;

/**
 * The wait for a plan on this context: sleeping on CPU adapters under Node, whose binding spins
 * (a browser's event loop does not, and a GPU's work does not run on the spinning core).
 */
export function submittedWorkWait(gpu: GpuContext): SubmittedWorkWait {
  return new SubmittedWorkWait(IN_NODE && isCpuAdapter(gpu.adapter));
}
