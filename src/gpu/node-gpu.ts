// Dawn's Node binding. The `GPU` object returned by `create()` must stay strongly reachable
// for as long as anything made from it lives: when it was garbage-collected the process
// aborted (futex errors, SIGSEGV). One instance per process is made and held here for good:
// that satisfies the rule, and it is also what keeps load/dispose cycles flat (an instance per
// model grew the process by 6-8 MB per cycle, and each new instance printed Dawn's adapter
// warnings again).

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** True under Node (where WebGPU is Dawn's binding), false in browsers. */
export const IN_NODE = typeof process !== 'undefined' && !!process.versions?.node;

async function loadDawn(): Promise<DawnModule | undefined> {
  if (!IN_NODE) return undefined;
  // A non-literal specifier keeps browser bundlers from trying to resolve the native module.
  const specifier = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
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

let instance: Promise<GPU | undefined> | undefined;
let quietAdapterWarnings = false;

/**
 * Dawn's Vulkan backend writes warnings straight to the process's stderr (file descriptor 2) the
 * first time an instance enumerates adapters — on lavapipe two "maxDynamic...BuffersPerPipelineLayout
 * artificially reduced" lines that say nothing to a user. Called before the first lift (the CLI
 * does, unless --verbose), the instance is created and enumerated once with descriptor 2 pointed
 * at /dev/null. Linux only; anywhere it cannot be done safely the warnings are simply printed.
 */
export function hideDawnAdapterWarnings(): void {
  quietAdapterWarnings = true;
}

/** Runs `body` with file descriptor 2 on /dev/null, restoring it afterwards. */
async function withStderrMuted<T>(body: () => Promise<T>): Promise<T> {
  const fs = await import('node:fs');
  let saved: number;
  try {
    // Descriptors 0 and 1 must be open, so that the lowest free descriptor below is 2.
    fs.fstatSync(0);
    fs.fstatSync(1);
    saved = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return body();
  }
  fs.closeSync(2);
  fs.openSync('/dev/null', 'a');
  try {
    return await body();
  } finally {
    fs.closeSync(2);
    fs.openSync(`/proc/self/fd/${saved}`, 'a');
    fs.closeSync(saved);
  }
}

/** The process's Dawn `GPU` instance, or undefined outside Node or when `webgpu` is not installed. */
export function nodeGpu(): Promise<GPU | undefined> {
  instance ??= (async () => {
    const mod = await loadDawn();
    if (!mod) return undefined;
    // Dawn prints an error line without a runtime dir; any private directory will do.
    process.env.XDG_RUNTIME_DIR ??= (await import('node:os')).tmpdir();
    await installNodeGlobals();
    const gpu = mod.create([]);
    if (quietAdapterWarnings && process.platform === 'linux') await withStderrMuted(() => gpu.requestAdapter());
    return gpu;
  })();
  return instance;
}
