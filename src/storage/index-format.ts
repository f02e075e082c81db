/**
 * The index of a built root (`.roots/<name>.<8hex>/index.txt`): one line per path of the
 * root filesystem with its type, permission bits, owner (as the container's user namespace
 * sees it), and for regular files the size and SHA-256 of the content, for symlinks the
 * target. `vagga _verify` compares a root against it and `vagga _hardlink` uses it to find
 * identical files (vagga-inventory.md §1.8, §4).
 *
 * Vagga writes `index.ds1` (dir-signature v1 with BLAKE3); this port does not reproduce that
 * format. Ours, version 1, is plain text:
 *
 *   # vagga-index v1
 *   <type> <path> <mode> <uid> <gid>[ <extra>...]
 *
 * - type: `d` directory, `f` regular file, `l` symlink, `c`/`b` character/block device,
 *   `p` fifo, `s` socket;
 * - path: absolute inside the root (`/` is the root itself), escaped (see escapeBytes);
 * - mode: the permission bits including setuid/setgid/sticky, 4 octal digits;
 * - uid, gid: decimal;
 * - extra: files `<size> <sha256 hex>`, symlinks `<escaped target>`, devices `<major>,<minor>`.
 *
 * Lines are sorted by the path's bytes. Paths are bytes on Linux: every byte outside
 * printable ASCII, plus space and backslash, is written `\xHH`, so a line never holds a
 * space or newline inside a field and any name round-trips exactly.
 */

/** Kinds of entries, as written in the first column. */
export type IndexType = 'd' | 'f' | 'l' | 'c' | 'b' | 'p' | 's';

/** One path of a root. `path` is the escaped form (see escapeBytes), starting with `/`. */
export interface IndexEntry {
  type: IndexType;
  path: string;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files: size in bytes. */
  size?: number;
  /** Regular files: SHA-256 of the content, 64 lowercase hex digits. */
  sha256?: string;
  /** Symlinks: the target, escaped like paths. */
  target?: string;
  /** Devices: `<major>,<minor>`. */
  device?: string;
}

/** First line of every index file. */
export const INDEX_HEADER = '# vagga-index v1';

/** File name of the index next to a version's `root` dir. */
export const INDEX_FILE = 'index.txt';

const TYPES = new Set<string>(['d', 'f', 'l', 'c', 'b', 'p', 's']);

/**
 * Escape raw name bytes: printable ASCII other than space and backslash stays, every other
 * byte becomes `\xHH` (lowercase hex). Inverse: unescapeBytes.
 */
export function escapeBytes(bytes: Uint8Array): string {
  // Fast path: nothing to escape (almost every name), one decode instead of a char loop.
  let plain = true;
  for (const b of bytes) {
    if (!(b > 0x20 && b < 0x7f && b !== 0x5c)) { plain = false; break; }
  }
  if (plain) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let out = '';
  for (const b of bytes) {
    if (b > 0x20 && b < 0x7f && b !== 0x5c) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The bytes an escaped name stands for. Throws Error on a malformed escape. */
export function unescapeBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const hex = text.slice(i + 2, i + 4);
      if (text[i + 1] !== 'x' || !/^[0-9a-f]{2}$/.test(hex)) throw new Error(`bad escape in ${JSON.stringify(text)}`);
      out.push(parseInt(hex, 16));
      i += 3;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

/** Order of entries in a file: by the raw bytes of the path. */
export function compareEntryPaths(a: IndexEntry, b: IndexEntry): number {
  return Buffer.compare(unescapeBytes(a.path), unescapeBytes(b.path));
}

/** One line (without newline) for `e`. */
export function formatEntry(e: IndexEntry): string {
  const head = `${e.type} ${e.path} ${e.mode.toString(8).padStart(4, '0')} ${e.uid} ${e.gid}`;
  switch (e.type) {
    case 'f': return `${head} ${e.size ?? 0} ${e.sha256 ?? ''}`;
    case 'l': return `${head} ${e.target ?? ''}`;
    case 'c':
    case 'b': return `${head} ${e.device ?? '0,0'}`;
    default: return head;
  }
}

/** The whole file for `entries` (sorted here; the input is not modified). */
export function formatIndex(entries: readonly IndexEntry[]): string {
  // Each path is unescaped once (not per comparison): the sort key is its raw bytes.
  const keyed = entries.map((e) => ({ e, key: unescapeBytes(e.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const sorted = keyed.map((k) => k.e);
  return `${INDEX_HEADER}\n${sorted.map((e) => `${formatEntry(e)}\n`).join('')}`;
}

/**
 * Parse an index file written by formatIndex. Throws Error naming the line for a missing
 * header, an unknown type, a wrong number of fields or malformed numbers.
 */
export function parseIndex(text: string): IndexEntry[] {
  const lines = text.split('\n');
  if (lines[0] !== INDEX_HEADER) throw new Error(`not a vagga index (first line is not "${INDEX_HEADER}")`);
  const out: IndexEntry[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const bad = (why: string) => new Error(`index line ${n + 1}: ${why}: ${JSON.stringify(line)}`);
    const f = line.split(' ');
    const [type, path, mode, uid, gid] = f;
    if (!type || !TYPES.has(type)) throw bad('unknown type');
    if (!path?.startsWith('/')) throw bad('path must start with /');
    if (!/^[0-7]{4}$/.test(mode ?? '') || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) throw bad('bad mode, uid or gid');
    const e: IndexEntry = { type: type as IndexType, path, mode: parseInt(mode!, 8), uid: Number(uid), gid: Number(gid) };
    const want = type === 'f' ? 7 : type === 'l' || type === 'c' || type === 'b' ? 6 : 5;
    if (f.length !== want) throw bad(`expected ${want} fields`);
    if (type === 'f') {
      if (!/^\d+$/.test(f[5]!) || !/^[0-9a-f]{64}$/.test(f[6]!)) throw bad('bad size or sha256');
      e.size = Number(f[5]);
      e.sha256 = f[6];
    } else if (type === 'l') {
      e.target = f[5];
    } else if (type === 'c' || type === 'b') {
      if (!/^\d+,\d+$/.test(f[5]!)) throw bad('bad device number');
      e.device = f[5];
    }
    out.push(e);
  }
  return out;
}

/** Result of comparing a root with its index; each list holds escaped paths, sorted. */
export interface IndexDiff {
  /** In the index, not in the root. */
  missing: string[];
  /** In the root, not in the index. */
  extra: string[];
  /** In both, but type, mode, owner, size, content, target or device differ. */
  corrupted: string[];
}

/** True when nothing differs. */
export function diffIsEmpty(d: IndexDiff): boolean {
  return d.missing.length === 0 && d.extra.length === 0 && d.corrupted.length === 0;
}

/** Compare the `expected` index (written at build time) with `actual` (the root now). Pure. */
export function compareIndexes(expected: readonly IndexEntry[], actual: readonly IndexEntry[]): IndexDiff {
  const have = new Map(actual.map((e) => [e.path, e]));
  const want = new Map(expected.map((e) => [e.path, e]));
  const diff: IndexDiff = { missing: [], extra: [], corrupted: [] };
  for (const e of [...expected].sort(compareEntryPaths)) {
    const a = have.get(e.path);
    if (!a) diff.missing.push(e.path);
    else if (formatEntry(a) !== formatEntry(e)) diff.corrupted.push(e.path);
  }
  for (const a of [...actual].sort(compareEntryPaths)) if (!want.has(a.path)) diff.extra.push(a.path);
  return diff;
}

/**
 * The `_verify` report after the `Checking container` line (inventory §4): `Ok`, or
 * `Container is corrupted` followed by the non-empty sections `Missing paths:`,
 * `Extra paths:`, `Corrupted paths:`, each path on its own line indented by a tab.
 */
export function formatVerifyReport(diff: IndexDiff): string {
  if (diffIsEmpty(diff)) return 'Ok\n';
  let out = 'Container is corrupted\n';
  const section = (title: string, paths: string[]) => {
    if (paths.length) out += `${title}\n${paths.map((p) => `\t${p}\n`).join('')}`;
  };
  section('Missing paths:', diff.missing);
  section('Extra paths:', diff.extra);
  section('Corrupted paths:', diff.corrupted);
  return out;
}

/**
 * A byte count the way Vagga prints it in `Found and linked N (SIZE) identical files`
 * (inventory §4): decimal units (1KB = 1000B); plain `<n>B` below 1000; with a prefix one
 * decimal below 10 (`1.5KB`), none from 10 on (`12MB`).
 */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)}B`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes / 1000;
  let i = 0;
  for (;;) {
    // Round first, so 9.96 is printed as 10 and 999.6 moves to the next unit.
    const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
    if (shown >= 1000 && i < units.length - 1) {
      value /= 1000;
      i++;
      continue;
    }
    return shown < 10 ? `${shown.toFixed(1)}${units[i]}` : `${shown}${units[i]}`;
  }
}
