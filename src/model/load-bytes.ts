import { WeightsError } from '../errors.js';

export type WeightsSource = Uint8Array | ArrayBuffer | string | URL;

/** The largest weights file read (the paper's configuration is 5 MB; a file of GiBs is not a model). */
export const MAX_WEIGHTS_BYTES = 1 << 30;

/** Name of the bundled default model inside the package's `weights/` folder. */
export const DEFAULT_WEIGHTS = 'diffpose.safetensors';
export const DEFAULT_TEMPORAL_WEIGHTS = 'diffpose-temporal.safetensors';

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** Finds the package's weights/ folder from this module, whether run from src/ (tsx) or dist/src/. */
async function bundledWeightsPath(file: string): Promise<string> {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  for (const rel of ['../../weights/', '../../../weights/']) {
    const p = fileURLToPath(new URL(rel + file, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new WeightsError(`the bundled weights "weights/${file}" are missing from the package; pass them explicitly`);
}

/** Reads weights bytes from memory, a file path (Node) or a URL (fetch). */
export async function loadWeightsBytes(source: WeightsSource | undefined, bundled = DEFAULT_WEIGHTS): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (source === undefined) {
    if (!isNode()) throw new WeightsError('in a browser, pass { weights } (a URL or the file\'s bytes)');
    source = await bundledWeightsPath(bundled);
  }
  const text = source.toString();
  if (isNode() && !/^(https?|blob|data):/.test(text)) {
    const { readFile, stat } = await import('node:fs/promises');
    const path = source instanceof URL ? source : text;
    // Checked first: /dev/zero, a FIFO or a huge file would otherwise be read until memory runs out.
    const info = await stat(path).catch((e: Error) => { throw new WeightsError(`cannot read weights file "${text}": ${e.message}`); });
    if (!info.isFile()) throw new WeightsError(`weights "${text}" is not a regular file`);
    if (info.size > MAX_WEIGHTS_BYTES) throw new WeightsError(`weights file "${text}" has ${info.size} bytes, more than the ${MAX_WEIGHTS_BYTES} a model file can have`);
    try {
      return new Uint8Array(await readFile(path));
    } catch (e) {
      throw new WeightsError(`cannot read weights file "${text}": ${(e as Error).message}`);
    }
  }
  const res = await fetch(text);
  if (!res.ok) throw new WeightsError(`cannot fetch weights "${text}": HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_WEIGHTS_BYTES) throw new WeightsError(`weights "${text}" are ${declared} bytes, more than the ${MAX_WEIGHTS_BYTES} a model file can have`);
  return new Uint8Array(await res.arrayBuffer());
}
