// Dawn's Node binding. The `GPU` object returned by `create()` must stay strongly reachable
// for as long as anything made from it lives: when it was garbage-collected the process
// aborted (futex errors, SIGSEGV). Callers keep the returned object on the engine.

/** Returns a Dawn `GPU` instance, or undefined outside Node or when `webgpu` is not installed. */
export async function createNodeGpu(): Promise<GPU | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  // A non-literal specifier keeps browser bundlers from trying to resolve the native module.
  const specifier = 'webgpu';
  let mod: { create(options: string[]): GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch {
    return undefined;
  }
  // Dawn prints an error line without a runtime dir; any private directory will do.
  process.env.XDG_RUNTIME_DIR ??= (await import('node:os')).tmpdir();
  // The constants (GPUBufferUsage, GPUMapMode, ...) are globals in a browser; provide them.
  for (const [name, value] of Object.entries(mod.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  return mod.create([]);
}
