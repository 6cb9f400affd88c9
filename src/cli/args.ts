import { InputError } from '../errors.js';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `--name value`, `--name=value`, `-o value`, `-h` (= --help) and bare `--switch`es; `booleans` (and help) take no value. */
export function parseArgs(argv: readonly string[], booleans: ReadonlySet<string>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      flags.set('help', true);
    } else if (a === '-o') {
      if (i + 1 >= argv.length) throw new InputError('-o needs a file name');
      flags.set('output', argv[++i]);
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (booleans.has(name)) {
        if (eq > 0) throw new InputError(`--${name} takes no value`);
        flags.set(name, true);
      } else if (eq > 0) {
        flags.set(name, a.slice(eq + 1));
      } else {
        // Last and without its value: kept as a switch, so that an unknown option is reported as
        // unknown (checkKnownFlags) and a known one as missing its value (flagString).
        flags.set(name, i + 1 < argv.length ? argv[++i] : true);
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new InputError(`--${name} needs a value`);
  return v;
}

export function flagInt(args: ParsedArgs, name: string): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new InputError(`--${name} must be an integer, got "${v}"`);
  return Number(v);
}

/** A number flag that `ok` accepts, else an InputError saying it must be `what`. */
function numberFlag(args: ParsedArgs, name: string, ok: (n: number) => boolean, what: string): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InputError(`--${name} must be ${what}, got "${v}"`);
  return n;
}

/** A number flag within [min, max]. */
export function flagNumber(args: ParsedArgs, name: string, min: number, max = Infinity): number | undefined {
  return numberFlag(args, name, (n) => n >= min && n <= max, `a number in [${min}, ${max === Infinity ? '∞' : max}]`);
}

/** A number flag > 0. */
export function flagPositive(args: ParsedArgs, name: string): number | undefined {
  return numberFlag(args, name, (n) => n > 0, 'a positive number');
}

export function checkKnownFlags(args: ParsedArgs, known: readonly string[], command?: string): void {
  for (const name of args.flags.keys()) {
    if (name !== 'help' && !known.includes(name))
      throw new InputError(`unknown option --${name}${command ? ` (diffpose ${command} --help lists them)` : ''}`);
  }
}
