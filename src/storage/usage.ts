/**
 * Finding what a project stores (container versions, unfinished builds, transient copies,
 * persistent volumes) and the shared cache, and measuring it (disk-usage.ts); display is in
 * usage-report.ts.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { measureTrees, type Measurement, type SizeSandboxRunner } from './disk-usage.js';
import { containerLinkPath, parseVersionDirName, type ProjectLayout } from './layout.js';
import type { StorageItem } from './usage-report.js';

function dirsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((e) => {
      try {
        return lstatSync(join(dir, e)).isDirectory();
      } catch {
        return false;
      }
    }).sort();
  } catch {
    return [];
  }
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The stored directories of the project with storage `layout`, versions first (see
 * summarizeUsage), then unfinished builds (`.roots/.tmp*`), transient copies, the volumes
 * in `volumesDir` and, when it exists, the dir `cacheDir()` gives as one item (shared by projects). Nothing
 * (not even the cache) when the project stores none of the others. Paths are real paths. Reads
 * directory listings only.
 */
export function listStorage(layout: ProjectLayout, volumesDir: string, cacheDir?: () => string): StorageItem[] {
  const base = real(layout.base);
  if (!base) return [];
  const roots = join(base, '.roots');
  const items: StorageItem[] = [];
  for (const entry of dirsIn(roots)) {
    const parsed = parseVersionDirName(entry);
    if (!entry.startsWith('.') && parsed) items.push({ kind: 'version', path: join(roots, entry), container: parsed.name });
  }
  for (const entry of dirsIn(roots)) if (entry.startsWith('.tmp')) items.push({ kind: 'tmp', path: join(roots, entry) });
  const transient = join(base, '.transient');
  for (const entry of dirsIn(transient)) items.push({ kind: 'transient', path: join(transient, entry) });
  const volumes = real(volumesDir);
  if (volumes) for (const entry of dirsIn(volumes)) items.push({ kind: 'volume', path: join(volumes, entry) });
  if (items.length === 0) return items;
  const cache = cacheDir ? real(cacheDir()) : undefined;
  if (cache) items.push({ kind: 'cache', path: cache });
  return items;
}

/**
 * Measure `items` (du in a user namespace, disk-usage.ts); each item's real parent
 * directory tree is made visible. Throws like measureTrees.
 */
export function measureItems(items: readonly StorageItem[], runner?: SizeSandboxRunner): Promise<Measurement> {
  return measurePaths(items.map((i) => i.path), runner);
}

/**
 * Measure existing directories `paths` (real paths): du in a user namespace, each path's
 * parent directory made visible read-only. Resolves with the sizes of each path and the
 * total, hard links counted once. Throws like measureTrees.
 */
export async function measurePaths(paths: readonly string[], runner?: SizeSandboxRunner): Promise<Measurement> {
  const roots = new Set<string>();
  for (const p of paths) roots.add(join(p, '..'));
  // A parent inside another parent is visible through it (binding both would be harmless).
  const sorted = [...roots].sort();
  const minimal = sorted.filter((r) => !sorted.some((o) => o !== r && r.startsWith(`${o}/`)));
  return measureTrees(paths, minimal, runner);
}

/**
 * For each of `names`: the 8-hex short hash of the version `.vagga/<name>` links to
 * (`[.lnk/].roots/<name>.<8hex>/root`); names without such a link are left out. Reads links only.
 */
export function linkedShortHashes(layout: ProjectLayout, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(containerLinkPath(layout, name));
    } catch {
      continue;
    }
    const m = /(?:^|\/)\.roots\/([^/]+)\/root$/.exec(target);
    const parsed = m ? parseVersionDirName(m[1]!) : undefined;
    if (parsed && parsed.name === name) out.set(name, parsed.short);
  }
  return out;
}
