import { GpuError } from '../errors.js';
import type { GpuContext } from './context.js';

/**
 * Runs `body` inside validation + out-of-memory error scopes and turns a captured error into a
 * GpuError. WebGPU reports these asynchronously, so without scopes they would only be logged.
 */
export async function withGpuErrors<T>(ctx: GpuContext, what: string, body: () => T | Promise<T>): Promise<T> {
  if (ctx.lost) throw ctx.lost;
  const { device } = ctx;
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    result = await body();
  } catch (error) {
    failure = { error };
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const internal = await device.popErrorScope();
  if (ctx.lost) throw ctx.lost;
  // The body's own error (e.g. a compile error with line numbers) says more than the scope's echo of it.
  if (failure) throw failure.error;
  if (validation) throw new GpuError('GPU_VALIDATION', `${what}: ${validation.message}`);
  if (oom) throw new GpuError('GPU_OOM', `${what}: out of GPU memory: ${oom.message}`);
  if (internal) throw new GpuError('GPU_INTERNAL', `${what}: ${internal.message}`);
  return result as T;
}

/** Compiles WGSL and fails with line/column messages instead of a later opaque pipeline error. */
export async function compileShader(ctx: GpuContext, label: string, code: string): Promise<GPUShaderModule> {
  const module = ctx.device.createShaderModule({ label, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const lines = code.split('\n');
    const text = errors
      .map((m) => `${label}:${m.lineNum}:${m.linePos}: ${m.message}\n    ${lines[m.lineNum - 1] ?? ''}`)
      .join('\n');
    throw new GpuError('GPU_COMPILE', `WGSL compilation failed:\n${text}`);
  }
  return module;
}
