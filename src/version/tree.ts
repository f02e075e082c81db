/**
 * Filtered file-tree walks for `!Copy`, `!Depends` and `!Build` (vagga-inventory.md §2.1
 * "File-tree hashing"). The walk yields entries the filter admits; hashing and copying then
 * use each admitted path *plus all its parent directories*, de-duplicated; hashing sorts
 * them component-wise. Symlinks are never followed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from './digest.js';
import type { PathFilter } from './filters.js';
import { comparePaths, compareBytes, rustJoin, selfAndParents } from './paths.js';
import { versionError } from './errors.js';

/** One admitted entry of a walk: path relative to the walked root, `/`-separated. */
export interface WalkEntry {
  rel: string;
  isDir: boolean;
}

/**
 * Walk `hostRoot` (a directory) depth-first, names in byte order, applying the filter the
 * way Vagga's walker does: an ignored directory is not entered; an unmatched directory is
 * not entered when the glob filter skips unknown dirs; an "intermediate" include match (or a
 * file-only rule matching a directory) is entered but not yielded; with an include regex,
 * unmatched entries are skipped (directories still entered).
 * Throws the fs error of an unreadable directory.
 */
export function* walkFiltered(hostRoot: string, filter: PathFilter): Generator<WalkEntry> {
  function* visit(rel: string): Generator<WalkEntry> {
    const dir = rel === '' ? hostRoot : path.join(hostRoot, rel);
    const names = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareBytes(a.name, b.name));
    for (const d of names) {
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      const isDir = d.isDirectory();
      const m = filter.matched(childRel, isDir);
      let yieldIt = false;
      let enter = isDir;
      if (m.kind === 'include') {
        yieldIt = !(m.rule && (m.rule.isIntermediate || (isDir && !m.rule.isDir)));
      } else if (m.kind === 'ignore') {
        enter = false;
      } else if (filter.kind === 'glob') {
        if (filter.skipUnknownDirs) enter = false;
      } else {
        yieldIt = !filter.hasInclude;
      }
      if (yieldIt) yield { rel: childRel, isDir };
      if (enter) yield* visit(childRel);
    }
  }
  yield* visit('');
}

/**
 * The relative paths a tree hash covers: every admitted entry plus its parents, sorted
 * component-wise (Rust `BTreeSet<PathBuf>` order).
 */
export function sortedRelPaths(hostRoot: string, filter: PathFilter): string[] {
  const all = new Set<string>();
  for (const e of walkFiltered(hostRoot, filter)) {
    for (const p of selfAndParents(e.rel)) {
      if (all.has(p)) break;
      all.add(p);
    }
  }
  return [...all].sort(comparePaths);
}

/** What a per-entry hash callback gets. */
export interface TreeEntry {
  /** Path as the container sees it (the step's path as written, joined Rust-style). */
  containerPath: string;
  hostPath: string;
  stat: fs.Stats;
}

/**
 * Hash a file or tree: the root entry first, then (for a directory) every sorted relative
 * path. `onEntry` feeds one entry's fields. A missing root calls `unknown` (the version is
 * unknown before building). Other fs errors become a versioning error naming `what`.
 */
export function hashTree(
  digest: Digest,
  root: { hostPath: string; containerPath: string },
  filter: PathFilter,
  onEntry: (entry: TreeEntry, digest: Digest) => void,
  unknown: (reason: string) => never,
  what: string,
): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(root.hostPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') unknown(`${what}: path ${JSON.stringify(root.containerPath)} does not exist yet`);
    throw versionError(what, `${root.containerPath}: ${(e as Error).message}`);
  }
  onEntry({ containerPath: root.containerPath, hostPath: root.hostPath, stat: st }, digest);
  if (!st.isDirectory()) return;
  let rels: string[];
  try {
    rels = sortedRelPaths(root.hostPath, filter);
  } catch (e) {
    throw versionError(what, `${root.containerPath}: ${(e as Error).message}`);
  }
  for (const rel of rels) {
    const hostPath = path.join(root.hostPath, rel);
    let est: fs.Stats;
    try {
      est = fs.lstatSync(hostPath);
    } catch (e) {
      throw versionError(what, `${rustJoin(root.containerPath, rel)}: ${(e as Error).message}`);
    }
    onEntry({ containerPath: rustJoin(root.containerPath, rel), hostPath, stat: est }, digest);
  }
}

/**
 * Feed a regular file's raw content or a symlink's `symlink\0<target>\0` field; other
 * types feed nothing (Vagga's `hash_file_content`).
 */
export function hashFileContent(entry: TreeEntry, digest: Digest): void {
  if (entry.stat.isFile()) {
    digest.bytes(fs.readFileSync(entry.hostPath), `file ${entry.containerPath}`);
  } else if (entry.stat.isSymbolicLink()) {
    digest.field('symlink', fs.readlinkSync(entry.hostPath));
  }
}
