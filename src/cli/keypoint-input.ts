import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { KeypointFile, ReadOptions } from '../pose/keypoint-file.js';
import { readKeypointText, readOpenPoseFolder } from '../pose/read-keypoints.js';

/** Largest keypoint file read whole (streaming larger ones is not done yet). */
export const MAX_INPUT_BYTES = 512 * 2 ** 20;

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message);
}

async function readText(path: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${why(e)}`);
  }
  if (size > MAX_INPUT_BYTES)
    throw new InputError(
      `cannot read ${path}: ${(size / 2 ** 20).toFixed(0)} MiB is more than the ${MAX_INPUT_BYTES / 2 ** 20} MiB read at once; split the file`,
    );
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${why(e)}`);
  }
}

/** A keypoint file, or a folder of OpenPose *_keypoints.json files (its .json files when none is named so). */
export async function readKeypointInput(path: string, options: ReadOptions): Promise<KeypointFile> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${why(e)}`);
  }
  if (!isFolder) return readKeypointText(path, await readText(path), options);
  let names: string[];
  try {
    names = await readdir(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${why(e)}`);
  }
  const keypointFiles = names.filter((n) => /_keypoints\.json$/i.test(n));
  const chosen = keypointFiles.length > 0 ? keypointFiles : names.filter((n) => /\.json$/i.test(n));
  if (chosen.length === 0) throw new InputError(`${path}: a folder, but without *_keypoints.json (OpenPose) files`);
  const files = [];
  for (const name of chosen) files.push({ name, text: await readText(join(path, name)) });
  return readOpenPoseFolder(path, files, options);
}
