/**
 * Resolving a path the way the kernel would with a given directory as `/` (chroot
 * semantics, path_resolution(7)): `..` stops at that directory, and a symlink is followed
 * inside it (an absolute target starts again at it, a relative one climbs at most to it).
 * With `/` as the root this is realpath(3) that also accepts missing components.
 *
 * Used for container paths under a root being built or run (src/steps/root-path.ts,
 * environ-file) and for host paths a vagga.yaml names (project-path.ts).
 */
import { lstatSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';

/** Linux's limit on symlinks followed in one lookup (path_resolution(7): 40). */
const MAX_SYMLINKS = 40;

export interface ResolveOptions {
  /**
   * Follow a symlink in the last component too (default true: a write goes where the link
   * points). False for operations on the link itself (`!Remove`, lstat).
   */
  followLast?: boolean;
}

/**
 * The host path under `root` that `p` (absolute, read as seen from `root`) names, every
 * symlink on the way followed inside `root`. Components from the first missing one on are
 * kept as written (`..` after them still stops at `root`). undefined after 40 symlinks (a
 * loop). The result is always `root` or below it. Throws fs errors other than ENOENT and
 * ENOTDIR (e.g. EACCES on a directory on the way).
 */
export function resolveLinksUnder(root: string, p: string, options: ResolveOptions = {}): string | undefined {
  const followLast = options.followLast ?? true;
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    if ((pending.length > 0 || followLast) && isSymlink(host)) {
      if (++hops > MAX_SYMLINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/** lstat says symlink; false when missing (or below a non-directory). */
function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}
