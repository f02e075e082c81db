/**
 * Walking a root filesystem into index entries (format: ./index-format.ts). Must run where
 * every file of the root is readable: inside the container's user namespace as its root
 * (the builder at the end of a build, or `vagga __index__` for `_verify`), since built files
 * belong to subordinate uids the host user cannot read. Owners are recorded as the running
 * process sees them (lstat(2)), i.e. in that namespace's view.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, lstatSync, lutimesSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { escapeBytes, type IndexEntry, type IndexType } from './index-format.js';

/** Read buffer shared by sha256File calls (the walk is synchronous, one file at a time). */
const chunk = Buffer.allocUnsafe(1 << 20);

/**
 * SHA-256 (hex) of the file at `path` (raw bytes), read in 1 MiB chunks. Synchronous: the
 * walk runs in a process of its own, and going through libuv's thread pool for every
 * open/read/close made indexing ~15x slower than sha256sum(1). Throws fs errors.
 */
export function sha256File(path: string | Buffer): string {
  const hash = createHash('sha256');
  const fd = openNoAtime(path);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** O_NOATIME where the platform has it (Linux), else 0. */
const O_NOATIME: number = (fsConstants as Record<string, number>).O_NOATIME ?? 0;

/**
 * Open `path` for reading without moving its atime (O_NOATIME: reading a root must not
 * change what the build left, e.g. `!Copy`'s atime of 1 or a `preserve-times` source
 * atime, which relatime would replace by the time of the read). O_NOATIME needs the file's
 * owner or CAP_FOWNER, which root of the container's user namespace has for the files of
 * the root; where refused (EPERM) the file is opened plainly. Throws other fs errors.
 */
export function openNoAtime(path: string | Buffer): number {
  if (O_NOATIME !== 0) {
    try {
      return openSync(path, fsConstants.O_RDONLY | O_NOATIME);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }
  return openSync(path, 'r');
}

/**
 * Put back the atime directory `path` had before it was listed (`before`: its lstat then):
 * listing moves it under relatime, and Node cannot open a directory with O_NOATIME for
 * readdir. Only when it moved; the mtime is set to what it was (both with microsecond
 * precision: libuv's utimes). Best effort: a directory we may not change keeps the new atime.
 */
export function restoreDirAtime(path: string | Buffer, before: Stats): void {
  try {
    const after = lstatSync(path);
    if (after.atimeMs === before.atimeMs) return;
    // Seconds as libuv takes them, half a microsecond up so its truncation to whole
    // microseconds lands on the original value.
    const secs = (ms: number) => ms / 1000 + 5e-7;
    lutimesSync(path, secs(before.atimeMs), secs(after.mtimeMs));
  } catch { /* not ours to change */ }
}

function typeOf(st: Stats): IndexType {
  if (st.isSymbolicLink()) return 'l';
  if (st.isDirectory()) return 'd';
  if (st.isFile()) return 'f';
  if (st.isCharacterDevice()) return 'c';
  if (st.isBlockDevice()) return 'b';
  if (st.isFIFO()) return 'p';
  return 's';
}

/** Major and minor of a Linux dev_t (glibc's gnu_dev_major/minor encoding). */
export function deviceNumbers(rdev: number): string {
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
  return `${major},${minor}`;
}

/**
 * A file's SHA-256 known without reading it (the build cache's per-layer hashes), or
 * undefined to read it. `rel` is the raw path inside the root, `st` its lstat.
 */
export type KnownHash = (rel: Buffer, st: Stats) => string | undefined;

/** The entry for one path; `rel` is the raw path inside the root (`/` for the root). */
function entryFor(full: Buffer, rel: Buffer, st: Stats, known?: KnownHash): IndexEntry {
  const e: IndexEntry = { type: typeOf(st), path: escapeBytes(rel), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (e.type === 'f') {
    e.size = st.size;
    e.sha256 = known?.(rel, st) ?? sha256File(full);
  } else if (e.type === 'l') {
    e.target = escapeBytes(readlinkSync(full, { encoding: 'buffer' }));
  } else if (e.type === 'c' || e.type === 'b') {
    e.device = deviceNumbers(st.rdev);
  }
  return e;
}

/**
 * Every path under `root` (the root itself as `/`), not following symlinks and not
 * crossing into other file systems' special handling (mount points are indexed as the
 * directories they are). Entries come in the walk's order; formatIndex sorts them.
 * `known` spares reading files whose hash is known (the build cache's layers).
 * Throws the fs error of the first path that cannot be read. Synchronous I/O (see
 * sha256File); async for callers' convenience.
 */
export async function indexTree(root: string, known?: KnownHash): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  const base = Buffer.from(root.endsWith('/') && root !== '/' ? root.slice(0, -1) : root);
  const slash = Buffer.from('/');
  const walk = (rel: Buffer) => {
    const full = rel.length === 1 ? base : Buffer.concat([base, rel]);
    const st = lstatSync(full);
    out.push(entryFor(full, rel, st, known));
    if (!st.isDirectory()) return;
    const names = readdirSync(full, { encoding: 'buffer' });
    restoreDirAtime(full, st);
    names.sort(Buffer.compare);
    for (const name of names) {
      walk(rel.length === 1 ? Buffer.concat([slash, name]) : Buffer.concat([rel, slash, name]));
    }
  };
  walk(slash);
  return out;
}
