// Dawn's Node binding. The `GPU` object returned by `create()` must stay strongly reachable
// for as long as anything made from it lives: when it was garbage-collected the process
// aborted (futex errors, SIGSEGV). Callers keep the returned object on the engine.

interface DawnModule { create(options: string[]): GPU; globals: Record<string, unknown> }

async function loadDawn(): Promise<DawnModule | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  // A non-literal specifier keeps browser bundlers from trying to resolve the native module.
  const specifier = 'webgpu';
  try {
    return await import(/* @vite-ignore */ specifier) as DawnModule;
  } catch {
    return undefined;
  }
}

/**
 * The constants (GPUBufferUsage, GPUMapMode, ...) are globals in a browser; in Node they come
 * with Dawn's binding. Installed also when a caller brings its own Dawn device.
 */
export async function installNodeGlobals(): Promise<void> {
  if ('GPUBufferUsage' in globalThis) return;
  const mod = await loadDawn();
  for (const [name, value] of Object.entries(mod?.globals ?? {})) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
}

/** Returns a Dawn `GPU` instance, or undefined outside Node or when `webgpu` is not installed. */
export async function createNodeGpu(): Promise<GPU | undefined> {
  const mod = await loadDawn();
  if (!mod) return undefined;
  // Dawn prints an error line without a runtime dir; any private directory will do.
  process.env.XDG_RUNTIME_DIR ??= (await import('node:os')).tmpdir();
  await installNodeGlobals();
  return mod.create([]);
}
