// The browser twin of weights-file.ts (the package's "browser" field maps one to the other): no
// file system, so weights come as bytes or by URL.
import { WeightsError } from '../errors.js';

export const READS_FILES = false;

export async function bundledWeightsPath(file: string): Promise<string> {
  throw new WeightsError(`in a browser there are no bundled weights: pass the URL or the bytes of ${file}`);
}

export async function readWeightsFile(_path: string | URL, text: string): Promise<Uint8Array> {
  throw new WeightsError(
    `in a browser, weights "${text}" are fetched by URL: pass an http(s), blob or data URL, or the bytes`,
  );
}
