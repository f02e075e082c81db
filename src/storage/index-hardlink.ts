/**
 * Hard-linking identical files across built versions (`vagga _hardlink`, `_hardlink --global`
 * and the `hard-link-identical-files` setting after a build; inventory §1.8, §1.9, §4). Runs
 * inside a user namespace with the "max" map (src/storage/index-sandbox.ts), as namespace
 * root, over version dirs that have an index (./index-format.ts).
 *
 * Like Vagga, only files at the same path of different versions are linked: two identical
 * files of one container (its empty /etc/hosts and /etc/resolv.conf) never are. Candidates
 * come from the indexes (same path, SHA-256, size and permission bits); before linking,
 * each pair is re-checked on disk, so a stale index never links different files: both are
 * regular files of the indexed size and mode, on the same device, with the same owner as seen
 * now (the max map is one-to-one with host ids, so containers built with different uid maps
 * are compared by their real owners), and byte-for-byte equal. The duplicate is replaced
 * like `ln -f`: link(2) to a temporary name beside it, then rename(2) over it, so the path
 * always exists.
 *
 * Paths are resolved before anything is touched: a file is used only when its parent
 * directory's real path is the path the index names (no symlink and no `..` on the way), so
 * a root whose directories were replaced by symlinks (a hostile build) cannot make the
 * helper read or link anything outside the version dirs it was given.
 */
import { closeSync, linkSync, lstatSync, openSync, readFileSync, readSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX_FILE, parseIndex, unescapeBytes, type IndexEntry } from './index-format.js';

/** Outcome of hardlinkVersions and linkNewVersion. */
export interface HardlinkResult {
  /** Files replaced by a hard link. */
  count: number;
  /** Sum of their sizes in bytes (the space freed). */
  bytes: number;
  /** Paths (host view) that could not be linked, with the reason. */
  failures: string[];
}

interface Kept {
  path: Buffer;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
}

const bufA = Buffer.allocUnsafe(1 << 16);
const bufB = Buffer.allocUnsafe(1 << 16);

/**
 * True when the two files have the same bytes (read up to the first difference).
 * Synchronous, like the index walk (src/storage/index-walk.ts): the helper process does
 * nothing else. Throws fs errors.
 */
export function sameContent(a: string | Buffer, b: string | Buffer): boolean {
  const fa = openSync(a, 'r');
  try {
    const fb = openSync(b, 'r');
    try {
      for (;;) {
        const ra = readFullSync(fa, bufA);
        const rb = readFullSync(fb, bufB);
        if (ra !== rb) return false;
        if (ra === 0) return true;
        if (!bufA.subarray(0, ra).equals(bufB.subarray(0, rb))) return false;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

/** Fill `buf` from `fd` as far as the file allows; returns the bytes read (0 at the end). */
function readFullSync(fd: number, buf: Buffer): number {
  let total = 0;
  while (total < buf.length) {
    const n = readSync(fd, buf, total, buf.length - total, null);
    if (n === 0) break;
    total += n;
  }
  return total;
}

/**
 * A checker telling whether a file path (raw bytes, absolute) is reached without symlinks or
 * `..`: the real path of its parent directory equals the parent as written. Results are
 * cached per directory (one realpath(3) per directory of a root).
 */
export function pathChecker(): (path: Buffer) => boolean {
  const cache = new Map<string, boolean>();
  return (path) => {
    const parent = path.subarray(0, Math.max(path.lastIndexOf(0x2f), 1));
    const key = parent.toString('latin1');
    let ok = cache.get(key);
    if (ok === undefined) {
      try {
        ok = realpathSync.native(parent, { encoding: 'buffer' }).equals(parent);
      } catch {
        ok = false;
      }
      cache.set(key, ok);
    }
    return ok;
  };
}

/** Replace `path` by a hard link to `source` (link to a temporary name, rename over). */
function replaceWithLink(source: Buffer, path: Buffer): void {
  const tmp = Buffer.concat([path, Buffer.from('.vagga-hardlink.tmp')]);
  try { unlinkSync(tmp); } catch { /* usually absent */ }
  linkSync(source, tmp);
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
}

/** The entries of `dir`'s index, or undefined when it has none (or it cannot be read). */
function readIndex(dir: string): IndexEntry[] | undefined {
  try {
    return parseIndex(readFileSync(join(dir, INDEX_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Link identical files at the same path across `versionDirs` (each holds `root/` and
 * `index.txt`, real paths; dirs without a readable index are skipped). Versions are
 * processed in the order given (Vagga: project, container name, then oldest first); the
 * first copy seen is kept. A file already sharing its inode with the kept copy is not
 * counted; several paths sharing one inode count once. Never throws for one file:
 * failures are collected.
 */
export async function hardlinkVersions(versionDirs: readonly string[]): Promise<HardlinkResult> {
  const result: HardlinkResult = { count: 0, bytes: 0, failures: [] };
  const kept = new Map<string, Kept[]>();
  const linked = new Set<string>();
  const confined = pathChecker();
  for (const dir of versionDirs) {
    const entries = readIndex(dir);
    if (!entries) continue;
    const root = Buffer.from(join(dir, 'root'));
    for (const e of entries) {
      if (e.type !== 'f') continue;
      const path = Buffer.concat([root, unescapeBytes(e.path)]);
      try {
        if (!confined(path)) continue;
        const st = lstatSync(path);
        if (!st.isFile() || st.size !== e.size || (st.mode & 0o7777) !== e.mode) continue; // the index is stale here
        const key = `${e.path} ${e.sha256} ${e.size} ${e.mode}`;
        const list = kept.get(key) ?? [];
        if (!kept.has(key)) kept.set(key, list);
        const same = list.filter((k) => k.dev === st.dev && k.uid === st.uid && k.gid === st.gid);
        if (same.some((k) => k.ino === st.ino)) continue; // already one file
        let source: Kept | undefined;
        for (const k of same) {
          if (sameContent(k.path, path)) { source = k; break; }
        }
        if (!source) {
          list.push({ path, dev: st.dev, ino: st.ino, uid: st.uid, gid: st.gid });
          continue;
        }
        replaceWithLink(source.path, path);
        const inode = `${st.dev}:${st.ino}`;
        if (!linked.has(inode)) {
          linked.add(inode);
          result.count++;
          result.bytes += st.size;
        }
      } catch (err) {
        result.failures.push(`${path.toString()}: ${(err as Error).message}`);
      }
    }
  }
  return result;
}

/**
 * After a build (`hard-link-identical-files`): replace each file of the new version in
 * `newDir` (its `.tmp.<name>` dir, with `root/` and `index.txt`) by a hard link to the file at
 * the same path of the first of `otherDirs` (in the order given: Vagga prefers this project,
 * this container, the newest versions) that holds an identical one: same index entry, same
 * mode and owner on disk, same bytes. Only the new version's files are replaced. Never
 * throws for one file: failures are collected.
 */
export async function linkNewVersion(newDir: string, otherDirs: readonly string[]): Promise<HardlinkResult> {
  const result: HardlinkResult = { count: 0, bytes: 0, failures: [] };
  const entries = readIndex(newDir);
  if (!entries) return result;
  const others: Array<{ root: Buffer; files: Map<string, IndexEntry> }> = [];
  for (const dir of otherDirs) {
    const index = readIndex(dir);
    if (!index) continue;
    others.push({ root: Buffer.from(join(dir, 'root')), files: new Map(index.filter((e) => e.type === 'f').map((e) => [e.path, e])) });
  }
  if (others.length === 0) return result;
  const confined = pathChecker();
  const root = Buffer.from(join(newDir, 'root'));
  for (const e of entries) {
    if (e.type !== 'f') continue;
    const rel = unescapeBytes(e.path);
    const path = Buffer.concat([root, rel]);
    try {
      if (!confined(path)) continue;
      const st = lstatSync(path);
      if (!st.isFile() || st.size !== e.size || (st.mode & 0o7777) !== e.mode) continue;
      for (const o of others) {
        const t = o.files.get(e.path);
        if (!t || t.sha256 !== e.sha256 || t.size !== e.size || t.mode !== e.mode) continue;
        const target = Buffer.concat([o.root, rel]);
        if (!confined(target)) continue;
        let tst;
        try {
          tst = lstatSync(target);
        } catch {
          continue; // removed meanwhile
        }
        if (!tst.isFile() || tst.mode !== st.mode || tst.uid !== st.uid || tst.gid !== st.gid || tst.dev !== st.dev) continue;
        if (tst.ino === st.ino) break;
        if (!sameContent(target, path)) continue;
        replaceWithLink(target, path);
        result.count++;
        result.bytes += st.size;
        break;
      }
    } catch (err) {
      result.failures.push(`${path.toString()}: ${(err as Error).message}`);
    }
  }
  return result;
}
