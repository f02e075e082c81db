/**
 * The container setting `data-dirs` (vagga-inventory.md §1.3, §2.6 "Finish": applied last,
 * after the system dirs are re-created): a *data container* keeps only the listed paths
 * and the directories leading to them; everything else in the root is deleted. Symlinks on
 * the way are not followed (a listed path under a symlinked dir keeps nothing: the link is
 * removed like any other entry that is not a real directory on the way).
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathComponents } from '../version/paths.js';

/** The relative paths to keep whole and the relative dirs to descend into (pure). */
export function dataDirPlan(dataDirs: readonly string[]): { keep: Set<string>; parents: Set<string> } {
  const keep = new Set<string>();
  const parents = new Set<string>();
  for (const d of dataDirs) {
    const comps = pathComponents(d).filter((c) => c !== '' && c !== '.');
    if (comps.length === 0) return { keep: new Set(['']), parents }; // `/` keeps everything
    keep.add(comps.join('/'));
    for (let i = 1; i < comps.length; i++) parents.add(comps.slice(0, i).join('/'));
  }
  return { keep, parents };
}

/**
 * Delete everything under `root` except `dataDirs` (absolute container paths) and their
 * parent directories. Missing data dirs are ignored. Throws fs errors.
 */
export async function applyDataDirs(root: string, dataDirs: readonly string[]): Promise<void> {
  const { keep, parents } = dataDirPlan(dataDirs);
  if (keep.has('')) return;
  async function visit(rel: string): Promise<void> {
    for (const name of await readdir(rel === '' ? root : join(root, rel))) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const path = join(root, childRel);
      if (keep.has(childRel)) continue;
      if (parents.has(childRel) && (await lstat(path)).isDirectory()) await visit(childRel);
      else await rm(path, { recursive: true, force: true });
    }
  }
  await visit('');
}
