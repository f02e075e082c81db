/**
 * Choosing the Debian mirror for `!Debian` bootstraps and the container's apt sources.
 *
 * The `debian-mirror` setting wins. Otherwise the host's own apt sources are read, in apt's
 * order: `/etc/apt/sources.list`, then `/etc/apt/sources.list.d/*.list` (one-line format,
 * sources.list(5) "ONE-LINE-STYLE FORMAT") and `*.sources` (deb822 format, sources.list(5)
 * "DEB822-STYLE FORMAT") sorted by name. The security archive and `deb-src`/disabled entries
 * are never a base mirror. The mirror is not part of the version hash (like Vagga's
 * `ubuntu-mirror`/`alpine-mirror` settings, vagga-inventory.md §2.1 "Not hashed").
 *
 * Parsing and choosing are pure functions over file texts so they are unit-tested; only
 * readHostAptSources touches the file system.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';

/** One apt source entry (a one-line `deb ...` line or a deb822 stanza). */
export interface AptSourceEntry {
  /** `deb` and/or `deb-src`. */
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** False for deb822 `Enabled: no`. */
  enabled: boolean;
  /** Where it was written: file path and 1-based line of the entry's start. */
  file: string;
  line: number;
}

/** Text of one apt sources file. */
export interface AptSourcesFile {
  path: string;
  text: string;
}

/** What the host offers for mirror detection (file texts; read by readHostAptSources). */
export interface HostAptSources {
  /** In apt's reading order. */
  files: AptSourcesFile[];
  /** Content of /etc/os-release, when readable. */
  osRelease?: string;
}

/** Split on runs of whitespace, dropping empty pieces. */
function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

/**
 * Parse one-line-style sources (`deb [opt=v ...] URI SUITE [COMPONENT...]`).
 * `#` starts a comment; lines of other types (`deb-src`, garbage) are returned with their
 * type or skipped when they have no URI and suite.
 */
export function parseOneLineSources(text: string, file: string): AptSourceEntry[] {
  const out: AptSourceEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === '') return;
    let rest = line;
    const typeMatch = /^(\S+)\s*/.exec(rest);
    if (!typeMatch) return;
    const type = typeMatch[1]!;
    rest = rest.slice(typeMatch[0].length);
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close < 0) return; // malformed options: apt rejects the line too
      rest = rest.slice(close + 1);
    }
    const [uri, suite, ...components] = words(rest);
    if (uri === undefined || suite === undefined) return;
    out.push({ types: [type], uris: [uri], suites: [suite], components, enabled: true, file, line: i + 1 });
  });
  return out;
}

/**
 * Parse deb822-style sources: stanzas separated by blank lines, `Field: value` with
 * continuation lines starting with whitespace, `#` comment lines anywhere. Field names are
 * case-insensitive. A stanza without Types, URIs or Suites is skipped.
 */
export function parseDeb822Sources(text: string, file: string): AptSourceEntry[] {
  const out: AptSourceEntry[] = [];
  let fields = new Map<string, string>();
  let current: string | undefined;
  let start = 0;
  const flush = (): void => {
    const types = words(fields.get('types') ?? '');
    const uris = words(fields.get('uris') ?? '');
    const suites = words(fields.get('suites') ?? '');
    if (types.length > 0 && uris.length > 0 && suites.length > 0) {
      const enabled = !/^(no|false|0)$/i.test((fields.get('enabled') ?? 'yes').trim());
      out.push({ types, uris, suites, components: words(fields.get('components') ?? ''), enabled, file, line: start });
    }
    fields = new Map();
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) return;
    if (line.trim() === '') {
      if (fields.size > 0) flush();
      return;
    }
    if (/^\s/.test(line)) {
      if (current !== undefined) fields.set(current, `${fields.get(current)} ${line.trim()}`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return;
    if (fields.size === 0) start = i + 1;
    current = line.slice(0, colon).trim().toLowerCase();
    fields.set(current, line.slice(colon + 1).trim());
  });
  if (fields.size > 0) flush();
  return out;
}

/** A suite of the security archive (`bookworm-security`, old-style `buster/updates`). */
function isSecuritySuite(suite: string): boolean {
  return /-security$/.test(suite) || /\/updates$/.test(suite);
}

/** A plain release name (`bookworm`, `stable`, `sid`), not `-updates`/`-backports`/`-security`. */
function isPlainSuite(suite: string): boolean {
  return /^[A-Za-z0-9.]+$/.test(suite);
}

/** Transports mmdebstrap and apt can use without extra packages. */
function isUsableUri(uri: string): boolean {
  return /^(https?|file):\/\//.test(uri);
}

/**
 * The base mirror among parsed entries, or undefined. Considered: enabled `deb` entries with
 * an http(s) or file URI that are not the security archive (its suites end in `-security` or
 * `/updates`, or its path ends in `-security`). An entry listing a plain release name wins
 * over one that lists only `-updates`/`-backports` suites; otherwise the first in apt's order.
 */
export function pickBaseMirror(entries: readonly AptSourceEntry[]): string | undefined {
  let fallback: string | undefined;
  for (const e of entries) {
    if (!e.enabled || !e.types.includes('deb')) continue;
    const suites = e.suites.filter((s) => !isSecuritySuite(s));
    if (suites.length === 0) continue;
    for (const uri of e.uris) {
      if (!isUsableUri(uri) || /-security\/?$/.test(uri)) continue;
      if (suites.some(isPlainSuite)) return normalizeMirror(uri);
      fallback ??= normalizeMirror(uri);
    }
  }
  return fallback;
}

/** A mirror URL without surrounding whitespace and trailing slashes (the form that is hashed and written). */
export function normalizeMirror(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** First 8 hex chars of SHA-256 over the normalized mirror URL: names per-mirror cache files. */
export function mirrorKey(mirror: string): string {
  return createHash('sha256').update(normalizeMirror(mirror)).digest('hex').slice(0, 8);
}

/** The `ID=` of an os-release text (quotes removed), or undefined. */
export function osReleaseId(text: string): string | undefined {
  const m = /^ID=(.*)$/m.exec(text);
  return m ? m[1]!.trim().replace(/^["']|["']$/g, '') : undefined;
}

/**
 * Read the host's apt sources in apt's order (sources.list, then sources.list.d entries
 * sorted by name, only `*.list` and `*.sources`) and /etc/os-release. Unreadable files are
 * skipped. `etc` is the directory to read from (default `/etc`; tests pass a fixture dir).
 */
export function readHostAptSources(etc = '/etc'): HostAptSources {
  const files: AptSourcesFile[] = [];
  const tryRead = (path: string): void => {
    try {
      files.push({ path, text: readFileSync(path, 'utf8') });
    } catch {
      /* missing or unreadable: apt would skip it as well */
    }
  };
  tryRead(join(etc, 'apt', 'sources.list'));
  let names: string[] = [];
  try {
    names = readdirSync(join(etc, 'apt', 'sources.list.d')).sort();
  } catch {
    /* no sources.list.d */
  }
  for (const name of names) {
    if (name.endsWith('.list') || name.endsWith('.sources')) tryRead(join(etc, 'apt', 'sources.list.d', name));
  }
  let osRelease: string | undefined;
  try {
    osRelease = readFileSync(join(etc, 'os-release'), 'utf8');
  } catch {
    /* unknown host system */
  }
  return { files, osRelease };
}

/** Parse every file by its format (`.sources` -> deb822, anything else one-line). */
export function parseAptSources(files: readonly AptSourcesFile[]): AptSourceEntry[] {
  return files.flatMap((f) => (f.path.endsWith('.sources') ? parseDeb822Sources(f.text, f.path) : parseOneLineSources(f.text, f.path)));
}

const SETTING_HINT =
  'Set the `debian-mirror` setting in ~/.config/vagga/settings.yaml (or in VAGGA_SETTINGS), e.g.:\n' +
  '    debian-mirror: http://.../debian';

/**
 * The mirror URL to use (normalized, no trailing slash). The `debian-mirror` setting wins;
 * otherwise the host's apt sources, but only on a Debian host (os-release `ID=debian`),
 * since Ubuntu or derivative archives cannot serve a Debian suite.
 * Throws VaggaError (exit 121) naming the setting when nothing usable is found or the
 * setting is not an http(s):// or file:// URL.
 */
export function resolveDebianMirror(settingMirror: string | undefined, host: HostAptSources): string {
  if (settingMirror !== undefined && settingMirror.trim() !== '') {
    const mirror = normalizeMirror(settingMirror);
    if (!isUsableUri(mirror)) {
      throw new VaggaError(`The \`debian-mirror\` setting must be an http://, https:// or file:// URL, got ${JSON.stringify(settingMirror)}`, {
        code: 'build.bad-mirror',
        hint: SETTING_HINT,
      });
    }
    return mirror;
  }
  const id = host.osRelease !== undefined ? osReleaseId(host.osRelease) : undefined;
  if (id !== undefined && id !== 'debian') {
    throw new VaggaError(`No Debian mirror configured, and the host's apt sources are not Debian's (the host system is "${id}")`, {
      code: 'build.no-mirror',
      hint: SETTING_HINT,
    });
  }
  const mirror = pickBaseMirror(parseAptSources(host.files));
  if (mirror === undefined) {
    const looked = host.files.length > 0 ? host.files.map((f) => f.path).join(', ') : 'no apt sources files found';
    throw new VaggaError(`No Debian mirror configured, and the host's apt sources have no usable \`deb\` entry (looked at: ${looked})`, {
      code: 'build.no-mirror',
      hint: SETTING_HINT,
    });
  }
  return mirror;
}
