/** Every error the library throws on purpose is a DiffPoseError with a stable `code`. */
export class DiffPoseError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad arguments from the caller, detected before any GPU work; the engine stays usable. */
export class InputError extends DiffPoseError {
  constructor(message: string) { super('INPUT', message); }
}

/** A weights file that is truncated, corrupt or does not match its declared config. */
export class WeightsError extends DiffPoseError {
  constructor(message: string) { super('WEIGHTS', message); }
}

/** No WebGPU adapter could be obtained. */
export class NoAdapterError extends DiffPoseError {
  constructor(message: string) { super('NO_ADAPTER', message); }
}

/** A GPU validation error, shader compilation error, out-of-memory or lost device. */
export class GpuError extends DiffPoseError {
  constructor(code: 'GPU_VALIDATION' | 'GPU_COMPILE' | 'GPU_OOM' | 'GPU_LOST' | 'GPU_INTERNAL', message: string) {
    super(code, message);
  }
}
