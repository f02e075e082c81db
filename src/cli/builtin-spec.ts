/**
 * What a built-in command is, declared once per built-in in src/cli/builtins.ts: its
 * summary, description, options and positional arguments. From that declaration come its
 * `--help` text (builtinHelp), its part of `vagga --help` (help.ts), its argument parsing
 * (builtin-args.ts) and, for a built-in Vagga does not have, its shell completion
 * (completion/candidates.ts; Vagga's own follow Vagga's table there). Pure data and text;
 * imports no built-in implementation (they import this module's types: no import circle).
 */
import type { ErrorCode } from '../errors/codes.js';
import type { CliContext } from './context.js';
import type { OptionSpec, ParsedArgs } from './arg-parser.js';

/** One option of a built-in. */
export interface BuiltinOption {
  /** Spellings with their dashes, in help and completion order, e.g. `['-s', '--short']`. */
  flags: readonly string[];
  /** Key in BuiltinCall.values (boolean for a flag, string for an option taking a value). */
  key: string;
  /** Name of the value it takes (`DURATION`), shown in the help; absent for a flag. */
  value?: string;
  /** Help text (`\n` starts a continuation line). */
  help: string;
  /** Offered by shell completion (default true). */
  complete?: boolean;
}

/** What shell completion offers for a positional: container names, command names (with built-ins), fixed words or nothing. */
export type PositionalCompletion = 'container' | 'command' | 'none' | readonly string[];

/** One positional argument of a built-in, in command-line order. */
export interface BuiltinPositional {
  /** Name in the usage line (`CONTAINER`); a positional completing fixed words shows them (`bash|zsh`). */
  name: string;
  complete: PositionalCompletion;
  /** Required: the error message when it is missing. Absent for an optional one. */
  missing?: string;
  /** Takes every remaining argument (last positional only). */
  rest?: boolean;
}

/** A built-in's declaration (see the module comment). */
export interface BuiltinSpec {
  /** `_name`. */
  name: string;
  /** One line for `_list --all` and `vagga --help` (Vagga's wording where Vagga lists it). */
  summary: string;
  /**
   * Meant for users: shown by `_list --all`/`--hidden`, `vagga --help` and completion.
   * Every built-in this version implements is, except the completion backend `_compgen`
   * (Vagga's own `_list` shows a fixed subset, its completion list all of them, §1.8).
   */
  listed: boolean;
  /** The paragraph(s) of its `--help` between the usage line and the options. */
  description: string;
  options: readonly BuiltinOption[];
  positionals: readonly BuiltinPositional[];
  /** Options may follow positionals (`_build C --force`); default: parsing stops at the first positional. */
  optionsAfterPositionals?: boolean;
  /** Error code of bad arguments (default `args.bad-option`/`args.bad-positional`, exit 122; `_clean`, `_completion`: exit 1, as Vagga). */
  errorCode?: ErrorCode;
  /** Extra positionals are accepted and ignored (default: `Unexpected argument`). */
  ignoreExtraArgs?: boolean;
  /** The arguments reach the implementation unparsed (no `--help` either): `_compgen`. */
  rawArgs?: boolean;
}

/** One invocation of a built-in: its parsed arguments and what it may need to know. */
export interface BuiltinCall {
  spec: BuiltinSpec;
  /** Option values by key: boolean (flag) or string (value; absent when not given). */
  values: ParsedArgs['values'];
  /** The positionals, validated against spec.positionals (all arguments with rawArgs). */
  positionals: string[];
  /** Every built-in (`_list --all`, completion). */
  builtins: readonly BuiltinSpec[];
}

/** The shape every ./builtins/<name>.ts module exports. */
export interface BuiltinModule {
  /** Run with the parsed call; resolves with the exit status. */
  run(ctx: CliContext, call: BuiltinCall): Promise<number>;
}

/** The built-in's options in the parser's terms (arg-parser.ts). */
export function optionSpecs(spec: BuiltinSpec): OptionSpec[] {
  return spec.options.map((o) => ({ names: o.flags, key: o.key, kind: o.value === undefined ? 'flag' : 'value' }));
}

/** `[options] CONTAINER COMMAND [ARGS...]`: options and positionals for usage lines. */
export function synopsis(spec: BuiltinSpec): string {
  const parts = spec.options.length > 0 ? ['[options]'] : [];
  for (const p of spec.positionals) {
    const name = typeof p.complete === 'object' ? p.complete.join('|') : p.name;
    const shown = p.rest ? `${name}...` : name;
    parts.push(p.missing === undefined ? `[${shown}]` : shown);
  }
  return parts.join(' ');
}

/** `Usage: vagga _build [options] CONTAINER` (also the hint of argument errors). */
export function usageLine(spec: BuiltinSpec): string {
  return `Usage: vagga ${[spec.name, synopsis(spec)].filter(Boolean).join(' ')}`;
}

/** The `-h`/`--help` every built-in with parsed arguments accepts (builtin-args.ts). */
export const HELP_OPTION: BuiltinOption = { flags: ['-h', '--help'], key: 'help', help: 'This help' };

/** Column at which formatRows wraps a text line at a space: an 80-column terminal. */
const LINE_WIDTH = 80;

/** `line` split at spaces into pieces of at most `width` characters (a longer word stays whole). */
function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of line.split(' ')) {
    if (cur !== '' && cur.length + 1 + word.length > width) {
      out.push(cur);
      cur = word;
    } else {
      cur = cur === '' ? word : `${cur} ${word}`;
    }
  }
  return [...out, cur];
}

/**
 * Two columns: each label indented by 2, its text from column `2 + width + 2` where width
 * is the longest label up to `maxLabel`; a longer label puts its text on the next line.
 * Continuation lines (`\n` in a text, and lines wrapped at LINE_WIDTH) are indented to the
 * text column.
 */
export function formatRows(rows: readonly (readonly [string, string])[], maxLabel: number): string {
  const width = Math.max(0, ...rows.map(([l]) => l.length).filter((n) => n <= maxLabel));
  const pad = ' '.repeat(2 + width + 2);
  return rows.map(([label, text]) => {
    const lines = text.split('\n').flatMap((l) => wrap(l, LINE_WIDTH - pad.length));
    const head = label.length > width ? `  ${label}\n${pad}` : `  ${label.padEnd(width)}  `;
    return `${head}${lines.join(`\n${pad}`)}\n`;
  }).join('');
}

/** The whole `--help` text of a built-in (ends with a newline). */
export function builtinHelp(spec: BuiltinSpec): string {
  const options = [...spec.options, HELP_OPTION].map((o): [string, string] => [
    o.flags.join(', ') + (o.value === undefined ? '' : ` ${o.value}`),
    o.help,
  ]);
  return `${usageLine(spec)}\n\n${spec.description}\n\nOptions:\n${formatRows(options, 26)}`;
}
