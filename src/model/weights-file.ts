// Weights files on disk (Node). Browser bundles get weights-file.browser.ts instead (the package's
// "browser" field), so that no node:* module reaches them.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WeightsError } from '../errors.js';

/** Node can read weights from paths; a browser bundle cannot. */
export const READS_FILES = typeof process !== 'undefined' && !!process.versions?.node;

/** Finds the package's weights/ folder from this module, whether run from src/ (tsx) or dist/src/. */
export async function bundledWeightsPath(file: string): Promise<string> {
  for (const rel of ['../../weights/', '../../../weights/']) {
    const p = fileURLToPath(new URL(rel + file, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new WeightsError(`the bundled weights "weights/${file}" are missing from the package; pass them explicitly`);
}

/** A weights file's bytes; `text` names it in errors. Refuses what is not a regular file of at most `maxBytes`. */
export async function readWeightsFile(path: string | URL, text: string, maxBytes: number): Promise<Uint8Array> {
  // Checked first: /dev/zero, a FIFO or a huge file would otherwise be read until memory runs out.
  const info = await stat(path).catch((e: Error) => {
    throw new WeightsError(`cannot read weights file "${text}": ${e.message}`);
  });
  if (!info.isFile()) throw new WeightsError(`weights "${text}" is not a regular file`);
  if (info.size > maxBytes)
    throw new WeightsError(
      `weights file "${text}" has ${info.size} bytes, more than the ${maxBytes} a model file can have`,
    );
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new WeightsError(`cannot read weights file "${text}": ${(e as Error).message}`);
  }
}
