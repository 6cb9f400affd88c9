import { AbortedError, throwIfAborted } from '../errors.js';

/**
 * One GPU call at a time per device. Every engine call on a device (lift, liftBuffers, any model
 * sharing that device) records, submits and reads back inside this lock, so calls that overlap
 * in time run one after another in arrival order: they never share a staging buffer, a run slot
 * or an error scope, and each gives the bits it would give alone. The GPU queue serialises the
 * work anyway; what a caller loses is only the overlap of one call's CPU-side preparation with
 * another's GPU work.
 */
class DeviceLock {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `body` when every earlier call on the device has finished; a queued call can be aborted. */
  run<T>(body: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    let release!: () => void;
    const turn = this.tail;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const onAbort = () => {
        if (started) return;
        // Leaves the queue at once; the lock passes on when the calls ahead of it are done.
        reject(new AbortedError(signal!.reason));
        void turn.then(release);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      void turn.then(async () => {
        if (signal?.aborted) return;
        started = true;
        signal?.removeEventListener('abort', onAbort);
        try {
          resolve(await body());
        } catch (e) {
          reject(e);
        } finally {
          release();
        }
      });
    });
  }
}

const locks = new WeakMap<GPUDevice, DeviceLock>();

export type { DeviceLock };

/** The lock of a device; `lock` makes a new device share an existing one (a re-acquired device). */
export function deviceLock(device: GPUDevice, lock?: DeviceLock): DeviceLock {
  const found = locks.get(device);
  if (found) return found;
  const made = lock ?? new DeviceLock();
  locks.set(device, made);
  return made;
}
