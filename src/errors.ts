import { printable } from './model/printable.js';

/**
 * Every error the library throws on purpose is a DiffPoseError with a stable `code`. Its message
 * is one printable line whatever it quotes (a driver's several-line report, an abort reason, a
 * path): the lines joined with " | ", control characters escaped.
 */
export class DiffPoseError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(printable(message.trim().replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' | ')), options);
    this.name = new.target.name;
  }
}

/**
 * Bad arguments from the caller, detected before any GPU work; the engine stays usable. The
 * message is one printable line whatever a hostile file put into it (the CLI prints it as is).
 */
export class InputError extends DiffPoseError {
  constructor(message: string) {
    super('INPUT', printable(message));
  }
}

/** A weights file that is truncated, corrupt or does not match its declared config. */
export class WeightsError extends DiffPoseError {
  constructor(message: string) {
    super('WEIGHTS', message);
  }
}

/** No WebGPU adapter could be obtained. */
export class NoAdapterError extends DiffPoseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NO_ADAPTER', message, options);
  }
}

export type GpuErrorCode = 'GPU_VALIDATION' | 'GPU_COMPILE' | 'GPU_OOM' | 'GPU_LOST' | 'GPU_INTERNAL';

/** A GPU validation error, shader compilation error, out-of-memory or lost device. */
export class GpuError extends DiffPoseError {
  constructor(code: GpuErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A call stopped by its AbortSignal (between chunks, or while it waited for the GPU). */
export class AbortedError extends DiffPoseError {
  constructor(reason: unknown) {
    super('ABORTED', `the call was aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(signal.reason);
}

/**
 * What reaches a caller is always a DiffPoseError: anything else (a DOMException from mapAsync, a
 * TypeError from a bad argument deep inside) is wrapped with its cause kept. `lost` tells a
 * failure caused by a lost device from an unexplained one.
 */
export function asDiffPoseError(e: unknown, what: string, lost?: GpuError): DiffPoseError {
  if (e instanceof DiffPoseError) return e;
  if (lost) return new GpuError('GPU_LOST', `${what}: ${lost.message}`, { cause: e });
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new DiffPoseError('INTERNAL', `${what} failed unexpectedly: ${message}`, { cause: e });
}
