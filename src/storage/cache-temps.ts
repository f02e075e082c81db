/**
 * Temporary files a killed vagga leaves in the cache dir (issue 8 part 3): the writers name
 * them after their own (host) pid and rename them into place when complete:
 *   - `<name>.<pid>.tmp.tar`: a bootstrap tarball mmdebstrap is writing
 *     (src/steps/debian/mmdebstrap-cache.ts);
 *   - `<file>.part.<pid>`: a download (src/storage/downloads.ts);
 *   - `<name>.<pid>.tmp`: small files written then renamed (apk.static, cache pointers,
 *     code and project caches).
 * The next build and `vagga _clean --tmp` remove them, but never one a live process may
 * still be writing: the pid in the name must be gone and, for names whose final file has a
 * lock (`<final>.lock`, src/storage/lock.ts), that lock must be free.
 */
import { readdirSync, rmSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { lockHeld } from './lock.js';
import { pidAlive } from './pid-alive.js';

/** A temp name: its writer's pid and the final path it becomes. */
export interface CacheTemp {
  pid: number;
  /** The final file name in the same directory. */
  final: string;
}

/**
 * Parse a cache temp file name (pure): `a.tar` from `a.123.tmp.tar`, `f` from `f.part.123`,
 * `p` from `p.123.tmp`; undefined for any other name.
 */
export function parseCacheTemp(name: string): CacheTemp | undefined {
  let m = /^(.+)\.(\d+)\.tmp\.tar$/.exec(name);
  if (m) return { pid: Number(m[2]), final: `${m[1]}.tar` };
  m = /^(.+)\.part\.(\d+)$/.exec(name);
  if (m) return { pid: Number(m[2]), final: m[1]! };
  m = /^(.+)\.(\d+)\.tmp$/.exec(name);
  if (m) return { pid: Number(m[2]), final: m[1]! };
  return undefined;
}

/** Injectable collaborators of findStaleCacheTemps (tests). */
export interface TempChecks {
  isAlive(pid: number): boolean;
  isLocked(lockPath: string): boolean;
}

const realChecks: TempChecks = { isAlive: pidAlive, isLocked: lockHeld };

/**
 * Temp files under `cacheDir` (its top level and two levels of subdirectories, where the
 * writers above put them) whose writer is gone and whose lock is free. Never throws.
 */
export function findStaleCacheTemps(cacheDir: string, checks: TempChecks = realChecks): string[] {
  const out: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let listed: Dirent[] = [];
    try {
      listed = readdirSync(dir, { withFileTypes: true });
    } catch {
      // Missing or unreadable: nothing of ours there.
    }
    for (const entry of listed) {
      const name = entry.name;
      const path = join(dir, name);
      const temp = parseCacheTemp(name);
      if (temp !== undefined) {
        if (checks.isAlive(temp.pid)) continue;
        if (checks.isLocked(join(dir, `${temp.final}.lock`))) continue;
        out.push(path);
        continue;
      }
      if (depth < 2 && entry.isDirectory()) visit(path, depth + 1);
    }
  };
  visit(cacheDir, 0);
  return out;
}

/**
 * Remove the stale temp files of `cacheDir` (findStaleCacheTemps), reporting each path to
 * `onRemove` first; `dryRun` only reports. Returns the paths. Removal errors are ignored
 * (the next run tries again).
 */
export function removeStaleCacheTemps(cacheDir: string, onRemove: (path: string) => void = () => {}, dryRun = false): string[] {
  const found = findStaleCacheTemps(cacheDir);
  for (const path of found) {
    onRemove(path);
    if (dryRun) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Left for the next run.
    }
  }
  return found;
}
