import { writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** Writes a command's output file, turning a failure into one InputError line, and says where it went. */
export async function writeOutputFile(
  path: string,
  data: string | Uint8Array,
  log: (s: string) => void,
): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new InputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  log(`-> ${path}`);
}
