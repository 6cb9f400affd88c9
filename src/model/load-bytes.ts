import { WeightsError } from '../errors.js';
import { bundledWeightsPath, readWeightsFile, READS_FILES } from './weights-file.js';

export type WeightsSource = Uint8Array | ArrayBuffer | string | URL;

/** The largest weights file read (the paper's configuration is 5 MB; a file of GiBs is not a model). */
export const MAX_WEIGHTS_BYTES = 1 << 30;

/** Name of the bundled default model inside the package's `weights/` folder. */
export const DEFAULT_WEIGHTS = 'diffpose.safetensors';
export const DEFAULT_TEMPORAL_WEIGHTS = 'diffpose-temporal.safetensors';

/** Reads weights bytes from memory, a file path (Node) or a URL (fetch). */
export async function loadWeightsBytes(
  source: WeightsSource | undefined,
  bundled = DEFAULT_WEIGHTS,
): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (source === undefined) {
    if (!READS_FILES) throw new WeightsError("in a browser, pass { weights } (a URL or the file's bytes)");
    source = await bundledWeightsPath(bundled);
  }
  const text = source.toString();
  if (READS_FILES && !/^(https?|blob|data):/.test(text))
    return readWeightsFile(source instanceof URL ? source : text, text, MAX_WEIGHTS_BYTES);
  const res = await fetch(text);
  if (!res.ok) throw new WeightsError(`cannot fetch weights "${text}": HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length'));
  if (declared > MAX_WEIGHTS_BYTES)
    throw new WeightsError(
      `weights "${text}" are ${declared} bytes, more than the ${MAX_WEIGHTS_BYTES} a model file can have`,
    );
  return new Uint8Array(await res.arrayBuffer());
}
