import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's python3-torch lives behind /usr/bin/python3 (a pyenv python3 may come first on PATH). */
export const PYTHON = '/usr/bin/python3';
export const REPO = fileURLToPath(new URL('..', import.meta.url));
const OPENBLAS = fileURLToPath(new URL('../train/openblas.sh', import.meta.url));

/** torch's version, or why PyTorch cannot run here. */
export function torchVersion(): { version: string } | { missing: string } {
  if (!existsSync(PYTHON)) return { missing: `${PYTHON} not found` };
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return { missing: `${PYTHON} has no torch (apt install python3-torch)` };
  return { version: r.stdout.trim() };
}

/**
 * The command prefix for a PyTorch script: through train/openblas.sh (Debian's torch with
 * OpenBLAS instead of the ~10x slower reference BLAS) unless `plainBlas`.
 */
export function pythonCommand(plainBlas: boolean): string[] {
  return plainBlas ? [PYTHON] : ['sh', OPENBLAS, PYTHON];
}

/** Runs a script of train/ with Debian's torch to completion; throws with its stderr on failure. */
export function runPython(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', cwd: REPO, maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0)
    throw new Error(
      `${args[0]} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r.stdout;
}
