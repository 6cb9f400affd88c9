import { DiffPoseError } from '../errors.js';
import { parseArgs } from './args.js';
import { convertCommand } from './convert-command.js';
import { evalCommand } from './eval-command.js';
import { infoCommand } from './info-command.js';
import { liftCommand } from './lift-command.js';
import { prepareDataCommand } from './prepare-data.js';

const USAGE = `usage:
  diffpose lift <input.json|input.csv> [-o out.json] [--image-size WxH]
                [--format h36m17|coco17|mediapipe33|openpose25]
                [--hypotheses N] [--timesteps 12,0] [--init paper|official] [--seed S]
                [--eta E] [--samples] [--weights file] [--executor fused|per-op|cpu] [--cpu]
      input: COCO keypoint results (needs --image-size), {imageSize, format, frames} JSON,
      or CSV "frame,person,x0,y0,s0,..." (# format: / # imageSize: comment lines);
      several people per frame become one track each; --samples adds every hypothesis
  diffpose info [--weights file] [--cpu]
  diffpose convert <denoiser.pth> <out.safetensors> --lifter <lifter.pth> [--heads 4] [--lifter-heads N] [--ema]
  diffpose eval [--weights file] [--data data/prepared] [--hypotheses 8] [--limit N]
                [--executor fused|per-op|cpu] [--json out.json]
  diffpose prepare-data [--mocap DIR] [--out DIR]
add --verbose for stack traces`;

/** Runs the CLI; returns the exit code. Errors are one clear line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  const log = (s: string) => process.stderr.write(s + '\n');
  try {
    const args = parseArgs(rest, new Set(['samples', 'cpu', 'verbose', 'ema']));
    if (command === 'lift') await liftCommand(args, log);
    else if (command === 'info') await infoCommand(args, (s) => process.stdout.write(s + '\n'));
    else if (command === 'convert') await convertCommand(args, log);
    else if (command === 'eval') await evalCommand(args, (s) => process.stdout.write(s + '\n'), log);
    else if (command === 'prepare-data') await prepareDataCommand(args, (s) => process.stdout.write(s + '\n'));
    else if (command === undefined || command === '--help' || command === 'help') { process.stdout.write(USAGE + '\n'); return command ? 0 : 2; }
    else { log(`diffpose: unknown command "${command}"\n${USAGE}`); return 2; }
    return 0;
  } catch (e) {
    const known = e instanceof DiffPoseError;
    log(`diffpose: ${known ? '' : 'internal error: '}${(e as Error).message}`);
    if (verbose) log((e as Error).stack ?? '');
    return 1;
  }
}
