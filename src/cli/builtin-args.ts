/**
 * Argument handling of the built-ins, from their declarations (builtin-spec.ts): every
 * built-in accepts `-h`/`--help`, which prints its usage on stdout and exits 0 (like
 * Vagga's argparse), and the global `-q`/`-v` among its own options (`vagga _build C
 * --force -q`), unless it defines them itself; its positionals are checked against the
 * declared ones (missing ones and extra ones are errors).
 */
import { VaggaError } from '../errors/vagga-error.js';
import { parseOptions, type OptionSpec } from './arg-parser.js';
import { builtinHelp, HELP_OPTION, optionSpecs, usageLine, type BuiltinCall, type BuiltinSpec } from './builtin-spec.js';
import type { CliContext } from './context.js';

/** The global verbosity flags (global-options.ts), also accepted after a built-in's name. */
const VERBOSITY: readonly OptionSpec[] = [
  { names: ['-q', '--quiet'], key: '__quiet', kind: 'flag' },
  { names: ['-v', '--verbose'], key: '__verbose', kind: 'flag' },
];

/**
 * Parse the arguments `argv` of built-in `spec` into a call (all of them as positionals
 * with spec.rawArgs). Returns undefined when help was requested (the help has been printed
 * on stdout). `-q`/`-v` not defined by the built-in set ctx.globals.verbosity (0 / 2, the
 * last one written wins, as on the global command line); unless options may follow
 * positionals they are only seen before the first positional, so `_run C cmd -v` passes
 * `-v` to cmd. Throws VaggaError (spec.errorCode, default `args.bad-option`/`args.bad-positional`, exit 122) on bad flags, a missing
 * positional (its `missing` message) or an unexpected one, with the usage line as hint.
 */
export function builtinCall(ctx: CliContext, spec: BuiltinSpec, argv: readonly string[], builtins: readonly BuiltinSpec[]): BuiltinCall | undefined {
  if (spec.rawArgs) return { spec, values: {}, positionals: [...argv], builtins };
  const own = optionSpecs(spec);
  const taken = new Set(own.flatMap((s) => s.names));
  const verbosity = VERBOSITY.filter((s) => !s.names.some((n) => taken.has(n)));
  const help: OptionSpec = { names: HELP_OPTION.flags, key: HELP_OPTION.key, kind: 'flag' };
  const parsed = parseOptions(argv, [...own, ...verbosity, help], {
    stopAtPositional: !spec.optionsAfterPositionals,
    errorCode: spec.errorCode,
  });
  if (parsed.values.help) {
    ctx.out(builtinHelp(spec));
    return undefined;
  }
  for (const key of parsed.seen) {
    if (key === '__quiet') ctx.globals.verbosity = 0;
    else if (key === '__verbose') ctx.globals.verbosity = 2;
  }
  checkPositionals(spec, parsed.positionals);
  return { spec, values: parsed.values, positionals: parsed.positionals, builtins };
}

function checkPositionals(spec: BuiltinSpec, given: readonly string[]): void {
  const fail = (message: string): never => {
    throw new VaggaError(message, { code: spec.errorCode ?? 'args.bad-positional', hint: usageLine(spec) });
  };
  spec.positionals.forEach((p, i) => {
    if (p.missing !== undefined && given.length <= i) fail(p.missing);
  });
  const last = spec.positionals[spec.positionals.length - 1];
  if (!spec.ignoreExtraArgs && !last?.rest && given.length > spec.positionals.length) {
    fail(`Unexpected argument ${JSON.stringify(given[spec.positionals.length])}`);
  }
}
