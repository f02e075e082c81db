/**
 * A cloned repository may ship a `.vagga` directory of its own. vagga must never follow
 * what it plants there: `.vagga` itself, its bookkeeping directories, a version's directory
 * or root, a `!Persistent` volume or `.vagga/NAME` as a symlink out of the project would make
 * vagga build into, mount, run from or delete another directory of the user (issue 8: a
 * `.vagga -> ~/other` made `_clean --everything` delete `~/other`'s files). So every path vagga
 * keeps there is checked with lstat before use: a real directory (or nothing) is fine, a
 * symlink or another kind of file is refused with one line naming it and the fix. The links
 * vagga makes itself (`.vagga/NAME`, `.vagga/.lnk`) are checked where they are read.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';

/** Bookkeeping directories directly under `.vagga` (or the storage dir): layout.ts. */
const STORAGE_DIRS = ['.roots', '.cache', '.transient', '.volumes'];

/** VaggaError (121, `storage.planted-link`) for `path`, which is `what` instead of a directory vagga made. */
function planted(path: string, what: string): VaggaError {
  return new VaggaError(`${path} is ${what}, not a directory vagga made; vagga does not follow or write through it`, {
    code: 'storage.planted-link',
    hint: `A repository may not ship vagga's storage. Remove it (\`rm ${path}\`) and run the command again.`,
  });
}

/** Throw `storage.planted-link` unless `path` is missing or a real directory (not a symlink). */
export function requireRealDirOrMissing(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined || st.isDirectory()) return;
  throw planted(path, st.isSymbolicLink() ? 'a symbolic link' : 'not a directory');
}

/**
 * Check `<projectRoot>/.vagga` and its bookkeeping dirs (`.roots`, `.cache`, `.transient`,
 * `.volumes`): each missing or a real directory; and the same dirs of the storage-dir subdir
 * `.vagga/.lnk` leads to, when it exists (a `!CapsuleCommand` has that subdir writable, so
 * it could plant links there too). Throws VaggaError `storage.planted-link`.
 * A few lstat calls; run on every command that loads a project.
 */
export function checkStorageTree(projectRoot: string): void {
  const vagga = join(projectRoot, '.vagga');
  requireRealDirOrMissing(vagga);
  for (const dir of STORAGE_DIRS) requireRealDirOrMissing(join(vagga, dir));
  const lnk = join(vagga, '.lnk');
  if (lstatSync(lnk, { throwIfNoEntry: false })?.isSymbolicLink()) {
    for (const dir of STORAGE_DIRS) {
      try {
        requireRealDirOrMissing(join(lnk, dir));
      } catch (err) {
        // ENOTDIR/ELOOP and the like: the link itself is checked where it is read.
        if (err instanceof VaggaError) throw err;
      }
    }
  }
}

/**
 * The real path `link` (`.vagga/NAME`, `.vagga/.lnk`) leads to when it is inside `allowed`
 * (a directory, resolved too), else VaggaError `storage.planted-link`; undefined when the
 * link leads nowhere.
 */
export function linkInside(link: string, allowed: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(link);
  } catch {
    return undefined;
  }
  let base = allowed;
  try {
    base = realpathSync(allowed);
  } catch {
    // Not made yet: compare with the path as given.
  }
  const rel = relative(base, real);
  if (rel === '' || rel.startsWith('..') || rel.startsWith('/')) throw planted(link, `a symbolic link to ${real}, outside ${base}`);
  return real;
}
