/**
 * Hard-linking identical files across built versions (`vagga _hardlink`, inventory §1.8,
 * §4). Runs inside a user namespace with the "max" map (src/storage/index-sandbox.ts), as
 * namespace root, over version dirs that have an index (./index-format.ts).
 *
 * Candidates come from the indexes (same SHA-256, size and permission bits); before linking,
 * each pair is re-checked on disk, so a stale index never links different files: both are
 * regular files of the indexed size and mode, on the same device, with the same owner as seen
 * now (the max map is one-to-one with host ids, so containers built with different uid maps
 * are compared by their real owners), and byte-for-byte equal. The duplicate is replaced
 * like `ln -f`: link(2) to a temporary name beside it, then rename(2) over it, so the path
 * always exists. Versions are processed in the order given; the first copy seen is kept.
 */
import { closeSync, linkSync, lstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { INDEX_FILE, parseIndex, unescapeBytes } from './index-format.js';

/** Outcome of hardlinkVersions. */
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
 * Link identical files across `versionDirs` (each holds `root/` and `index.txt`; dirs
 * without a readable index are skipped). Never throws for one file: failures are collected.
 */
export async function hardlinkVersions(versionDirs: readonly string[]): Promise<HardlinkResult> {
  const result: HardlinkResult = { count: 0, bytes: 0, failures: [] };
  const kept = new Map<string, Kept[]>();
  for (const dir of versionDirs) {
    let entries;
    try {
      entries = parseIndex(readFileSync(join(dir, INDEX_FILE), 'utf8'));
    } catch {
      continue;
    }
    const root = Buffer.from(join(dir, 'root'));
    for (const e of entries) {
      if (e.type !== 'f') continue;
      const path = Buffer.concat([root, unescapeBytes(e.path)]);
      try {
        const st = lstatSync(path);
        if (!st.isFile() || st.size !== e.size || (st.mode & 0o7777) !== e.mode) continue; // the index is stale here
        const key = `${e.sha256} ${e.size} ${e.mode}`;
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
        const tmp = Buffer.concat([path, Buffer.from('.vagga-hardlink.tmp')]);
        try { unlinkSync(tmp); } catch { /* usually absent */ }
        linkSync(source.path, tmp);
        try {
          renameSync(tmp, path);
        } catch (err) {
          try { unlinkSync(tmp); } catch { /* already gone */ }
          throw err;
        }
        result.count++;
        result.bytes += st.size;
      } catch (err) {
        result.failures.push(`${path.toString()}: ${(err as Error).message}`);
      }
    }
  }
  return result;
}
