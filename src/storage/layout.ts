/**
 * Where a project's containers live on disk (vagga-inventory.md §2.2):
 *
 *   <project>/.vagga/<name>                    -> .roots/<name>.<8hex>/root  (relative symlink)
 *   <base>/.roots/<name>.<8hex>/root           the container's root filesystem
 *   <base>/.roots/<name>.<8hex>/{last_use,uid_map,gid_map,timings.log}
 *   <base>/.roots/.tmp.<name>/                 a build in progress (or the remains of a failed one)
 *   <base>/.roots/.tmp.<name>.lock             the build lock (a file held with flock(2) by a util-linux flock process; src/storage/lock.ts)
 *   <base>/.roots/.tmp.<name>.old              the previous dir while a --force rebuild replaces it
 *   <base>/.transient/                         write-mode copies
 *
 * `<base>` is `<project>/.vagga`; with the `storage-dir` setting it is `<project>/.vagga/.lnk`,
 * a symlink to `<storage-dir>/<project subdir>` (created by storage-link.ts ensureStorageBase),
 * and the container links become `.lnk/.roots/<name>.<8hex>/root` (§2.2, §4).
 * All functions here are pure path arithmetic except cacheDirFor(), which creates the dir
 * (creating storage dirs with clear permission errors: storage-dirs.ts).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Settings } from '../config/model.js';
import { makeStorageDir } from './storage-dirs.js';
// shortHash is not imported from ../version/digest.js: that module loads node:crypto (~3 ms),
// and this one is on the `vagga _run` start-up path. Same 8-hex prefix as digest.ts's shortHash.
const shortHash = (full: string): string => full.slice(0, 8);

/** The storage paths of one project. All absolute host paths. */
export interface ProjectLayout {
  projectRoot: string;
  /** `<project>/.vagga`: holds the `<name>` symlinks. */
  vaggaDir: string;
  /** The storage base holding `.roots` and `.transient`: vaggaDir, or `<vaggaDir>/.lnk` with storage-dir. */
  base: string;
  /** `<base>/.roots`. */
  rootsDir: string;
  /** `<base>/.transient`. */
  transientDir: string;
  /** Prefix of link targets relative to vaggaDir: `` (no storage-dir) or `.lnk/`. */
  linkPrefix: string;
}

/**
 * The storage base for a project: `<project>/.vagga`, or `<project>/.vagga/.lnk` when the
 * `storage-dir` setting (§1.9) is set (pure: the link itself is made by ensureStorageBase).
 */
export function storageBase(projectRoot: string, settings: Settings): string {
  const vagga = join(resolve(projectRoot), '.vagga');
  return settings.storageDir ? join(vagga, '.lnk') : vagga;
}

/** All storage paths of a project (pure). */
export function projectLayout(projectRoot: string, settings: Settings): ProjectLayout {
  const root = resolve(projectRoot);
  const base = storageBase(root, settings);
  return {
    projectRoot: root,
    vaggaDir: join(root, '.vagga'),
    base,
    rootsDir: join(base, '.roots'),
    transientDir: join(base, '.transient'),
    linkPrefix: settings.storageDir ? '.lnk/' : '',
  };
}

/** `<name>.<8hex>`: the directory name of a container version (hash: full or short hex). */
export function versionDirName(name: string, hash: string): string {
  return `${name}.${shortHash(hash)}`;
}

/** `<base>/.roots/<name>.<8hex>`: the directory of one built version. */
export function versionDir(layout: ProjectLayout, name: string, hash: string): string {
  return join(layout.rootsDir, versionDirName(name, hash));
}

/** `<base>/.roots/<name>.<8hex>/root`: the root filesystem of one built version. */
export function versionRoot(layout: ProjectLayout, name: string, hash: string): string {
  return join(versionDir(layout, name, hash), 'root');
}

/** `<base>/.roots/.tmp.<name>`: where a container is built before it is published. */
export function tmpBuildDir(layout: ProjectLayout, name: string): string {
  return join(layout.rootsDir, `.tmp.${name}`);
}

/** `<base>/.roots/.tmp.<name>.old`: the replaced version during a forced rebuild. */
export function oldVersionDir(layout: ProjectLayout, name: string): string {
  return join(layout.rootsDir, `.tmp.${name}.old`);
}

/** `<base>/.roots/.tmp.<name>.lock`: the build lock of container `name`. */
export function buildLockPath(layout: ProjectLayout, name: string): string {
  return join(layout.rootsDir, `.tmp.${name}.lock`);
}

/** `<project>/.vagga/<name>`: the symlink naming the current version. */
export function containerLinkPath(layout: ProjectLayout, name: string): string {
  return join(layout.vaggaDir, name);
}

/** The relative target of `.vagga/<name>`: `.roots/<name>.<8hex>/root` (§4, tested byte-for-byte). */
export function containerLinkTarget(layout: ProjectLayout, name: string, hash: string): string {
  return `${layout.linkPrefix}.roots/${versionDirName(name, hash)}/root`;
}

/** Files kept next to a version's `root` (§2.2). */
export const VERSION_FILES = {
  lastUse: 'last_use',
  uidMap: 'uid_map',
  gidMap: 'gid_map',
  timings: 'timings.log',
  /** The version data: each setup step's version digest and trace (src/builder/explain.ts VersionRecord). */
  steps: 'steps.json',
  /** Output of the programs the build ran (src/builder/build-log.ts). */
  buildLog: 'build.log',
} as const;

/**
 * Parse a `.roots` entry name `<name>.<8hex>` into its parts; undefined for anything else
 * (`.tmp.*` dirs, lock dirs, stray files).
 */
export function parseVersionDirName(entry: string): { name: string; short: string } | undefined {
  if (entry.startsWith('.')) return undefined;
  const m = /^(.+)\.([0-9a-f]{8})$/.exec(entry);
  return m ? { name: m[1]!, short: m[2]! } : undefined;
}

/**
 * The shared cache directory (downloads, bootstrap tarballs, apt archives, `!CacheDirs`):
 * settings `cache-dir` (a leading `~/` means the home directory: `$HOME`, else the passwd
 * entry's, else `/`), else `$XDG_CACHE_HOME/vagga`, else `~/.cache/vagga`. Created (mode
 * 0755) when missing. Throws VaggaError (121) when it cannot be created or written for lack
 * of permission (storage-dirs.ts), the fs error otherwise. Note: Vagga's default is
 * `<base>/.cache`; a per-user default lets projects share downloads and Debian bootstraps.
 */
export function cacheDirFor(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const dir = cacheDirPath(settings, env);
  makeStorageDir(dir, 'cache');
  return dir;
}

/**
 * The password database's home of this user, or `/` when it has none: inside a container
 * (`!VaggaBin`) vagga may run without HOME as a uid /etc/passwd does not know, where
 * os.homedir() throws; `/` is what login(1) uses for a missing home.
 */
function homeOrRoot(): string {
  try {
    return homedir();
  } catch {
    return '/';
  }
}

/** The path cacheDirFor gives, without creating it (for readers: a missing cache is an empty one). */
export function cacheDirPath(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homeOrRoot();
  let dir: string;
  if (settings.cacheDir) {
    dir = settings.cacheDir.startsWith('~/') ? join(home, settings.cacheDir.slice(2)) : settings.cacheDir;
  } else if (env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/')) {
    dir = join(env.XDG_CACHE_HOME, 'vagga');
  } else {
    dir = join(home, '.cache', 'vagga');
  }
  return resolve(dir);
}

/**
 * Where versioning looks for what `!SubConfig` reads from outside the project (pure): the
 * project's `.roots` dir (built containers) and the user's cache dir (git checkouts), for
 * container-version.ts VersionOptions.
 */
export function versionStorage(projectRoot: string, settings: Settings, env: NodeJS.ProcessEnv = process.env): { rootsDir: string; cacheDir: string } {
  return { rootsDir: projectLayout(projectRoot, settings).rootsDir, cacheDir: cacheDirPath(settings, env) };
}
