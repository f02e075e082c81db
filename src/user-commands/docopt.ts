/**
 * A small docopt (http://docopt.org) subset for a command's `options` text (inventory §1.6,
 * §1.10): parse the usage patterns and the option descriptions, match the user's arguments
 * and turn the result into `VAGGAOPT_<NAME>` / `VAGGACLI_<NAME>` variables.
 *
 * The supported subset:
 * - `Usage:` section (case-insensitive, up to the first empty line); its first word is the
 *   program name, each line starting with it begins a new pattern; patterns are
 *   alternatives. Vagga matches `vagga <command> ARGS...`, so the command name is a
 *   literal command word of the pattern.
 * - Pattern elements: `<arg>` and `ARG` positionals, command words, `-s`/`--long`
 *   (`--long=<v>`/`--long <v>` in a pattern is taken from the option description),
 *   `[...]` optional (each element optional on its own, as in docopt), `(...)` required
 *   groups, `a | b` alternatives, `...` repetition of the preceding element, `[options]`
 *   (every described option not written elsewhere in the patterns).
 * - Option descriptions: lines starting with `-` in any section whose title contains
 *   `options:`; `-s, --long <value>  text [default: x]` (value by `<v>`, `V` or `=<v>`;
 *   the description starts after two spaces); ` ...` after the flag or its value makes
 *   the option repeatable everywhere, `[options]` included (docopt.rs, which Vagga uses:
 *   `-v, --verbose ...` counts, `--only <tag> ...` is a list).
 * - Arguments: `--long`, `--long=value`, `--long value`, stacked shorts `-vvv`,
 *   `-Fvalue`, `-F value`, `--` ends options; options may appear anywhere between
 *   positionals. As in docopt.rs, long options are not abbreviated: a prefix is an
 *   unknown flag (with a `Did you mean` suggestion closer than 3 edits).
 * - Values like docopt: an element that can occur more than once in one alternative is
 *   counted (flags, commands) or a list (values, positionals); otherwise a switch or a
 *   single value (default from `[default: ...]`, else none).
 * Not supported: `[--]` as a pattern element, `options_first`, `--version` handling.
 */
import { VaggaError } from '../errors/vagga-error.js';

/** One described option. `key` is the long name when there is one, else the short one. */
export interface OptionSpec {
  short?: string;
  long?: string;
  key: string;
  takesValue: boolean;
  default?: string;
  /** ` ...` after it in its description: counted (flag) or a list (value), like docopt.rs. */
  repeated?: boolean;
}

type Node =
  | { t: 'opt'; spec: OptionSpec }
  | { t: 'arg'; name: string }
  | { t: 'cmd'; name: string }
  | { t: 'seq'; items: Node[] }
  | { t: 'optional'; items: Node[] }
  | { t: 'either'; alts: Node[] }
  | { t: 'more'; item: Node };

/** A parsed docopt text: the patterns (one `either`), the options and the usage section. */
export interface Docopt {
  doc: string;
  /** The `Usage:` section, trimmed (printed after argument errors). */
  usage: string;
  options: OptionSpec[];
  pattern: Node;
}

/** Parsed argument values, keyed like docopt (`--long`, `-s`, `<arg>`, `ARG`, `command`). */
export type DocoptValue = boolean | number | string | null | string[];

function specError(message: string): never {
  throw new Error(message);
}

/** The option descriptions of every `...options:` section of `doc`. */
export function parseOptionDescriptions(doc: string): OptionSpec[] {
  const specs: OptionSpec[] = [];
  const lines = doc.split('\n');
  let inSection = false;
  let current = '';
  const flush = (): void => {
    const spec = current ? parseOptionLine(current) : null;
    if (spec) specs.push(spec);
    current = '';
  };
  for (const line of lines) {
    if (/options:/i.test(line) && !/^\s/.test(line)) {
      flush();
      inSection = true;
      const rest = line.slice(line.toLowerCase().indexOf('options:') + 'options:'.length);
      if (/^\s*-/.test(rest)) current = rest.trim();
      continue;
    }
    if (!inSection) continue;
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      flush();
      inSection = false;
      continue;
    }
    if (/^\s*-/.test(line)) {
      flush();
      current = line.trim();
    } else if (current) {
      current += '  ' + line.trim();
    }
  }
  flush();
  return specs;
}

/**
 * One option description line (description text after two spaces or a tab), read like
 * docopt.rs: `-s, --long`, a value name after a space or `=` (`<v>`, `V`), and ` ...`
 * after a flag or its value name marks the option repeatable (counted flag, list value).
 * A short flag longer than one letter makes docopt.rs ignore the line; so do we (null).
 */
function parseOptionLine(line: string): OptionSpec | null {
  const cut = line.search(/ {2}|\t/);
  const head = (cut < 0 ? line : line.slice(0, cut)).replace(/([^-\s]), -/g, '$1 -').trim();
  const desc = cut < 0 ? '' : line.slice(cut);
  let short: string | undefined;
  let long: string | undefined;
  let takesValue = false;
  let repeated = false;
  for (const m of head.matchAll(/(?:(--[^ \t=,]+)|(-[^ \t=,]+))(?:[ =]([^.\-\s]\S*))?( \.\.\.)?/g)) {
    if (m[1]) long = m[1];
    if (m[2]) short = m[2];
    if (m[3]) takesValue = true;
    if (m[4]) repeated = true;
  }
  if (short !== undefined && [...short].length !== 2) return null;
  const key = long ?? short;
  if (key === undefined) specError(`bad option description ${JSON.stringify(line)}`);
  const spec: OptionSpec = { short, long, key, takesValue };
  if (repeated) spec.repeated = true;
  const def = /\[default:(.*)\]/i.exec(desc);
  if (def && takesValue) spec.default = def[1].trim();
  return spec;
}

/** The `Usage:` section of `doc` (up to the first empty line), trimmed. */
function usageSection(doc: string): string {
  const m = /usage:/i.exec(doc);
  if (!m) specError('"usage:" (case-insensitive) not found');
  const rest = doc.slice(m.index);
  const end = rest.search(/\n[ \t]*\n/);
  return (end < 0 ? rest : rest.slice(0, end)).trim();
}

function tokenizePattern(text: string): string[] {
  return text.replace(/([[\]()|]|\.\.\.)/g, ' $1 ').split(/\s+/).filter(Boolean);
}

/** Parse the usage section into one `either` of the patterns. */
function parsePatterns(usage: string, options: OptionSpec[]): Node {
  const body = usage.slice(usage.indexOf(':') + 1).trim();
  const words = body.split(/\s+/);
  const prog = words[0];
  if (!prog) specError('no usage pattern');
  const patterns: string[] = [];
  for (const line of body.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    if (trimmed.split(/\s+/)[0] === prog) patterns.push(trimmed.slice(prog.length));
    else if (patterns.length > 0) patterns[patterns.length - 1] += ' ' + trimmed;
    else specError(`usage line ${JSON.stringify(trimmed)} does not start with ${JSON.stringify(prog)}`);
  }
  const nodes = patterns.map((p) => parseSeq(tokenizePattern(p), options, { pos: 0 }, undefined));
  // `[options]`: every described option not written explicitly in any pattern.
  const explicit = new Set<string>();
  const visit = (n: Node): void => {
    if (n.t === 'opt') explicit.add(n.spec.key);
    else if (n.t === 'seq' || n.t === 'optional') n.items.forEach(visit);
    else if (n.t === 'either') n.alts.forEach(visit);
    else if (n.t === 'more') visit(n.item);
  };
  nodes.forEach(visit);
  const shortcut = options.filter((o) => !explicit.has(o.key)).map((spec): Node => optNode(spec));
  const expand = (n: Node): Node => {
    if (n.t === 'arg' && n.name === '\0options') return { t: 'optional', items: shortcut };
    if (n.t === 'seq' || n.t === 'optional') return { ...n, items: n.items.map(expand) };
    if (n.t === 'either') return { t: 'either', alts: n.alts.map(expand) };
    if (n.t === 'more') return { t: 'more', item: expand(n.item) };
    return n;
  };
  return { t: 'either', alts: nodes.map(expand) };
}

function findOption(options: OptionSpec[], name: string): OptionSpec | undefined {
  return options.find((o) => o.long === name || o.short === name);
}

/** Parse tokens up to `close` (or the end): alternatives of sequences. */
function parseSeq(tokens: string[], options: OptionSpec[], at: { pos: number }, close: string | undefined): Node {
  const alts: Node[][] = [[]];
  while (at.pos < tokens.length) {
    const tok = tokens[at.pos++];
    const seq = alts[alts.length - 1];
    if (tok === close) return alternatives(alts);
    if (tok === ']' || tok === ')') specError(`unmatched ${JSON.stringify(tok)}`);
    if (tok === '|') {
      alts.push([]);
      continue;
    }
    if (tok === '...') {
      const last = seq.pop();
      if (!last) specError('"..." without an element before it');
      seq.push(last.t === 'more' ? last : { t: 'more', item: last });
      continue;
    }
    if (tok === '[' && tokens[at.pos] === 'options' && tokens[at.pos + 1] === ']') {
      at.pos += 2;
      seq.push({ t: 'arg', name: '\0options' });
      continue;
    }
    if (tok === '[' || tok === '(') {
      const inner = parseSeq(tokens, options, at, tok === '[' ? ']' : ')');
      seq.push(tok === '[' ? { t: 'optional', items: inner.t === 'seq' ? inner.items : [inner] } : inner);
      continue;
    }
    seq.push(...parseAtom(tok, tokens, options, at));
  }
  if (close !== undefined) specError(`missing ${JSON.stringify(close)}`);
  return alternatives(alts);
}

function alternatives(alts: Node[][]): Node {
  const seqs: Node[] = alts.map((items) => ({ t: 'seq', items }));
  return seqs.length === 1 ? seqs[0] : { t: 'either', alts: seqs };
}

function parseAtom(tok: string, tokens: string[], options: OptionSpec[], at: { pos: number }): Node[] {
  if (tok === '--' || tok === '-') specError(`${JSON.stringify(tok)} in usage patterns is not supported`);
  if (tok.startsWith('--')) {
    const [name, inlineValue] = tok.split('=', 2);
    let spec = findOption(options, name);
    const hasValue = inlineValue !== undefined || isValueName(tokens[at.pos]);
    if (inlineValue === undefined && hasValue && (!spec || spec.takesValue)) at.pos++;
    if (!spec) {
      spec = { long: name, key: name, takesValue: hasValue };
      options.push(spec);
    }
    return [optNode(spec)];
  }
  if (tok.startsWith('-')) {
    const nodes: Node[] = [];
    for (let i = 1; i < tok.length; i++) {
      const name = `-${tok[i]}`;
      let spec = findOption(options, name);
      if (!spec) {
        spec = { short: name, key: name, takesValue: false };
        options.push(spec);
      }
      nodes.push(optNode(spec));
      if (spec.takesValue) {
        if (i === tok.length - 1 && isValueName(tokens[at.pos])) at.pos++;
        break;
      }
    }
    return nodes;
  }
  if (isValueName(tok)) return [{ t: 'arg', name: tok }];
  return [{ t: 'cmd', name: tok }];
}

/** An option element of a pattern; repeated when its description says ` ...` (docopt.rs). */
function optNode(spec: OptionSpec): Node {
  const node: Node = { t: 'opt', spec };
  return spec.repeated ? { t: 'more', item: node } : node;
}

function isValueName(tok: string | undefined): boolean {
  return tok !== undefined && ((tok.startsWith('<') && tok.endsWith('>')) || (/[A-Z]/.test(tok) && tok === tok.toUpperCase() && /^[A-Z0-9_-]+$/.test(tok)));
}

/**
 * Parse a docopt text. Throws Error (with a short reason) for texts outside the subset or
 * without a `Usage:` section.
 */
export function parseDocopt(doc: string): Docopt {
  const options = parseOptionDescriptions(doc);
  const usage = usageSection(doc);
  const pattern = parsePatterns(usage, options);
  return { doc, usage, options, pattern };
}

/** An argument error: message, then the usage section, as docopt prints it. */
export class DocoptUsageError extends Error {}

type Item = { kind: 'opt'; key: string; value?: string } | { kind: 'pos'; value: string };

function usageError(d: Docopt, message: string): never {
  throw new DocoptUsageError(`${message}\n\n${d.usage}`);
}

/** docopt.rs's message for an option value missing at the end of the arguments. */
function missingValue(d: Docopt, spec: OptionSpec): never {
  usageError(d, `Expected argument for flag '${spec.key}' but reached end of arguments.`);
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

/**
 * An unknown long option, as docopt.rs reports it: no prefix matching; the nearest long
 * option or command word closer than 3 edits is suggested (`Did you mean '--first'?`).
 */
function unknownFlag(d: Docopt, name: string): never {
  let best = '';
  let min = Infinity;
  const words = [...d.options.map((o) => o.long), ...[...leaves(d.pattern).values()].map((n) => (n.t === 'cmd' ? n.name : undefined))];
  for (const w of words) {
    if (w === undefined) continue;
    const dist = levenshtein(name, w);
    if (dist < 3 && dist < min) {
      min = dist;
      best = w;
    }
  }
  usageError(d, best ? `Unknown flag: '${name}'. Did you mean '${best}'?` : `Unknown flag: '${name}'`);
}

function tokenizeArgv(d: Docopt, argv: readonly string[]): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      items.push(...argv.slice(i + 1).map((value): Item => ({ kind: 'pos', value })));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const spec = d.options.find((o) => o.long === name);
      if (!spec) unknownFlag(d, name);
      if (!spec.takesValue) {
        if (eq >= 0) usageError(d, `Flag '${spec.key}' cannot have an argument, but found '${arg.slice(eq + 1)}'.`);
        items.push({ kind: 'opt', key: spec.key });
      } else if (eq >= 0) {
        items.push({ kind: 'opt', key: spec.key, value: arg.slice(eq + 1) });
      } else {
        if (i + 1 >= argv.length) missingValue(d, spec);
        items.push({ kind: 'opt', key: spec.key, value: argv[++i] });
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const name = `-${arg[j]}`;
        const spec = d.options.find((o) => o.short === name);
        if (!spec) usageError(d, `Unknown flag: '${name}'`);
        if (!spec.takesValue) {
          items.push({ kind: 'opt', key: spec.key });
          continue;
        }
        if (j + 1 < arg.length) items.push({ kind: 'opt', key: spec.key, value: arg.slice(j + 1) });
        else if (i + 1 < argv.length) items.push({ kind: 'opt', key: spec.key, value: argv[++i] });
        else missingValue(d, spec);
        break;
      }
      continue;
    }
    items.push({ kind: 'pos', value: arg });
  }
  return items;
}

interface State {
  left: Item[];
  got: Array<[string, string | true]>;
}

function* match(node: Node, s: State): Generator<State> {
  switch (node.t) {
    case 'opt': {
      const i = s.left.findIndex((it) => it.kind === 'opt' && it.key === node.spec.key);
      if (i < 0) return;
      const it = s.left[i] as Extract<Item, { kind: 'opt' }>;
      yield { left: [...s.left.slice(0, i), ...s.left.slice(i + 1)], got: [...s.got, [node.spec.key, it.value ?? true]] };
      return;
    }
    case 'arg':
    case 'cmd': {
      const i = s.left.findIndex((it) => it.kind === 'pos');
      if (i < 0) return;
      const value = s.left[i].value!;
      if (node.t === 'cmd' && value !== node.name) return;
      yield { left: [...s.left.slice(0, i), ...s.left.slice(i + 1)], got: [...s.got, [node.name, node.t === 'cmd' ? true : value]] };
      return;
    }
    case 'seq':
      yield* matchAll(node.items, 0, s, false);
      return;
    case 'optional':
      yield* matchAll(node.items, 0, s, true);
      return;
    case 'either':
      for (const alt of node.alts) yield* match(alt, s);
      return;
    case 'more':
      for (const next of match(node.item, s)) {
        if (next.left.length < s.left.length) yield* matchMore(node.item, next);
        else yield next;
      }
  }
}

function* matchMore(item: Node, s: State): Generator<State> {
  for (const next of match(item, s)) {
    if (next.left.length < s.left.length) yield* matchMore(item, next);
  }
  yield s;
}

function* matchAll(items: Node[], i: number, s: State, eachOptional: boolean): Generator<State> {
  if (i === items.length) {
    yield s;
    return;
  }
  for (const next of match(items[i], s)) yield* matchAll(items, i + 1, next, eachOptional);
  if (eachOptional) yield* matchAll(items, i + 1, s, eachOptional);
}

/** Leaf keys that can occur more than once in one alternative (docopt's repeating elements). */
function repeatedKeys(node: Node): Set<string> {
  const branches = (n: Node): string[][] => {
    switch (n.t) {
      case 'opt':
        return [[n.spec.key]];
      case 'arg':
      case 'cmd':
        return [[n.name]];
      case 'seq':
      case 'optional':
        return n.items.reduce<string[][]>((acc, it) => acc.flatMap((a) => branches(it).map((b) => [...a, ...b])), [[]]);
      case 'either':
        return n.alts.flatMap(branches);
      case 'more':
        return branches(n.item).map((b) => [...b, ...b]);
    }
  };
  const out = new Set<string>();
  for (const b of branches(node)) {
    const seen = new Set<string>();
    for (const k of b) (seen.has(k) ? out : seen).add(k);
  }
  return out;
}

/** Every leaf of the pattern with its kind. */
function leaves(node: Node, out = new Map<string, Node>()): Map<string, Node> {
  if (node.t === 'opt') out.set(node.spec.key, node);
  else if (node.t === 'arg' || node.t === 'cmd') out.set(node.name, node);
  else if (node.t === 'seq' || node.t === 'optional') node.items.forEach((n) => leaves(n, out));
  else if (node.t === 'either') node.alts.forEach((n) => leaves(n, out));
  else leaves(node.item, out);
  return out;
}

/** The result of matching arguments: values, or a request for help. */
export type DocoptResult = { kind: 'values'; values: Map<string, DocoptValue> } | { kind: 'help' };

/**
 * Match `argv` (the arguments after the command name) against `d`, prefixed by the
 * program's command word `command`. `-h`/`--help` anywhere (when described) asks for help.
 * Throws DocoptUsageError (message + blank line + usage section) on unknown flags, missing
 * option values, or arguments that fit no pattern (`Invalid arguments.`).
 */
export function matchDocopt(d: Docopt, command: string, argv: readonly string[]): DocoptResult {
  const items = [{ kind: 'pos' as const, value: command }, ...tokenizeArgv(d, argv)];
  const help = d.options.find((o) => o.long === '--help' || o.short === '-h');
  if (help && items.some((it) => it.kind === 'opt' && it.key === help.key)) return { kind: 'help' };
  let found: State | undefined;
  for (const s of match(d.pattern, { left: items, got: [] })) {
    if (s.left.length === 0) {
      found = s;
      break;
    }
  }
  if (!found) usageError(d, 'Invalid arguments.');
  const repeated = repeatedKeys(d.pattern);
  const values = new Map<string, DocoptValue>();
  for (const [key, node] of leaves(d.pattern)) {
    const got = found.got.filter(([k]) => k === key).map(([, v]) => v);
    const takesValue = node.t === 'arg' || (node.t === 'opt' && node.spec.takesValue);
    const def = node.t === 'opt' ? node.spec.default : undefined;
    if (repeated.has(key)) {
      if (takesValue) values.set(key, got.length > 0 ? (got as string[]) : def !== undefined ? def.split(/\s+/).filter(Boolean) : []);
      else values.set(key, got.length);
    } else if (takesValue) {
      values.set(key, got.length > 0 ? (got[got.length - 1] as string) : def ?? null);
    } else {
      values.set(key, got.length > 0);
    }
  }
  // Described options the patterns never mention still get their empty/default value
  // (docopt.rs fills every described option).
  for (const o of d.options) {
    if (values.has(o.key)) continue;
    if (o.takesValue) values.set(o.key, o.repeated ? (o.default ?? '').split(/\s+/).filter(Boolean) : o.default ?? null);
    else values.set(o.key, o.repeated ? 0 : false);
  }
  // The program's own command word is not an option of the command.
  values.delete(command);
  return { kind: 'values', values };
}

/**
 * Shell-escape like Vagga's launcher: letters, digits and `@%+=:,./-` stay bare, anything
 * else is single-quoted with `'` written as `'"'"'`; the empty string is `''`.
 */
export function shellEscape(value: string): string {
  if (value === '') return "''";
  if (/^[\p{L}\p{N}@%+=:,./-]+$/u.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * `VAGGAOPT_<NAME>` and `VAGGACLI_<NAME>` for each value (inventory §1.10): NAME is the key
 * without leading dashes/`<`, trailing `>`, `-` -> `_`, upper-cased. Switch: `true`/`` and
 * the flag/``; counted: the count/`` and the flag repeated (`-vvv` for shorts, `--v --v`
 * for longs); value: raw and `--opt <escaped>` (just escaped for positionals); list:
 * space-joined and escaped items (after `--opt` for options); none: `` for both.
 * Difference from Vagga: a positional list's CLI form has no leading space.
 */
export function docoptEnvironment(values: Map<string, DocoptValue>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of values) {
    const name = key.replace(/^-+/, '').replace(/^</, '').replace(/>$/, '').replace(/-/g, '_').toUpperCase();
    const isOption = key.startsWith('-');
    let opt = '';
    let cli = '';
    if (value === true) {
      opt = 'true';
      cli = key;
    } else if (typeof value === 'number' && value > 0) {
      opt = String(value);
      cli = key.startsWith('--') || !isOption ? Array(value).fill(key).join(' ') : `-${key[1].repeat(value)}`;
    } else if (typeof value === 'string') {
      opt = value;
      cli = isOption ? `${key} ${shellEscape(value)}` : shellEscape(value);
    } else if (Array.isArray(value) && value.length > 0) {
      opt = value.join(' ');
      cli = [...(isOption ? [key] : []), ...value.map(shellEscape)].join(' ');
    }
    env[`VAGGAOPT_${name}`] = opt;
    env[`VAGGACLI_${name}`] = cli;
  }
  return env;
}

/** Built-in option block appended to every `!Command`'s options text (Vagga's launcher). */
export const COMMON_OPTIONS = 'Common options:\n  -h, --help           This help\n';

/**
 * Built-in option block appended to a `!Supervise` command's options text (Vagga's
 * supervisor): `--only`/`--exclude` are repeatable and take a child name or tag each.
 */
export const SUPERVISE_OPTIONS = [
  'Supervise options:',
  '  -h, --help           This help',
  '  --only <tag> ...     Only run specified processes.',
  '                       This matches both names and tags',
  '  --exclude <tag> ...  Don\'t run specified processes.',
  '                       This excludes both names and tags',
  '',
].join('\n');

/** The outcome of parsing a command's arguments with its `options`: its variables and the parsed values (docopt keys). */
export type CommandOptionsResult = { kind: 'run'; env: Record<string, string>; values: Map<string, DocoptValue> } | { kind: 'help'; text: string };

/**
 * Parse the extra `args` of command `name` with its `options` text. The docopt text is
 * `description` (or `vagga <name>`), a blank line, `options`, a blank line, `common`
 * (COMMON_OPTIONS for a `!Command`, SUPERVISE_OPTIONS for a `!Supervise`).
 * Returns the variables to add to the command's environment (arguments are not passed
 * positionally) with the parsed values, or the full text for `-h`/`--help`. Throws
 * VaggaError 121: for a malformed `options` text (`Error parsing \`options\` in command
 * "x": ...`) and for arguments that do not fit (message, blank line, usage section).
 */
export function parseCommandOptions(name: string, description: string | undefined, options: string, args: readonly string[], common: string = COMMON_OPTIONS): CommandOptionsResult {
  // `options: |` blocks end with a newline; one is added when missing so that the usage
  // section always ends before the common options.
  const doc = `${description ?? `vagga ${name}`}\n\n${options.replace(/\n?$/, '\n')}\n${common}\n`;
  let d: Docopt;
  try {
    d = parseDocopt(doc);
  } catch (err) {
    throw new VaggaError(`Error parsing \`options\` in command ${JSON.stringify(name)}: ${(err as Error).message}`, { code: 'command.bad-options-doc' });
  }
  try {
    const r = matchDocopt(d, name, args);
    // The whole text, ending with one newline (docopt prints it with println).
    if (r.kind === 'help') return { kind: 'help', text: doc.replace(/\n+$/, '\n') };
    return { kind: 'run', env: docoptEnvironment(r.values), values: r.values };
  } catch (err) {
    if (err instanceof DocoptUsageError) throw new VaggaError(err.message, { code: 'command.docopt-usage' });
    throw err;
  }
}
