/**
 * Argument handling shared by the built-ins: every built-in accepts `-h`/`--help`, which
 * prints its usage on stdout and exits 0 (like Vagga's argparse).
 */
import { parseOptions, type OptionSpec, type ParseOptions, type ParsedArgs } from './arg-parser.js';
import type { CliContext } from './context.js';

const HELP: OptionSpec = { names: ['-h', '--help'], key: 'help', kind: 'flag' };

/**
 * Parse a built-in's arguments. Returns undefined when help was requested (the usage has
 * been printed). Throws VaggaError (122 unless `opts.errorExitCode`) on bad flags.
 */
export function parseBuiltinArgs(ctx: CliContext, usage: string, argv: readonly string[], specs: readonly OptionSpec[], opts: ParseOptions = {}): ParsedArgs | undefined {
  const parsed = parseOptions(argv, [...specs, HELP], opts);
  if (parsed.values.help) {
    ctx.out(usage.endsWith('\n') ? usage : `${usage}\n`);
    return undefined;
  }
  return parsed;
}
