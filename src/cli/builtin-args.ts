/**
 * Argument handling shared by the built-ins: every built-in accepts `-h`/`--help`, which
 * prints its usage on stdout and exits 0 (like Vagga's argparse), and the global `-q`/`-v`
 * among its own options (`vagga _build C --force -q`), unless it defines them itself.
 */
import { parseOptions, type OptionSpec, type ParseOptions, type ParsedArgs } from './arg-parser.js';
import type { CliContext } from './context.js';

const HELP: OptionSpec = { names: ['-h', '--help'], key: 'help', kind: 'flag' };
/** The global verbosity flags (global-options.ts), also accepted after a built-in's name. */
const VERBOSITY: readonly OptionSpec[] = [
  { names: ['-q', '--quiet'], key: '__quiet', kind: 'flag' },
  { names: ['-v', '--verbose'], key: '__verbose', kind: 'flag' },
];

/**
 * Parse a built-in's arguments. Returns undefined when help was requested (the usage has
 * been printed). `-q`/`-v` not defined by `specs` set ctx.globals.verbosity (0 / 2, the
 * last one written wins, as on the global command line); with `stopAtPositional` (the
 * default) they are only seen before the first positional, so `_run C cmd -v` passes `-v`
 * to cmd. Throws VaggaError (`args.bad-option`, exit 122, unless `opts.errorCode`) on bad flags.
 */
export function parseBuiltinArgs(ctx: CliContext, usage: string, argv: readonly string[], specs: readonly OptionSpec[], opts: ParseOptions = {}): ParsedArgs | undefined {
  const taken = new Set(specs.flatMap((s) => s.names));
  const verbosity = VERBOSITY.filter((s) => !s.names.some((n) => taken.has(n)));
  const parsed = parseOptions(argv, [...specs, ...verbosity, HELP], opts);
  if (parsed.values.help) {
    ctx.out(usage.endsWith('\n') ? usage : `${usage}\n`);
    return undefined;
  }
  for (const key of parsed.seen) {
    if (key === '__quiet') ctx.globals.verbosity = 0;
    else if (key === '__verbose') ctx.globals.verbosity = 2;
  }
  return parsed;
}
