import { InputError, WeightsError } from '../errors.js';
import { bundledWeightsPath, readWeightsFile, READS_FILES } from './weights-file.js';

export type WeightsSource = Uint8Array | ArrayBufferView | ArrayBuffer | SharedArrayBuffer | string | URL;

/** The largest weights file read (the paper's configuration is 5 MB; a file of GiBs is not a model). */
export const MAX_WEIGHTS_BYTES = 1 << 30;

/** Name of the bundled default model inside the package's `weights/` folder. */
export const DEFAULT_WEIGHTS = 'diffpose.safetensors';
export const DEFAULT_TEMPORAL_WEIGHTS = 'diffpose-temporal.safetensors';

function fileUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new InputError(`weights "${text}" is not a valid file: URL`);
  }
}

function isSharedBuffer(v: unknown): v is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer;
}

/** Reads weights bytes from memory, a file path (Node) or a URL (fetch; file: URLs read as files). */
export async function loadWeightsBytes(
  source: WeightsSource | undefined,
  bundled = DEFAULT_WEIGHTS,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer || isSharedBuffer(source)) {
    try {
      return new Uint8Array(source);
    } catch {
      // Only a detached buffer cannot be viewed.
      throw new InputError(
        'the weights ArrayBuffer is detached (transferred elsewhere): pass bytes that are still yours',
      );
    }
  }
  if (source === undefined) {
    if (!READS_FILES) throw new WeightsError("in a browser, pass { weights } (a URL or the file's bytes)");
    source = await bundledWeightsPath(bundled);
  }
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new InputError(
      `weights must be the file's bytes (Uint8Array, ArrayBuffer), a file path or a URL, got ${source === null ? 'null' : typeof source}`,
    );
  const text = source.toString();
  if (READS_FILES && !/^(https?|blob|data):/.test(text))
    return readWeightsFile(
      source instanceof URL ? source : text.startsWith('file:') ? fileUrl(text) : text,
      text,
      MAX_WEIGHTS_BYTES,
    );
  const res = await fetch(text);
  if (!res.ok) throw new WeightsError(`cannot fetch weights "${text}": HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_WEIGHTS_BYTES)
    throw new WeightsError(
      `weights "${text}" are ${declared} bytes, more than the ${MAX_WEIGHTS_BYTES} a model file can have`,
    );
  return new Uint8Array(await res.arrayBuffer());
}
