import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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

/** A command's output paths (unset ones skipped) name different files, else an InputError naming the one written twice. */
export function checkDistinctOutputs(paths: ReadonlyArray<string | undefined>): void {
  const seen = new Set<string>();
  for (const p of paths) {
    if (p === undefined) continue;
    if (seen.has(resolve(p)))
      throw new InputError(`two outputs would be written to ${p}: -o, --bvh and --gltf must name different files`);
    seen.add(resolve(p));
  }
}

/**
 * Several output files written all or nothing: each to `path.partial-PID` now, renamed onto its
 * path by commit() (after the caller's other output is in place), removed by discard().
 */
export async function stageOutputFiles(
  files: ReadonlyArray<{ path: string; data: string | Uint8Array }>,
  log: (s: string) => void,
): Promise<{ commit(): Promise<void>; discard(): Promise<void> }> {
  const staged: string[] = [];
  const discard = async () => {
    await Promise.all(staged.map((p) => rm(p, { force: true })));
  };
  try {
    for (const f of files) {
      const partial = `${f.path}.partial-${process.pid}`;
      staged.push(partial);
      await writeOutputFile(partial, f.data, () => {});
    }
  } catch (e) {
    await discard();
    throw e;
  }
  return {
    commit: async () => {
      for (const [i, f] of files.entries()) {
        try {
          await rename(staged[i], f.path);
        } catch (e) {
          throw new InputError(`cannot write ${f.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        log(`-> ${f.path}`);
      }
    },
    discard,
  };
}
