import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PrepareSummary } from '../mocap/dataset.js';
import { prepareData } from '../mocap/dataset.js';
import type { ParsedArgs } from './args.js';
import { flagString, parseArgs } from './args.js';

/**
 * `prepare-data [--mocap DIR] [--out DIR]`: mocap clips -> data/prepared/{train,test}.safetensors.
 * Defaults are relative to the repository root (the mocap folder lives beside the repository,
 * in ../shared); paths given on the command line are relative to the working directory.
 */
export async function prepareDataCommand(args: ParsedArgs, log: (line: string) => void): Promise<PrepareSummary> {
  const root = repositoryRoot();
  const mocapDir = resolve(flagString(args, 'mocap') ?? join(root, '..', 'shared', 'data', 'mocap'));
  const outDir = resolve(flagString(args, 'out') ?? join(root, 'data', 'prepared'));
  const summary = prepareData({ mocapDir, outDir, log });
  for (const line of formatSummary(summary)) log(line);
  return summary;
}

export function formatSummary(s: PrepareSummary): string[] {
  const lines = [`prepared ${s.mocapDir} -> ${s.outDir} in ${s.seconds.toFixed(1)} s`];
  for (const split of ['train', 'test'] as const) {
    const t = s.splits[split];
    lines.push(`${split}: ${t.clips} clips, ${t.frames} frames at 30 fps = ${t.minutes.toFixed(2)} min, ${t.subjects.length} subjects -> ${s.files[split]}`);
    for (const [source, b] of Object.entries(t.bySource)) {
      lines.push(`  ${source}: ${b.clips} clips, ${b.frames} frames, ${b.minutes.toFixed(2)} min`);
    }
  }
  lines.push(s.warnings.length === 0 ? 'warnings: none' : `warnings (${s.warnings.length}):`);
  for (const w of s.warnings) lines.push(`  ${w}`);
  return lines;
}

/** The nearest folder above this file holding package.json (works from src/ and dist/src/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above src/cli)');
    dir = up;
  }
  return dir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const log = (line: string): void => { process.stdout.write(line + '\n'); };
  prepareDataCommand(parseArgs(process.argv.slice(2), new Set()), log).catch((e: unknown) => {
    process.stderr.write(`prepare-data: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
