/**
 * A small declarative option parser for the global command line and the built-ins.
 * Behaviour follows Vagga's argparse usage (inventory §1.7, §1.8): long options as
 * `--name value` or `--name=value`, short ones as `-x value`, `-xvalue` or grouped flags
 * (`-qv`), `--` ends the options. Unlike node:util's parseArgs it can stop at the first
 * positional, so everything after a command name belongs to that command.
 */
import { didYouMean } from '../errors/did-you-mean.js';
import { VaggaError, type ErrorCode } from '../errors/vagga-error.js';

/** One option: every spelling, where to store it and how. */
export interface OptionSpec {
  /** Spellings with their dashes, e.g. `['-E', '--env', '--environ']`. */
  names: readonly string[];
  /** Key in ParsedArgs.values. */
  key: string;
  /** flag: boolean; count: number of occurrences; value: last value wins; list: every value, in order. */
  kind: 'flag' | 'count' | 'value' | 'list';
}

export interface ParseOptions {
  /**
   * Stop option parsing at the first positional: it and everything after it go to
   * `positionals` untouched (default true). When false, options may follow positionals.
   */
  stopAtPositional?: boolean;
  /** Error code of a parse error (default `args.bad-option`: exit 122, Vagga's command-line error code). */
  errorCode?: ErrorCode;
}

export interface ParsedArgs {
  /** Option values by key: boolean (flag), number (count), string (value), string[] (list). */
  values: Record<string, boolean | number | string | string[]>;
  positionals: string[];
  /** Keys of the options met, in command-line order (for "last one wins" between options). */
  seen: string[];
}

/**
 * Parse `argv` against `specs`. Throws VaggaError (`args.bad-option`, exit 122, unless `opts.errorCode`) with
 * `Unknown flag: '<arg>'` or `Option <name> requires a value`.
 */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[], opts: ParseOptions = {}): ParsedArgs {
  const stop = opts.stopAtPositional ?? true;
  const code = opts.errorCode ?? 'args.bad-option';
  const byName = new Map<string, OptionSpec>();
  for (const spec of specs) for (const name of spec.names) byName.set(name, spec);
  const values: ParsedArgs['values'] = {};
  for (const spec of specs) {
    if (spec.kind === 'flag') values[spec.key] = false;
    else if (spec.kind === 'count') values[spec.key] = 0;
    else if (spec.kind === 'list') values[spec.key] = [];
  }
  const positionals: string[] = [];
  const seen: string[] = [];
  const fail = (message: string, hint?: string): never => {
    throw new VaggaError(message, { code, hint });
  };
  const store = (spec: OptionSpec, name: string, value: string | undefined, next: () => string | undefined): void => {
    seen.push(spec.key);
    if (spec.kind === 'flag' || spec.kind === 'count') {
      if (value !== undefined) fail(`Option ${name} does not take a value`);
      values[spec.key] = spec.kind === 'flag' ? true : (values[spec.key] as number) + 1;
      return;
    }
    const v = value ?? next();
    if (v === undefined) return fail(`Option ${name} requires a value`);
    if (spec.kind === 'value') values[spec.key] = v;
    else (values[spec.key] as string[]).push(v);
  };

  let i = 0;
  const next = (): string | undefined => (i < argv.length ? argv[i++] : undefined);
  while (i < argv.length) {
    const arg = argv[i++];
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const spec = byName.get(name) ?? fail(`Unknown flag: '${arg}'`, didYouMean(name, [...byName.keys()].filter((n) => n.startsWith('--'))));
      store(spec, name, eq < 0 ? undefined : arg.slice(eq + 1), next);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Grouped short options: flags until one that takes a value eats the rest.
      for (let j = 1; j < arg.length; j++) {
        const name = `-${arg[j]}`;
        const spec = byName.get(name) ?? fail(`Unknown flag: '${arg}'`);
        if (spec.kind === 'value' || spec.kind === 'list') {
          const rest = arg.slice(j + 1);
          store(spec, name, rest === '' ? undefined : rest, next);
          break;
        }
        store(spec, name, undefined, next);
      }
      continue;
    }
    positionals.push(arg);
    if (stop) {
      positionals.push(...argv.slice(i));
      break;
    }
  }
  return { values, positionals, seen };
}
