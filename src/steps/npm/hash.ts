/**
 * Version-hash contributions of `!NpmDependencies` and `!YarnDependencies` that read project
 * files (vagga-inventory.md §1.4 "hash" column, §2.1): package.json dependency maps, and the
 * yarn.lock patterns that decide whether the version is known yet. Moved unchanged from the
 * former parse-only step list; the vectors in test/unit/version/ pin them.
 */
import type { Digest } from '../../version/digest.js';
import { compareBytes } from '../../version/paths.js';

/** The JSON object under `key` of `data`, or undefined when absent or not an object. */
export function jsonObject(data: unknown, key: string): Record<string, unknown> | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const v = (data as Record<string, unknown>)[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Feed one dependency map of package.json: field `<name>` = `<range>` (non-string -> `*`), names sorted. */
export function hashNpmDeps(data: unknown, key: string, digest: Digest): void {
  const deps = jsonObject(data, key);
  if (!deps) return;
  for (const name of Object.keys(deps).sort(compareBytes)) {
    const v = deps[name];
    digest.field(name, typeof v === 'string' ? v : '*');
  }
}

/** The `name@range` patterns a yarn.lock (v1) covers: top-level keys, split on commas, quotes removed. */
export function yarnLockPatterns(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith(' ') || line.startsWith('#') || !line.endsWith(':')) continue;
    for (const m of line.slice(0, -1).matchAll(/"[^"]+"|[^,]+/g)) {
      let item = m[0].trim();
      if (item.length >= 2 && item.startsWith('"') && item.endsWith('"')) item = item.slice(1, -1);
      out.add(item);
    }
  }
  return out;
}

/** True when every string-valued entry of the `key` map of package.json is a pattern of the lock. */
export function lockCovers(data: unknown, key: string, patterns: Set<string>): boolean {
  const deps = jsonObject(data, key);
  if (!deps) return true;
  return Object.entries(deps).every(([k, v]) => typeof v !== 'string' || patterns.has(`${k}@${v}`));
}
