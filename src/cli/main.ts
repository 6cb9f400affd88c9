import { DiffPoseError, NoAdapterError } from '../errors.js';
import { hideDawnAdapterWarnings } from '../gpu/node-gpu.js';
import { printable } from '../model/printable.js';
import { parseArgs } from './args.js';
import { convertCommand } from './convert-command.js';
import { calibrateCommand } from './calibrate-command.js';
import { evalCommand } from './eval-command.js';
import { HELP, USAGE, packageVersion } from './help.js';
import { infoCommand } from './info-command.js';
import { liftCommand } from './lift-command.js';
import { prepareDataCommand } from './prepare-data.js';

const COMMANDS = ['lift', 'info', 'convert', 'eval', 'calibrate', 'prepare-data'];

/** Runs the CLI; returns the exit code. Errors are one clear line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  const log = (s: string) => process.stderr.write(s + '\n');
  const out = (s: string) => process.stdout.write(s + '\n');
  if (command === '--version' || command === '-V' || command === 'version') {
    out(`diffpose ${packageVersion()}`);
    return 0;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = rest[0];
    out(topic && HELP[topic] ? HELP[topic] : USAGE);
    return 0;
  }
  if (command === undefined) {
    log(USAGE);
    return 2;
  }
  if (!COMMANDS.includes(command)) {
    log(unknownCommand(command));
    return 2;
  }
  // Dawn's adapter warnings (lavapipe: two lines on every run) say nothing to a user; --verbose shows them.
  if (!verbose) hideDawnAdapterWarnings();
  try {
    const args = parseArgs(
      rest,
      new Set([
        'samples',
        'cpu',
        'verbose',
        'ema',
        'normalised',
        'stream',
        'causal',
        'frame-model',
        'temporal',
        'keep-noise-gains',
      ]),
    );
    if (args.flags.has('help')) {
      out(HELP[command]);
      return 0;
    }
    if (command === 'lift') await liftCommand(args, log);
    else if (command === 'info') await infoCommand(args, out);
    else if (command === 'convert') await convertCommand(args, log);
    else if (command === 'eval') await evalCommand(args, out, log);
    else if (command === 'calibrate') await calibrateCommand(args, out, log);
    else await prepareDataCommand(args, out);
    return 0;
  } catch (e) {
    const known = e instanceof DiffPoseError;
    let message = (e as Error).message;
    if (e instanceof NoAdapterError && command !== 'convert')
      message += ' Or pass --cpu to run on the CPU (the TypeScript reference: slower, no GPU needed).';
    // One printable line whatever text a file put into the message (--verbose adds the stack).
    log(`diffpose: ${known ? '' : 'internal error: '}${printable(message)}`);
    if (verbose) log((e as Error).stack ?? '');
    return known && (e as DiffPoseError).code === 'INTERRUPTED' ? 130 : 1;
  }
}

/**
 * One line for a command that is not one: the near-miss it may be ("lfit": lift), or, for what
 * looks like an input file, the lift command it was probably meant for.
 */
function unknownCommand(command: string): string {
  const known = `commands: ${COMMANDS.join(', ')}; diffpose --help for usage`;
  const near = COMMANDS.find((c) => editDistance(c, command.toLowerCase()) <= 2);
  if (near) return `diffpose: unknown command "${command}": did you mean "${near}"? (${known})`;
  if (/\.(json|csv)$/i.test(command) || command.includes('/'))
    return `diffpose: unknown command "${command}": to lift a file, diffpose lift ${command} (${known})`;
  return `diffpose: unknown command "${command}" (${known})`;
}

/** Levenshtein distance (insertions, deletions, substitutions), for short words. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next.push(Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length];
}
