/**
 * Path filters of `!Copy`, `!Depends` and `!Build` (vagga-inventory.md §2.1 "Filters"):
 * either regular expressions (`ignore-regex` with Vagga's default, optional
 * `include-regex`) or gitignore-like glob `rules` (include rules start with `/`, `!`
 * excludes, a trailing `/` means a directory, default exclude rules unless
 * `no-default-rules`). Paths given to a filter are relative to the walked root, `/`-separated.
 *
 * Glob semantics follow the Rust `globset` crate as Vagga's path filter uses it: `*` and
 * `?` cross `/` unless the rule contains a `/`; `**` as a whole component matches any
 * number of directories; `dir/**` also matches `dir` itself (as Vagga's own filter tests
 * assert); `[...]`/`[!...]` classes, `{a,b}` alternatives, `\` escapes.
 */
import { VaggaError } from '../errors/vagga-error.js';

/** Vagga's default `ignore-regex`. */
export const DEFAULT_IGNORE_REGEX = String.raw`(^|/)\.(git|hg|svn|vagga)($|/)|~$|\.bak$|\.orig$|^#.*#$`;

/** Exclude rules prepended to user `rules` unless `no-default-rules: true`. */
export const DEFAULT_IGNORE_RULES: readonly string[] = ['!.git/', '!.hg/', '!.svn/', '!.vagga/', '!*.bak', '!*.orig', '!*~', '!#*#', '!.#*'];

/** The filter-related parameters shared by `!Copy`, `!Depends` and `!Build`. */
export interface FilterOptions {
  ignoreRegex?: string;
  includeRegex?: string;
  rules: string[];
  noDefaultRules?: boolean;
}

/** One cooked glob rule (a user rule expands to several). */
export interface GlobRule {
  orig: string;
  glob: string;
  isIgnore: boolean;
  isAbsolute: boolean;
  isDir: boolean;
  isExact: boolean;
  isIntermediate: boolean;
  literalSep: boolean;
  regex: RegExp;
}

/** Result of matching one path. */
export type FilterMatch =
  | { kind: 'include'; rule?: GlobRule }
  | { kind: 'ignore'; rule?: GlobRule }
  | { kind: 'none' };

/** A compiled filter. */
export interface PathFilter {
  readonly kind: 'glob' | 'regex';
  /** Glob filters only: directories no rule mentions are not entered. */
  readonly skipUnknownDirs: boolean;
  /** Regex filters only: an include regex is set (unmatched entries are skipped, dirs still entered). */
  readonly hasInclude: boolean;
  /** Match a relative path; `isDir` tells whether it is a directory (symlinks are not). */
  matched(path: string, isDir: boolean): FilterMatch;
}

/** Thrown for invalid filter parameters (exit 121, Vagga's wording). */
export class FilterError extends VaggaError {
  constructor(message: string) {
    super(message, { code: 'version.bad-filter' });
    this.name = 'FilterError';
  }
}

/**
 * Build the filter for a step's parameters. `defaultRules: false` disables the default
 * exclude rules regardless of `no-default-rules` (`!Build`). `warn` receives
 * `You didn't add any include rules...` when rules contain no include rule (Vagga warns at
 * build time only, so pass it only there).
 * Throws FilterError: `You must specify either rules or regular expressions but not both`,
 * `Relative paths are allowed only for excluding rules`, `Can't compile copy filter: ...`.
 */
export function createPathFilter(opts: FilterOptions, options: { warn?: (msg: string) => void; defaultRules?: boolean } = {}): PathFilter {
  const hasRules = opts.rules.length > 0 || opts.noDefaultRules !== undefined;
  if (hasRules && (opts.ignoreRegex !== undefined || opts.includeRegex !== undefined)) {
    throw new FilterError('You must specify either rules or regular expressions but not both');
  }
  if (opts.rules.length > 0) {
    const all: string[] = [];
    if (options.defaultRules !== false && !opts.noDefaultRules) all.push(...DEFAULT_IGNORE_RULES);
    let hasInclude = false;
    for (const rule of opts.rules) {
      if (!rule.startsWith('!') && !rule.startsWith('/')) {
        throw new FilterError('Relative paths are allowed only for excluding rules');
      }
      if (!rule.startsWith('!')) hasInclude = true;
      all.push(rule);
    }
    if (!hasInclude) {
      options.warn?.("You didn't add any include rules. So no files will be matched. " +
        'If you want to match all files in the source directory you should add "/" rule.');
    }
    return globFilter(all);
  }
  return regexFilter(opts.ignoreRegex ?? DEFAULT_IGNORE_REGEX, opts.includeRegex);
}

/** Compile a Rust-`regex` pattern as a JS RegExp (leading inline flags `(?ims)` become flags). */
export function compileRustRegex(source: string): RegExp {
  let flags = '';
  let body = source;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of m[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw new FilterError(`Can't compile copy filter: regex error: ${(e as Error).message}`);
  }
}

function regexFilter(ignore: string, include: string | undefined): PathFilter {
  const ignoreRe = compileRustRegex(ignore);
  const includeRe = include !== undefined ? compileRustRegex(include) : undefined;
  return {
    kind: 'regex',
    skipUnknownDirs: false,
    hasInclude: includeRe !== undefined,
    matched(path) {
      if (ignoreRe.test(path)) return { kind: 'ignore' };
      if (includeRe?.test(path)) return { kind: 'include' };
      return { kind: 'none' };
    },
  };
}

function cookRule(raw: string): Omit<GlobRule, 'regex'>[] {
  const out: Omit<GlobRule, 'regex'>[] = [];
  let rule = raw;
  const isIgnore = rule.startsWith('!');
  if (isIgnore) rule = rule.slice(1);
  if (rule.startsWith('\\')) rule = rule.slice(1);
  const hasSlash = rule.includes('/');
  const isDir = rule.endsWith('/');
  const isAbsolute = rule.startsWith('/');
  if (isDir) rule = rule.slice(0, -1);
  if (isAbsolute) rule = rule.slice(1);
  const prefix = !isAbsolute && !rule.startsWith('**/') ? '**/' : '';
  const base = { orig: raw, isIgnore, isAbsolute, literalSep: hasSlash };
  if (isIgnore) {
    out.push({ ...base, glob: prefix + rule, isDir, isExact: true, isIntermediate: false });
  } else {
    // Intermediate rules let the walk enter parent directories without including them.
    let cur = '';
    for (const part of rule.split('/')) {
      cur += part;
      if (cur === '') continue;
      const isLast = cur.length === rule.length;
      out.push({ ...base, glob: prefix + cur, isDir: !isLast || isDir, isExact: true, isIntermediate: !isLast });
      cur += '/';
    }
  }
  if (isDir) {
    const glob = rule === '' ? '**/*' : `${prefix}${rule}/**/*`;
    out.push({ ...base, glob, isDir: false, isExact: false, isIntermediate: false });
  } else if (!rule.endsWith('/**')) {
    out.push({ ...base, glob: `${prefix}${rule}/**`, isDir: false, isExact: false, isIntermediate: false });
  }
  return out;
}

function globFilter(rules: string[]): PathFilter {
  // Later duplicates win the position (Vagga cooks rules last-to-first, then reverses).
  const seen = new Set<string>();
  const reversed: Omit<GlobRule, 'regex'>[] = [];
  for (const raw of [...rules].reverse()) {
    const cooked = cookRule(raw).filter((r) => {
      const key = JSON.stringify(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    reversed.push(...cooked.reverse());
  }
  const ruleset: GlobRule[] = reversed.reverse().map((r) => ({ ...r, regex: globToRegex(r.glob, r.literalSep) }));
  const skipUnknownDirs = !ruleset.some((r) => !r.isAbsolute && !r.isIgnore);
  return {
    kind: 'glob',
    skipUnknownDirs,
    hasInclude: false,
    matched(path, isDir) {
      let chosen: GlobRule | undefined;
      for (let i = ruleset.length - 1; i >= 0; i--) {
        const rule = ruleset[i]!;
        if (!rule.regex.test(path)) continue;
        if (isDir || !rule.isDir) {
          if (chosen === undefined || rule.isExact) chosen = rule;
          if (rule.isExact) break;
        }
      }
      if (!chosen) return { kind: 'none' };
      return chosen.isIgnore ? { kind: 'ignore', rule: chosen } : { kind: 'include', rule: chosen };
    },
  };
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeLiteral(c: string): string {
  return c.replace(REGEX_SPECIAL, (x) => (x === '/' ? '/' : `\\${x}`));
}

/**
 * Translate a glob (globset syntax) to an anchored RegExp. `literalSep`: `*`, `?` and
 * classes do not match `/`. Throws FilterError on an unclosed class or alternative.
 */
export function globToRegex(glob: string, literalSep: boolean): RegExp {
  if (glob === '**') return /^[\s\S]*$/;
  return new RegExp(`^${translate(glob, literalSep, true)}$`);
}

function translate(glob: string, literalSep: boolean, top: boolean): string {
  const star = literalSep ? '[^/]*' : '[\\s\\S]*';
  const one = literalSep ? '[^/]' : '[\\s\\S]';
  let re = '';
  let i = 0;
  const n = glob.length;
  while (i < n) {
    const c = glob[i]!;
    if (c === '\\') {
      if (i + 1 < n) re += escapeLiteral(glob[i + 1]!);
      i += 2;
    } else if (c === '*') {
      let j = i;
      while (glob[j] === '*') j++;
      const double = j - i === 2;
      const startsComponent = i === 0 || glob[i - 1] === '/';
      const endsComponent = j === n || glob[j] === '/';
      if (top && double && startsComponent && endsComponent) {
        if (i === 0 && j < n) {
          re += '(?:/?|[\\s\\S]*/)';
          i = j + 1;
        } else if (i === 0) {
          re += '[\\s\\S]*';
          i = j;
        } else if (j === n) {
          re = `${re.slice(0, -1)}(?:/[\\s\\S]*)?`;
          i = j;
        } else {
          re = `${re.slice(0, -1)}(?:/|/[\\s\\S]*/)`;
          i = j + 1;
        }
      } else {
        re += star;
        i = j;
      }
    } else if (c === '?') {
      re += one;
      i++;
    } else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (glob[j] === '!' || glob[j] === '^') {
        negate = true;
        j++;
      }
      let body = '';
      let first = true;
      while (j < n && (glob[j] !== ']' || first)) {
        const ch = glob[j]!;
        body += ch === '\\' || ch === '^' || ch === '[' || ch === ']' ? `\\${ch}` : ch;
        first = false;
        j++;
      }
      if (j >= n) throw new FilterError(`Can't compile copy filter: globset error: unclosed character class in ${JSON.stringify(glob)}`);
      re += `[${negate ? '^' : ''}${literalSep && negate ? '/' : ''}${body}]`;
      i = j + 1;
    } else if (c === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) throw new FilterError(`Can't compile copy filter: globset error: unclosed alternate group in ${JSON.stringify(glob)}`);
      const alts = glob.slice(i + 1, close).split(',');
      re += `(?:${alts.map((a) => translate(a, literalSep, false)).join('|')})`;
      i = close + 1;
    } else {
      re += escapeLiteral(c);
      i++;
    }
  }
  return re;
}
