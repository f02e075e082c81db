/**
 * Names of cache directories a vagga.yaml may choose (`!CacheDirs {/path: NAME}`,
 * `!CacheDir NAME` volumes): a relative path below the cache dir. `..` components are
 * refused (they would bind any host directory writable into the container), and so are
 * the entries vagga itself owns: those filled on the host and trusted by every other build
 * of the user (bootstrap tarballs, downloads, git mirrors, apk.static, pulled images) and its bookkeeping.
 */

import { relative } from 'node:path';
import { resolveLinksUnder } from './resolve-links.js';

/**
 * Top-level cache entries that vagga fills on the host, in a step's `prepare`, and that
 * other builds use without checking them again. The builder sandbox sees them read-only
 * (src/mounts/build-plan.ts).
 */
export const TRUSTED_CACHE_ENTRIES = ['alpine', 'debian', 'downloads', 'git', 'oci', 'ubuntu'] as const;

/** The per-step build cache's layer store below the cache dir (src/builder/layer-store.ts). */
export const LAYER_STORE_ENTRY = '.layers';

/** Top-level entries that are vagga's own bookkeeping (build scratch dirs, the unshare probe verdict, the layer store). */
const BOOKKEEPING_ENTRIES = ['.builds', 'unshare-maps.json', LAYER_STORE_ENTRY];

/**
 * Why `name` may not be a cache name chosen by a vagga.yaml (a sentence), or undefined.
 * Empty and absolute names are left to the caller (Vagga reports them when mounting).
 */
export function cacheNameProblem(name: string): string | undefined {
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) return `Cache name ${JSON.stringify(name)} may not contain ".."`;
  const first = parts[0];
  if (first === undefined && name !== '' && !name.startsWith('/')) {
    return `Cache name ${JSON.stringify(name)} names the whole cache dir; give a subdirectory name`;
  }
  if (first !== undefined && (first.startsWith('code-cache-') || first.endsWith('.lock'))) {
    return `Cache name ${JSON.stringify(name)} is reserved: vagga keeps its own files named like it`;
  }
  if (first !== undefined && ((TRUSTED_CACHE_ENTRIES as readonly string[]).includes(first) || BOOKKEEPING_ENTRIES.includes(first))) {
    return `Cache name ${JSON.stringify(name)} is reserved: vagga keeps its own ${JSON.stringify(first)} there`;
  }
  return undefined;
}

/** cacheNameProblem, plus empty and absolute names refused (where no Vagga wording applies). */
export function relativeCacheNameProblem(name: string): string | undefined {
  return name === '' || name.startsWith('/') ? `Cache name ${JSON.stringify(name)} must be a relative path` : cacheNameProblem(name);
}

/**
 * The host directory of cache name `name` below `cacheDir` (absolute), with symlinks in the
 * cache followed as if `cacheDir` were `/` (resolveLinksUnder): a link a build planted
 * (`foo -> /home/me`, `foo -> debian`) can neither leave the cache nor reach an entry other
 * builds trust. Returns the path, or a sentence saying why the name (or where it leads) is
 * refused. Reads the file system (lstat/readlink); creates nothing.
 */
export function cacheEntryPath(cacheDir: string, name: string): { path: string } | { problem: string } {
  const problem = relativeCacheNameProblem(name);
  if (problem) return { problem };
  const resolved = resolveLinksUnder(cacheDir, `/${name}`);
  if (resolved === undefined) return { problem: `Cache name ${JSON.stringify(name)}: too many levels of symbolic links` };
  const rel = relative(cacheDir, resolved);
  const leadsTo = rel === '' ? `Cache name ${JSON.stringify(name)} leads to the whole cache dir through a symlink` : cacheNameProblem(rel);
  if (leadsTo) return { problem: rel === name ? leadsTo : `${leadsTo} (${JSON.stringify(name)} leads there through a symlink)` };
  return { path: resolved };
}
