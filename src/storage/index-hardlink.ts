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
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
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

/** True when the two files have the same bytes (both are read to the end or the first difference). */
export async function sameContent(a: string | Buffer, b: string | Buffer): Promise<boolean> {
  const fa = await open(a, 'r');
  const fb = await open(b, 'r');
  try {
    const ba = Buffer.allocUnsafe(1 << 16);
    const bb = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, null), fb.read(bb, 0, bb.length, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await fa.close();
    await fb.close();
  }
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
        const st = await lstat(path);
        if (!st.isFile() || st.size !== e.size || (st.mode & 0o7777) !== e.mode) continue; // the index is stale here
        const key = `${e.sha256} ${e.size} ${e.mode}`;
        const list = kept.get(key) ?? [];
        if (!kept.has(key)) kept.set(key, list);
        const same = list.filter((k) => k.dev === st.dev && k.uid === st.uid && k.gid === st.gid);
        if (same.some((k) => k.ino === st.ino)) continue; // already one file
        let source: Kept | undefined;
        for (const k of same) {
          if (await sameContent(k.path, path)) { source = k; break; }
        }
        if (!source) {
          list.push({ path, dev: st.dev, ino: st.ino, uid: st.uid, gid: st.gid });
          continue;
        }
        const tmp = Buffer.concat([path, Buffer.from('.vagga-hardlink.tmp')]);
        await unlink(tmp).catch(() => {});
        await link(source.path, tmp);
        try {
          await rename(tmp, path);
        } catch (err) {
          await unlink(tmp).catch(() => {});
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
