/**
 * `vagga _clean` (vagga-inventory.md §2.4). Each flag selects what goes:
 *  --tmp        `.roots/.tmp*` (failed or interrupted builds; a build holding its lock is skipped),
 *               and the temp files killed runs left in the cache dir (cache-temps.ts);
 *  --old        versions not referenced by a `.vagga/<name>` symlink (cheap; may be stale);
 *  --unused     versions the *current* config does not hash to (containers whose version
 *               cannot be known yet keep all their versions); with `atLeast` (ms, from
 *               `--at-least 10days`) instead: versions whose `last_use` (else the dir's
 *               mtime) is older than now - atLeast;
 *  --transient  `.transient/*` copies whose trailing `.<pid>` is not a live process;
 *  --everything the storage (`.roots`, `.transient`, `.volumes`, caches inside `.vagga`) and
 *               the container links; the user's own files in `.vagga` (`settings.yaml`,
 *               `vagga.yaml`, `local.yaml`) are kept. What is busy is skipped with a message:
 *               the `.tmp.<name>*` entries of a running build (its lock is held), versions
 *               a running command uses, transient copies of live processes (and the links
 *               and the storage-dir `.lnk` leading to them).
 * --old/--unused (and auto-clean, publish.ts) never delete a version a running command holds
 * (an `in_use.<pid>.<n>` mark of a live process, src/storage/in-use.ts; Vagga issue #128).
 * With `global` (cleanGlobal) the selection applies to every project under `storage-dir`:
 * `--tmp`, `--unused --at-least` and `--transient` are supported there, other actions are
 * refused (exit 1) rather than half-done.
 * Stray non-directory files in `.roots` are deleted with --old/--unused; links left dangling
 * by a deletion are removed. Trees holding subuid-owned files are deleted inside a user
 * namespace (src/storage/remove.ts). With `dryRun` nothing is deleted: the result lists what
 * would be.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Config, Settings } from '../config/model.js';
import { PROJECT_FILES } from '../config/project-files.js';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';
import {
  buildLockPath, cacheDirFor, parseVersionDirName, projectLayout, versionDirName, versionStorage, type ProjectLayout,
} from './layout.js';
import { removeTree } from './remove.js';
import { lockHeld } from './lock.js';
import { removeStaleCacheTemps } from './cache-temps.js';
import type { Measurement } from './disk-usage.js';
import { formatRemovalSizes } from './usage-report.js';
import { pidAlive, versionInUse } from './in-use.js';

export interface CleanOptions {
  tmp?: boolean;
  old?: boolean;
  unused?: boolean;
  transient?: boolean;
  everything?: boolean;
  /** With `unused`: keep versions used within this many milliseconds (`--at-least`). */
  atLeast?: number;
  /** Only report what would be removed. */
  dryRun?: boolean;
  /** Print absolute paths (default: relative to the project root when inside it). */
  absolutePaths?: boolean;
  /** 0 quiet, 1 normal (one line per removed path), 2 verbose. Default 1. */
  verbosity?: number;
}

export interface CleanResult {
  /** Absolute paths removed (or, with dryRun, that would be removed), in order. */
  removed: string[];
}

/** Collaborators, replaceable in tests. */
export interface CleanDeps {
  /** Version hash of a container, undefined when unknown before building. */
  version(config: Config, name: string): string | undefined;
  remove(path: string): Promise<void>;
  /** True when `pid` is a live process. */
  isAlive(pid: number): boolean;
  /** True when the build lock of `name` is held. */
  isLocked(layout: ProjectLayout, name: string): Promise<boolean>;
  write(text: string): void;
  /** True when version dir `dir` is used by a running command (default: in-use.ts marks). */
  inUse?(dir: string): boolean;
  /** Current time in ms since the epoch (default Date.now). */
  now?(): number;
  /** The cache dir whose stale temp files `--tmp` removes (none when absent). */
  cacheDir?(settings: Settings): string;
  /**
   * Sizes of directories `paths` and their total, hard links counted once (disk-usage.ts);
   * when given, a dry run prints each path with its size and the total at the end.
   */
  measure?(paths: string[]): Promise<Measurement>;
}

/** Files in `.vagga` that belong to the user (config, settings, local mixin), never deleted. */
const USER_FILES = new Set(PROJECT_FILES.filter((f) => f.startsWith('.vagga/')).map((f) => f.slice('.vagga/'.length)));

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `.roots` entries referenced by `.vagga/<name>` links: `<name>.<8hex>` dir names (pure fs read). */
export function linkedVersions(layout: ProjectLayout): Set<string> {
  const out = new Set<string>();
  for (const entry of entries(layout.vaggaDir)) {
    let target: string;
    try {
      target = readlinkSync(join(layout.vaggaDir, entry));
    } catch {
      continue;
    }
    const m = /(?:^|\/)\.roots\/([^/]+)\/root$/.exec(target);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** The real collaborators of cleaning (fs removal, process and lock checks), writing to `write`. */
export function defaultCleanDeps(write: (s: string) => void): CleanDeps {
  return {
    version(config, name) {
      throw new Error(`version() requested for ${name} without a loaded versioner`);
    },
    remove: removeTree,
    isAlive: pidAlive,
    cacheDir: (settings) => cacheDirFor(settings),
    async isLocked(layout, name) {
      return lockHeld(buildLockPath(layout, name));
    },
    write,
    measure: async (paths) => (await import('./usage.js')).measurePaths(paths),
  };
}

/**
 * Clean the storage of `config`'s project as selected by `options` (see the file comment);
 * progress lines go to `write` (default stderr).
 * Throws VaggaError (exit 3, Vagga's `_clean` failure code) when a deletion fails; paths
 * removed before the failure stay removed.
 */
export async function cleanStorage(config: Config, settings: Settings, options: CleanOptions, write: (text: string) => void = (t) => void process.stderr.write(t)): Promise<CleanResult> {
  const deps = defaultCleanDeps(write);
  if (options.unused && options.atLeast === undefined) {
    const [{ containerVersion }, { STEP_DEFS }] = await Promise.all([import('../version/container-version.js'), import('../steps/registry.js')]);
    deps.version = (cfg, name) => {
      try {
        return containerVersion(STEP_DEFS, cfg, name, versionStorage(cfg.projectRoot, settings)).hash;
      } catch (err) {
        if (err instanceof VaggaError && err.code === 'version.unknown') return undefined;
        throw err;
      }
    };
  }
  return cleanStorageWith(deps, config, settings, options);
}

/** cleanStorage with explicit collaborators. */
export async function cleanStorageWith(deps: CleanDeps, config: Config, settings: Settings, options: CleanOptions): Promise<CleanResult> {
  const result = await cleanLayoutWith(deps, projectLayout(config.projectRoot, settings), config, options);
  if (options.tmp) result.removed.push(...cleanCacheTemps(deps, settings, options));
  return result;
}

/** `--tmp` in the cache dir: the stale temp files of killed runs (cache-temps.ts). */
export function cleanCacheTemps(deps: CleanDeps, settings: Settings, options: CleanOptions): string[] {
  if (deps.cacheDir === undefined) return [];
  const verbosity = options.verbosity ?? 1;
  return removeStaleCacheTemps(deps.cacheDir(settings), (path) => {
    if (verbosity >= 1) deps.write(`${options.dryRun ? 'Would remove' : 'Removing'} ${path}\n`);
  }, options.dryRun === true);
}

/**
 * Clean one storage base described by `layout` (a project's, or one project subdir of
 * `storage-dir` for `--global`). `config` is only read by `--unused` without `atLeast`.
 */
export async function cleanLayoutWith(deps: CleanDeps, layout: ProjectLayout, config: Config, options: CleanOptions): Promise<CleanResult> {
  const sized = Boolean(options.dryRun && deps.measure && (options.verbosity ?? 1) >= 1);
  const result = await selectAndClean(deps, layout, config, options, sized);
  if (sized) await writeDrySizes(deps, result.removed, (p) => shownPath(layout, options, p));
  return result;
}

function shownPath(layout: ProjectLayout, options: CleanOptions, p: string): string {
  return !options.absolutePaths && p.startsWith(`${layout.projectRoot}/`) ? relative(layout.projectRoot, p) : p;
}

/**
 * A dry run's `Would remove <path> (<size>)` lines and the total; when sizes cannot be
 * measured, the plain lines and why.
 */
async function writeDrySizes(deps: CleanDeps, removed: readonly string[], show: (p: string) => string): Promise<void> {
  const dirs = removed.filter(isDir);
  try {
    const m = await deps.measure!(dirs.map((d) => realpathSync(d)));
    deps.write(formatRemovalSizes(removed.map(show), removed.map((p) => m.each[dirs.indexOf(p)]), m.total));
  } catch (err) {
    for (const p of removed) deps.write(`Would remove ${show(p)}\n`);
    deps.write(`Sizes not shown: ${(err as Error).message}\n`);
  }
}

/** cleanLayoutWith without the dry run's size lines; with `quietDryRun` a dry run prints no `Would remove` lines. */
async function selectAndClean(deps: CleanDeps, layout: ProjectLayout, config: Config, options: CleanOptions, quietDryRun: boolean): Promise<CleanResult> {
  const verbosity = options.verbosity ?? 1;
  const removed: string[] = [];
  const now = deps.now ? deps.now() : Date.now();
  const inUse = (dir: string) => (deps.inUse ? deps.inUse(dir) : versionInUse(dir, deps.isAlive));
  const show = (p: string) => shownPath(layout, options, p);
  const drop = async (path: string) => {
    if (removed.includes(path)) return;
    if (verbosity >= 1 && !(options.dryRun && quietDryRun)) deps.write(`${options.dryRun ? 'Would remove' : 'Removing'} ${show(path)}\n`);
    removed.push(path);
    if (options.dryRun) return;
    try {
      await deps.remove(path);
    } catch (err) {
      throw new VaggaError(`Error removing ${path}: ${(err as Error).message}`, {
        code: 'clean.failed', cause: err, hint: 'Check the permissions of the directory, or remove it by hand.',
      });
    }
  };

  if (options.everything) {
    const kept = await busyPaths(deps, layout, inUse);
    if (kept.size > 0) {
      for (const [path, why] of kept) deps.write(`Skipping ${show(path)}: ${why}\n`);
      await dropAllBut(layout, kept, drop);
      return { removed };
    }
    // With storage-dir the base is `.vagga/.lnk`: delete what it points to, then the link.
    if (layout.base !== layout.vaggaDir) {
      let real: string | undefined;
      try { real = realpathSync(layout.base); } catch { /* dangling or missing */ }
      if (real) await drop(real);
    }
    for (const entry of entries(layout.vaggaDir)) {
      if (!USER_FILES.has(entry)) await drop(join(layout.vaggaDir, entry));
    }
    return { removed };
  }

  if (options.tmp) {
    for (const entry of entries(layout.rootsDir)) {
      if (!entry.startsWith('.tmp')) continue;
      if (entry.endsWith('.lock')) continue;
      const m = /^\.tmp\.(.+?)(?:\.old)?$/.exec(entry);
      if (m && (await deps.isLocked(layout, m[1]!))) {
        if (verbosity >= 1) deps.write(`Skipping ${show(join(layout.rootsDir, entry))}: a build of "${m[1]}" is running\n`);
        continue;
      }
      await drop(join(layout.rootsDir, entry));
    }
  }

  if (options.old || options.unused) {
    let keep: Set<string> | undefined;
    if (options.old) keep = linkedVersions(layout);
    let keepUnused: Set<string> | undefined;
    const unknownNames = new Set<string>();
    if (options.unused && options.atLeast === undefined) {
      keepUnused = new Set();
      for (const name of Object.keys(config.containers)) {
        const hash = deps.version(config, name);
        if (hash === undefined) unknownNames.add(name);
        else keepUnused.add(versionDirName(name, hash));
      }
    }
    for (const entry of entries(layout.rootsDir)) {
      const path = join(layout.rootsDir, entry);
      if (entry.startsWith('.')) continue;
      const parsed = parseVersionDirName(entry);
      if (!parsed || !isDir(path)) {
        if (!isDir(path)) await drop(path); // stray file
        continue;
      }
      const keptByOld = keep ? keep.has(entry) : true;
      const keptByUnused = keepUnused ? keepUnused.has(entry) || unknownNames.has(parsed.name) : true;
      const keptByAge = options.unused && options.atLeast !== undefined ? usedSince(path, now - options.atLeast) : true;
      if (keptByOld && keptByUnused && keptByAge) continue;
      if (inUse(path)) {
        if (verbosity >= 1) deps.write(`Keeping ${show(path)}: a running command uses it\n`);
        continue;
      }
      await drop(path);
    }
    // Links whose version is gone.
    for (const entry of entries(layout.vaggaDir)) {
      const link = join(layout.vaggaDir, entry);
      let target: string;
      try {
        target = readlinkSync(link);
      } catch {
        continue;
      }
      const m = /(?:^|\/)\.roots\/([^/]+)\/root$/.exec(target);
      if (!m) continue;
      const dir = join(layout.rootsDir, m[1]!);
      if (removed.includes(dir) || !existsSync(dir)) await drop(link);
    }
  }

  if (options.transient) {
    for (const entry of entries(layout.transientDir)) {
      const m = /\.(\d+)$/.exec(entry);
      if (m && deps.isAlive(Number(m[1]))) continue;
      await drop(join(layout.transientDir, entry));
    }
  }
  return { removed };
}


/**
 * What `--everything` must keep (absolute path -> reason): `.roots/.tmp.<name>*` entries
 * (build dir, lock, `.old`) of a build holding its lock, version dirs with a live in-use
 * mark, and `.transient` copies whose trailing `.<pid>` is a live process.
 */
async function busyPaths(deps: CleanDeps, layout: ProjectLayout, inUse: (dir: string) => boolean): Promise<Map<string, string>> {
  const kept = new Map<string, string>();
  const rootsEntries = entries(layout.rootsDir);
  const building = new Set<string>();
  for (const entry of rootsEntries) {
    const m = /^\.tmp\.(.+?)(?:\.old|\.lock)?$/.exec(entry);
    if (m && !building.has(m[1]!) && (await deps.isLocked(layout, m[1]!))) building.add(m[1]!);
  }
  for (const entry of rootsEntries) {
    const path = join(layout.rootsDir, entry);
    const m = /^\.tmp\.(.+?)(?:\.old|\.lock)?$/.exec(entry);
    if (m && building.has(m[1]!)) kept.set(path, `a build of "${m[1]}" is running`);
    else if (parseVersionDirName(entry) && isDir(path) && inUse(path)) kept.set(path, 'a running command uses it');
  }
  for (const entry of entries(layout.transientDir)) {
    const m = /\.(\d+)$/.exec(entry);
    if (m && deps.isAlive(Number(m[1]))) kept.set(join(layout.transientDir, entry), 'a running command uses it');
  }
  return kept;
}

/**
 * `--everything` when some paths are busy (`kept`, all inside `.roots` or `.transient`):
 * delete every other entry of `.roots` and `.transient`, everything else of the storage
 * base, and every non-user entry of `.vagga` except the storage-dir link `.lnk` and the
 * container links pointing at a kept version.
 */
async function dropAllBut(layout: ProjectLayout, kept: Map<string, string>, drop: (path: string) => Promise<void>): Promise<void> {
  const keptNames = new Set([...kept.keys()].map((p) => relative(layout.rootsDir, p)));
  for (const sub of [layout.rootsDir, layout.transientDir]) {
    for (const entry of entries(sub)) {
      const path = join(sub, entry);
      if (!kept.has(path)) await drop(path);
    }
  }
  const inBase = layout.base === layout.vaggaDir ? [] : entries(layout.base).map((e) => join(layout.base, e));
  for (const path of inBase) {
    if (path !== layout.rootsDir && path !== layout.transientDir) await drop(path);
  }
  for (const entry of entries(layout.vaggaDir)) {
    const path = join(layout.vaggaDir, entry);
    if (USER_FILES.has(entry) || path === layout.rootsDir || path === layout.transientDir || path === layout.base) continue;
    let target: string | undefined;
    try { target = readlinkSync(path); } catch { /* not a link */ }
    const m = target ? /(?:^|\/)\.roots\/([^/]+)\/root$/.exec(target) : null;
    if (m && keptNames.has(m[1]!)) continue;
    await drop(path);
  }
}

/**
 * True when version dir `dir` was used at or after `cutoff` (ms since the epoch): the mtime
 * of its `last_use` file, else of the dir itself (versions made before last_use existed).
 */
export function usedSince(dir: string, cutoff: number): boolean {
  for (const p of [join(dir, 'last_use'), dir]) {
    try {
      return statSync(p).mtimeMs >= cutoff;
    } catch { /* try the next */ }
  }
  return false;
}
