import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';
import type { PrepareSummary } from '../mocap/dataset.js';
import { prepareData } from '../mocap/dataset.js';
import type { ParsedArgs } from './args.js';
import { checkKnownFlags, flagString, parseArgs } from './args.js';
import { repositoryRoot } from './help.js';

/**
 * `prepare-data [--mocap DIR] [--out DIR]`: mocap clips -> data/prepared/{train,test}.safetensors.
 * Defaults are relative to the repository root (the mocap folder lives beside the repository,
 * in ../shared); paths given on the command line are relative to the working directory.
 */
export async function prepareDataCommand(args: ParsedArgs, log: (line: string) => void): Promise<PrepareSummary> {
  checkKnownFlags(args, ['mocap', 'out', 'verbose'], 'prepare-data');
  if (args.positional.length)
    throw new InputError(
      `diffpose prepare-data takes no positional arguments (got "${args.positional[0]}"); the mocap folder is --mocap DIR`,
    );
  const root = repositoryRoot();
  const flag = flagString(args, 'mocap');
  const mocapDir = resolve(flag ?? join(root, '..', 'shared', 'data', 'mocap'));
  if (!existsSync(mocapDir) || !statSync(mocapDir).isDirectory()) {
    throw new InputError(
      `no mocap folder at ${mocapDir}: prepare-data reads the CMU and HDM05 motion-capture clips from ${flag ? 'the folder given by --mocap' : '../shared/data/mocap beside the repository (its default)'}; put them there or pass --mocap DIR`,
    );
  }
  const outDir = resolve(flagString(args, 'out') ?? join(root, 'data', 'prepared'));
  const summary = prepareData({ mocapDir, outDir, log });
  for (const line of formatSummary(summary)) log(line);
  return summary;
}

export function formatSummary(s: PrepareSummary): string[] {
  const lines = [`prepared ${s.mocapDir} -> ${s.outDir} in ${s.seconds.toFixed(1)} s`];
  for (const split of ['train', 'test'] as const) {
    const t = s.splits[split];
    lines.push(
      `${split}: ${t.clips} clips, ${t.frames} frames at 30 fps = ${t.minutes.toFixed(2)} min, ${t.subjects.length} subjects -> ${s.files[split]}`,
    );
    for (const [source, b] of Object.entries(t.bySource)) {
      lines.push(`  ${source}: ${b.clips} clips, ${b.frames} frames, ${b.minutes.toFixed(2)} min`);
    }
  }
  lines.push(s.warnings.length === 0 ? 'warnings: none' : `warnings (${s.warnings.length}):`);
  for (const w of s.warnings) lines.push(`  ${w}`);
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const log = (line: string): void => {
    process.stdout.write(line + '\n');
  };
  prepareDataCommand(parseArgs(process.argv.slice(2), new Set()), log).catch((e: unknown) => {
    process.stderr.write(`prepare-data: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
