import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import { convertCheckpoints, type CheckpointSource } from '../model/checkpoint/convert.js';
import { checkKnownFlags, flagInt, flagString, type ParsedArgs } from './args.js';

export const CONVERT_USAGE =
  'usage: diffpose convert <denoiser.pth> <out.safetensors> --lifter <lifter.pth> [--heads 4] [--lifter-heads N] [--ema]';

async function source(path: string): Promise<CheckpointSource> {
  try {
    return { bytes: new Uint8Array(await readFile(path)), label: basename(path) };
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function heads(args: ParsedArgs, name: string): number | undefined {
  const v = flagInt(args, name);
  if (v !== undefined && v < 1) throw new InputError(`--${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * `diffpose convert`: PyTorch checkpoints (released DiffPose layout, a bare state dict, or a
 * training checkpoint holding both networks) -> the engine's safetensors weights. The
 * denoiser is the first argument or --denoiser; --lifter may be left out only when that one
 * file holds both networks.
 */
export async function convertCommand(args: ParsedArgs, log: (s: string) => void): Promise<void> {
  checkKnownFlags(args, ['lifter', 'denoiser', 'heads', 'lifter-heads', 'ema', 'verbose']);
  const denoiserFlag = flagString(args, 'denoiser');
  const positional = [...args.positional];
  const denoiserPath = denoiserFlag ?? positional.shift();
  const [outPath, ...extra] = positional;
  if (!denoiserPath || !outPath || extra.length) throw new InputError(CONVERT_USAGE);
  if (!outPath.endsWith('.safetensors'))
    throw new InputError(`the output "${outPath}" should end in .safetensors (the engine's weights format)`);
  const lifterPath = flagString(args, 'lifter');
  const started = performance.now();
  const result = convertCheckpoints({
    denoiser: await source(denoiserPath),
    lifter: lifterPath ? await source(lifterPath) : undefined,
    heads: heads(args, 'heads'),
    lifterHeads: heads(args, 'lifter-heads'),
    ema: args.flags.has('ema'),
  });
  try {
    await writeFile(outPath, result.bytes);
  } catch (e) {
    throw new InputError(`cannot write ${outPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const net = (role: 'lifter' | 'denoiser') => {
    const c = result.config[role];
    return `${role} hidden ${c.hidden}, ${c.layers} layers, ${c.heads} heads, ${result.parameters[role].toLocaleString('en-US')} parameters`;
  };
  log(
    `converted ${net('lifter')}; ${net('denoiser')} -> ${outPath} (${(result.bytes.byteLength / 2 ** 20).toFixed(2)} MiB) in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );
  if (result.dropped.length) log(`dropped the lifter's unused step-embedding tensors: ${result.dropped.join(', ')}`);
  if (!args.flags.has('heads'))
    log(
      `assumed ${result.config.denoiser.heads} attention heads (the released value): a checkpoint's shapes do not record heads, pass --heads if the model was trained with others`,
    );
}
