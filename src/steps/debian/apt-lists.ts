/**
 * Whether the shared, cached apt package lists (`<cache>/apt-lists-debian-<suite>-<8hex>`,
 * bind-mounted at /var/lib/apt/lists) can be used as they are, so a build skips
 * `apt-get update` and fetches nothing from the mirror:
 *  - the lists were refreshed less than APT_LISTS_MAX_AGE_MS ago, per a stamp file next to
 *    the lists dir (`<lists dir>.updated`, written by vagga under the apt cache lock after a
 *    successful `apt-get update`; not inside the dir, where apt deletes unknown files), and
 *  - they hold the index files of every source configured in the root (sources.list and
 *    sources.list.d/*.list), so a step adding a source (`!Repo`, `!UbuntuRepo`...) makes the
 *    next install update. A deb822 `.sources` file, or a line we cannot read, means "update".
 * List file names follow apt's URItoFileName (apt-pkg/contrib/strutl.cc): the URI without
 * scheme and credentials, the characters `\|{}[]<>"^~_=!@#$%*`, space and non-ASCII quoted as
 * `%xx`, then `/` replaced by `_`; e.g. `http://h/debian/dists/bookworm/InRelease` ->
 * `h_debian_dists_bookworm_InRelease`, `.../main/binary-amd64/Packages` ->
 * `h_debian_dists_bookworm_main_binary-amd64_Packages` (sources.list(5), apt-get(8)).
 * Vagga itself runs `apt-get update` in every build (vagga-inventory.md §2.6); skipping it for
 * fresh lists is our addition. A stale cached list is caught by apt-run.ts, which updates and
 * retries when an install fails on cached lists.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long after an `apt-get update` the cached lists are used without updating: 1 hour. */
export const APT_LISTS_MAX_AGE_MS = 60 * 60 * 1000;

/** One `deb`/`deb-src` line of sources.list(5), options dropped. */
export interface AptSourceLine {
  type: 'deb' | 'deb-src';
  uri: string;
  suite: string;
  components: string[];
}

/**
 * The source lines of a sources.list(5) text (one-line format): comments and blank lines
 * skipped, `[opt=val ...]` options dropped. Returns undefined when a non-comment line does not
 * parse (the caller then updates).
 */
export function parseSourcesList(text: string): AptSourceLine[] | undefined {
  const out: AptSourceLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    if (!m) return undefined;
    const components = m[4]!.trim() === '' ? [] : m[4]!.trim().split(/\s+/);
    const suite = m[3]!;
    if (!suite.endsWith('/') && components.length === 0) return undefined; // apt rejects this too
    out.push({ type: m[1] as AptSourceLine['type'], uri: m[2]!, suite, components });
  }
  return out;
}

/** apt's URItoFileName for `uri`: see the file comment. */
export function aptUriToFileName(uri: string): string {
  const noScheme = uri.replace(/^[A-Za-z][A-Za-z0-9+.-]*:(\/\/)?/, '').replace(/^[^/@]*@/, '');
  let quoted = '';
  for (const ch of Buffer.from(noScheme, 'utf8')) {
    const c = String.fromCharCode(ch);
    quoted += ch <= 0x20 || ch >= 0x7f || '\\|{}[]<>"^~_=!@#$%*'.includes(c) ? `%${ch.toString(16).padStart(2, '0')}` : c;
  }
  return quoted.replace(/\//g, '_');
}

/**
 * What the lists dir must hold for one source line: `release` (either name is enough:
 * InRelease, or Release from a repository without InRelease) and `indexPrefixes`, one per
 * component, each matched by some file name starting with it (architecture and compression
 * suffix vary). Flat repositories (suite ending in `/`) have no components.
 */
export function expectedLists(src: AptSourceLine): { release: string[]; indexPrefixes: string[] } {
  const base = src.uri.endsWith('/') ? src.uri : `${src.uri}/`;
  if (src.suite.endsWith('/')) {
    const dir = aptUriToFileName(base + (src.suite === './' ? '' : src.suite));
    return { release: [`${dir}InRelease`, `${dir}Release`], indexPrefixes: [`${dir}${src.type === 'deb' ? 'Packages' : 'Sources'}`] };
  }
  const dir = aptUriToFileName(`${base}dists/${src.suite}/`);
  const kind = src.type === 'deb' ? 'binary-' : 'source_Sources';
  return {
    release: [`${dir}InRelease`, `${dir}Release`],
    indexPrefixes: src.components.map((c) => `${dir}${aptUriToFileName(c)}_${kind}`),
  };
}

/**
 * The source lines configured in `root` (etc/apt/sources.list and sources.list.d/*.list), or
 * undefined when they cannot be read reliably: a deb822 `.sources` file, an unparsable line,
 * or no source at all.
 */
export function rootSources(root: string): AptSourceLine[] | undefined {
  const texts: string[] = [];
  try {
    texts.push(readFileSync(join(root, 'etc/apt/sources.list'), 'utf8'));
  } catch {
    /* absent: sources.list.d only */
  }
  let names: string[] = [];
  try {
    names = readdirSync(join(root, 'etc/apt/sources.list.d')).sort();
  } catch {
    /* absent */
  }
  if (names.some((n) => n.endsWith('.sources'))) return undefined;
  for (const n of names) if (n.endsWith('.list')) texts.push(readFileSync(join(root, 'etc/apt/sources.list.d', n), 'utf8'));
  const out: AptSourceLine[] = [];
  for (const t of texts) {
    const lines = parseSourcesList(t);
    if (lines === undefined) return undefined;
    out.push(...lines);
  }
  return out.length > 0 ? out : undefined;
}

/** Whether the file names `present` (a lists dir's entries) cover every source in `sources`. */
export function listsCover(present: readonly string[], sources: readonly AptSourceLine[]): boolean {
  const names = new Set(present);
  return sources.every((src) => {
    const want = expectedLists(src);
    return want.release.some((r) => names.has(r)) && want.indexPrefixes.every((p) => present.some((n) => n.startsWith(p)));
  });
}

/** Path of the refresh stamp of the lists dir `listsDir`: `<listsDir>.updated`. */
export function listsStampPath(listsDir: string): string {
  return `${listsDir}.updated`;
}

/** Record that `listsDir` was refreshed at `now` (ms since the epoch): the stamp holds the ISO time. */
export function writeListsStamp(listsDir: string, now: number = Date.now()): void {
  writeFileSync(listsStampPath(listsDir), `${new Date(now).toISOString()}\n`);
}

/** The last refresh time (ms since the epoch) recorded for `listsDir`, or undefined (no or bad stamp). */
export function readListsStamp(listsDir: string): number | undefined {
  try {
    const t = Date.parse(readFileSync(listsStampPath(listsDir), 'utf8').trim());
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}

/**
 * Whether a build may skip `apt-get update`: the stamp of `listsDir` is younger than `maxAgeMs`
 * (and not in the future by more than that) and the lists cover every source configured in
 * `root`. Never throws (any read problem means "update").
 */
export function cachedListsUsable(root: string, listsDir: string, now: number = Date.now(), maxAgeMs: number = APT_LISTS_MAX_AGE_MS): boolean {
  const stamp = readListsStamp(listsDir);
  if (stamp === undefined || Math.abs(now - stamp) >= maxAgeMs) return false;
  try {
    if (!statSync(listsDir).isDirectory()) return false;
    const sources = rootSources(root);
    return sources !== undefined && listsCover(readdirSync(listsDir), sources);
  } catch {
    return false;
  }
}
