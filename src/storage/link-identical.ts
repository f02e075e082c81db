/**
 * Host side of hard-linking identical files across container versions (inventory §1.8,
 * §1.9; Vagga's `_hardlink` and its build-time `hard-link-identical-files`): which version
 * dirs take part, in which order, and what the helper may touch. The linking itself runs in
 * `vagga __index__` inside a user namespace with the "max" map (./index-hardlink.ts,
 * ./index-sandbox.ts), which sees only the binds made here: the project's `.roots` (real
 * path), or the whole storage dir (real path) across projects.
 *
 *  - `vagga _hardlink`: every indexed version of this project; `--global`: of every project
 *    in the storage dir. Ordered by project, container name, then oldest first (Vagga).
 *  - After a build, with `index-all-images` and `hard-link-identical-files` (Vagga needs
 *    both): the new `.tmp.<name>` dir against the 3 newest indexed versions of each other
 *    container (this project's, or with `hard-link-between-projects` and a storage dir, of
 *    every project there), this project and this container first, newest first; the
 *    version being replaced is left out. Prints `Found and linked N (SIZE) identical files
 *    from other containers` when something was linked; a failure only warns.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Settings } from '../config/model.js';
import { isWithin } from '../mounts/run-plan.js';
import { INDEX_FILE, formatSize } from './index-format.js';
import type { HardlinkResult } from './index-hardlink.js';
import type { IndexBind, IndexSandboxRunner } from './index-sandbox.js';
import { parseVersionDirName, type ProjectLayout } from './layout.js';

/** One indexed version dir that may take part in linking. */
export interface VersionDirInfo {
  /** Real path of `<base>/.roots/<name>.<8hex>`. */
  path: string;
  /** Real path of the storage base it belongs to (identifies the project). */
  project: string;
  /** Container name. */
  name: string;
  /** The dir's mtime (ms): Vagga's "modified" order. */
  mtimeMs: number;
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The indexed versions in roots dir `rootsDir` (`<name>.<8hex>` dirs holding `root/` and
 * `index.txt`), with real paths; a dir whose real path leaves the roots dir (a symlink) is
 * skipped. Empty when the roots dir does not exist.
 */
export function indexedVersions(rootsDir: string): VersionDirInfo[] {
  const roots = realOrUndefined(rootsDir);
  if (!roots) return [];
  let names: string[];
  try {
    names = readdirSync(roots);
  } catch {
    return [];
  }
  const out: VersionDirInfo[] = [];
  for (const entry of names) {
    const parsed = parseVersionDirName(entry);
    if (!parsed) continue;
    const path = realOrUndefined(join(roots, entry));
    if (!path || dirname(path) !== roots) continue;
    if (!existsSync(join(path, 'root')) || !existsSync(join(path, INDEX_FILE))) continue;
    try {
      out.push({ path, project: dirname(roots), name: parsed.name, mtimeMs: statSync(path).mtimeMs });
    } catch { /* removed meanwhile */ }
  }
  return out;
}

/**
 * The indexed versions of every project of storage dir `storageDir` (its subdirs not starting
 * with `.` that hold `.roots`, like Vagga's collect_containers_from_storage). Only dirs whose
 * real paths stay inside the storage dir's real path are returned.
 */
export function storageVersions(storageDir: string): VersionDirInfo[] {
  const storage = realOrUndefined(storageDir);
  if (!storage) return [];
  let names: string[];
  try {
    names = readdirSync(storage);
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith('.')).sort()
    .flatMap((n) => indexedVersions(join(storage, n, '.roots')))
    .filter((v) => isWithin(v.path, storage));
}

/** `dirs` in `_hardlink`'s order: project, container name, then oldest first. */
export function hardlinkOrder(dirs: readonly VersionDirInfo[]): string[] {
  return [...dirs].sort((a, b) => cmp(a.project, b.project) || cmp(a.name, b.name) || a.mtimeMs - b.mtimeMs || cmp(a.path, b.path)).map((d) => d.path);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The versions a new build of `name` in project `project` is linked against (Vagga's
 * find_and_hardlink_identical_files): all but `exclude` (the version being replaced),
 * this project first, this container first, newest first, at most 3 per container.
 */
export function linkCandidates(dirs: readonly VersionDirInfo[], project: string, name: string, exclude: string | undefined): string[] {
  const sorted = dirs.filter((d) => d.path !== exclude).sort((a, b) =>
    Number(b.project === project) - Number(a.project === project) || cmp(b.project, a.project)
    || Number(b.name === name) - Number(a.name === name) || cmp(b.name, a.name) || b.mtimeMs - a.mtimeMs);
  const taken = new Map<string, number>();
  const out: string[] = [];
  for (const d of sorted) {
    const key = `${d.project}\0${d.name}`;
    const n = taken.get(key) ?? 0;
    if (n >= 3) continue;
    taken.set(key, n + 1);
    out.push(d.path);
  }
  return out;
}

/** Binds for the helper: the real storage dir (with `between`) and the real roots dir unless inside it. */
export function linkBinds(rootsReal: string, storageReal: string | undefined): IndexBind[] {
  const binds: IndexBind[] = [];
  if (storageReal) binds.push({ source: storageReal, dest: storageReal, readOnly: false });
  if (!storageReal || !isWithin(rootsReal, storageReal)) binds.push({ source: rootsReal, dest: rootsReal, readOnly: false });
  return binds;
}

/** What linkAfterBuild needs. */
export interface LinkAfterBuildInput {
  settings: Settings;
  layout: ProjectLayout;
  name: string;
  /** The new version's `.tmp.<name>` dir (holds `root/` and `index.txt`). */
  buildDir: string;
  /** The dir the new version will be published as (`.roots/<name>.<8hex>`), left out. */
  finalDir: string;
  /** Messages (stderr). */
  write(text: string): void;
  /** Replaces the sandbox (tests). */
  runner?: IndexSandboxRunner;
  env?: NodeJS.ProcessEnv;
}

/**
 * The build-time linking described in the file comment. Does nothing unless both
 * `index-all-images` and `hard-link-identical-files` are set. Never throws: a failure is
 * a warning (`Error when linking container files: ...`), as in Vagga.
 */
export async function linkAfterBuild(input: LinkAfterBuildInput): Promise<void> {
  const { settings, layout } = input;
  if (!settings.indexAllImages || !settings.hardLinkIdenticalFiles) return;
  try {
    const rootsReal = realpathSync(layout.rootsDir);
    const buildReal = realpathSync(input.buildDir);
    if (dirname(buildReal) !== rootsReal || !existsSync(join(buildReal, INDEX_FILE))) return;
    const between = settings.hardLinkBetweenProjects === true && settings.storageDir !== undefined;
    const storageReal = between ? realOrUndefined(settings.storageDir!) : undefined;
    const dirs = storageReal ? storageVersions(storageReal) : indexedVersions(rootsReal);
    const others = linkCandidates(dirs, dirname(rootsReal), input.name, realOrUndefined(input.finalDir));
    if (others.length === 0) return;
    const [{ runIndexHelper }, { maxIdMapping }] = await Promise.all([
      import('./index-sandbox.js'),
      import('../sandbox/idmap.js'),
    ]);
    const result = await runIndexHelper(
      (out) => ['link-new', `${out}/result.json`, buildReal, ...others],
      linkBinds(rootsReal, storageReal),
      maxIdMapping(),
      (out) => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as HardlinkResult,
      input.runner,
      input.env,
    );
    for (const f of result.failures) input.write(`Warning: could not link ${f}\n`);
    if (result.count > 0) input.write(`Found and linked ${result.count} (${formatSize(result.bytes)}) identical files from other containers\n`);
  } catch (err) {
    input.write(`Warning: Error when linking container files: ${(err as Error).message}\n`);
  }
}
