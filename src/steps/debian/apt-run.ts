/**
 * Running apt for package steps inside the root being built (through BuildContext.run), with
 * apt's caches shared across builds in the user's cache dir:
 *   /var/cache/apt/archives  <- <cache>/apt-archives-debian            (.debs, all Debian builds)
 *   /var/lib/apt/lists       <- <cache>/apt-lists-debian-<suite>-<8hex> (per suite and mirror)
 * Concurrent builds sharing these dirs are serialised by a lock on the archives cache entry
 * (`<cache>/apt-archives-debian.lock`) held around every apt run, so apt's own non-waiting
 * locks never trip and the caches are never written by two apt processes at once.
 * `apt-get update` is skipped when the cached lists are fresh and cover every configured
 * source (apt-lists.ts), so a build on warm caches fetches nothing from the mirror; if an
 * install then fails on those cached lists (a package version left the mirror: 404, "Unable
 * to fetch", "Unable to locate package"), the lists are updated once and the install retried.
 * Build-time behaviour follows vagga-inventory.md §2.6.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { StepFailedError } from '../../builder/errors.js';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuildContext } from '../step.js';
import {
  APT_ARCHIVES_CACHE,
  APT_ARCHIVES_PATH,
  APT_FILES_TO_REMOVE,
  APT_LISTS_PATH,
  APT_STATE_TO_CLEAR,
  DEBIAN_BUILD_ENV,
  LOGS_TO_TRUNCATE,
  aptAutoremoveArgv,
  aptInstallArgv,
  aptListsCacheName,
  aptMarkAutoArgv,
  aptMarkManualArgv,
  aptUpdateArgv,
  autoInstalledPackages,
  buildDepsToRemove,
  installedPackages,
  packageName,
} from './apt.js';
import { cachedListsUsable, writeListsStamp } from './apt-lists.js';
import { lockCacheEntry } from './cache-lock.js';
import type { DistroState } from './distro.js';
import { EATMYDATA_ACTIVATED, EATMYDATA_PACKAGE, wantsEatmydata, withEatmydata } from './eatmydata.js';
import { requireDebianIdMap } from './userns.js';
import { inContainerRoot } from '../root-path.js';

/** Per-build apt bookkeeping, in BuildContext.state under `debian.apt`. */
interface AptState {
  /** The package lists are up to date for this build (updated, or fresh cached lists checked). */
  updated: boolean;
  /** The lists in use are cached ones this build did not update (an install failure then updates and retries). */
  listsFromCache: boolean;
  /** Id maps were checked in this build. */
  mapsChecked: boolean;
  /** Names of packages installed with `!Install` (never removed as build deps). */
  installed: Set<string>;
  /** `!BuildDeps` specs, in order. */
  buildDeps: string[];
  /** Packages installed in the root before this build's first apt install (never removed by it). */
  baseline?: Set<string>;
  /** eatmydata in this build: not set up yet, installed (it wraps apt runs), or not installable. */
  eatmydata: 'pending' | 'active' | 'unavailable';
  /** The finish hook is registered. */
  finishRegistered: boolean;
}

const APT_STATE_KEY = 'debian.apt';

function aptState(ctx: BuildContext): AptState {
  let st = ctx.state.get(APT_STATE_KEY) as AptState | undefined;
  if (st === undefined) {
    st = { updated: false, listsFromCache: false, mapsChecked: false, installed: new Set(), buildDeps: [], eatmydata: 'pending', finishRegistered: false };
    ctx.state.set(APT_STATE_KEY, st);
  }
  return st;
}

/**
 * Make the Debian build context effective for the following steps: env additions
 * (DEBIAN_FRONTEND, LANG), apt cache mounts, and (once) the finish hook that removes build
 * dependencies and clears apt's lists, binary caches and logs from the root.
 * Idempotent; used by `!Debian` (build and replay) and package steps.
 */
export function enableDebianContext(ctx: BuildContext, distro: DistroState): void {
  Object.assign(ctx.env, DEBIAN_BUILD_ENV);
  ctx.cacheMounts.set(APT_ARCHIVES_PATH, APT_ARCHIVES_CACHE);
  if (distro.suite !== undefined && distro.mirror !== undefined) {
    ctx.cacheMounts.set(APT_LISTS_PATH, aptListsCacheName(distro.suite, distro.mirror));
  }
  const st = aptState(ctx);
  if (!st.finishRegistered) {
    st.finishRegistered = true;
    ctx.finish.hooks.push(() => finishDebian(ctx));
  }
}

/**
 * After a build resumed from a cached layer (src/builder/builder-state.ts): the apt
 * bookkeeping restored from the layer holds for the root, but the package lists and the id
 * map check belong to the build that made the layer. So the next apt run checks the lists
 * again (fresh cached lists are used as usual), and the finish hook is registered again.
 */
export function resumeDebianContext(ctx: BuildContext): void {
  const st = ctx.state.get(APT_STATE_KEY) as AptState | undefined;
  if (st === undefined) return;
  st.updated = false;
  st.listsFromCache = false;
  st.mapsChecked = false;
  if (st.finishRegistered) ctx.finish.hooks.push(() => finishDebian(ctx));
}

/**
 * Make the next `!Install`/`!BuildDeps` check the package lists again (used when a step added
 * an apt source, src/steps/debian/repos.ts): it runs `apt-get update` unless the cached lists
 * are fresh and already hold the new source's indexes. Does nothing before the first apt run
 * of the build, which checks anyway.
 */
export function requestAptUpdate(ctx: Pick<BuildContext, 'state'>): void {
  const st = ctx.state.get(APT_STATE_KEY) as AptState | undefined;
  if (st !== undefined) st.updated = false;
}

/** Run `fn` holding the shared apt cache lock. */
async function withAptLock<T>(ctx: BuildContext, fn: () => Promise<T>): Promise<T> {
  const release = await lockCacheEntry(join(ctx.cacheDir, APT_ARCHIVES_CACHE), {
    onWait: () => ctx.log.info('Another build is using the shared apt cache; waiting for it...'),
    onStale: (line) => ctx.log.info(line),
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Run an apt command in the root (caller holds the apt cache lock). */
async function runAptLocked(ctx: BuildContext, argv: string[]): Promise<void> {
  await ctx.run(argv, { env: { ...ctx.env, ...DEBIAN_BUILD_ENV } });
}

/** Run an apt command in the root under the shared apt cache lock. */
async function runApt(ctx: BuildContext, argv: string[]): Promise<void> {
  await withAptLock(ctx, () => runAptLocked(ctx, argv));
}

/** The shared lists dir (host-side path in the cache dir) of the distribution, if it has one. */
function listsDir(ctx: BuildContext, distro: DistroState): string | undefined {
  return distro.suite !== undefined && distro.mirror !== undefined ? join(ctx.cacheDir, aptListsCacheName(distro.suite, distro.mirror)) : undefined;
}

/**
 * Make the package lists current for this build, under the apt cache lock: use the cached
 * lists when they are fresh and cover every configured source (`force` = false), otherwise
 * run `apt-get update` and record the refresh time next to the lists. Returns whether the
 * cached lists were used as they are.
 */
async function refreshLists(ctx: BuildContext, distro: DistroState, force: boolean): Promise<boolean> {
  const dir = listsDir(ctx, distro);
  return withAptLock(ctx, async () => {
    if (!force && dir !== undefined && cachedListsUsable(ctx.root, dir)) {
      ctx.log.info('Package lists are fresh in the shared cache; skipping apt-get update');
      return true;
    }
    await runAptLocked(ctx, aptUpdateArgv());
    if (dir !== undefined) writeListsStamp(dir);
    return false;
  });
}

/** apt's own failure (exit 100: unknown package, fetch failed...), as opposed to a kill. */
function isAptFailure(err: unknown): err is StepFailedError {
  return err instanceof StepFailedError && err.status < 128;
}

/**
 * Run an `apt-get install` argv; when it fails on cached lists this build did not update,
 * update them once and retry (see the file comment).
 */
async function installWithRetry(ctx: BuildContext, distro: DistroState, st: AptState, argv: string[]): Promise<void> {
  try {
    await runApt(ctx, argv);
  } catch (err) {
    if (!st.listsFromCache || !isAptFailure(err)) throw err;
    ctx.log.info(`apt-get install failed on cached package lists (${err.message}); updating them and retrying`);
    st.listsFromCache = false;
    await refreshLists(ctx, distro, true);
    await runApt(ctx, argv);
  }
}

/** Reject option-like package specs, which apt-get would take as options. */
function checkSpecs(packages: readonly string[]): void {
  const bad = packages.find((p) => p.startsWith('-') || /\s/.test(p) || p === '');
  if (bad !== undefined) {
    throw new VaggaError(`Invalid package name ${JSON.stringify(bad)}`, {
      code: 'build.bad-package-name',
      hint: 'Package steps take apt package names (optionally `=VERSION` or `/SUITE`), not options.',
    });
  }
}

/**
 * When the distribution step asked for eatmydata (wantsEatmydata) and this build has not set
 * it up yet: install the `eatmydata` package as a build dependency (removed at the end of the
 * build unless `!Install`ed) and log `Eatmydata activated` (debug level: shown with
 * --verbose). Returns whether apt runs go through the wrapper. When the package cannot be
 * installed (e.g. not in the enabled components) apt runs without it, with a warning.
 */
async function ensureEatmydata(ctx: BuildContext, distro: DistroState, st: AptState): Promise<boolean> {
  if (st.eatmydata !== 'pending' || !wantsEatmydata(ctx)) return st.eatmydata === 'active';
  try {
    await installWithRetry(ctx, distro, st, aptInstallArgv([EATMYDATA_PACKAGE]));
  } catch (err) {
    if (!isAptFailure(err)) throw err;
    ctx.log.warn(`Could not install ${EATMYDATA_PACKAGE} (${err.message}); apt runs without it`);
    st.eatmydata = 'unavailable';
    return false;
  }
  st.buildDeps.push(EATMYDATA_PACKAGE);
  st.eatmydata = 'active';
  ctx.log.debug(EATMYDATA_ACTIVATED);
  return true;
}

/** Text of `rel` in the root, or '' when missing. */
function rootText(ctx: BuildContext, rel: string): string {
  try {
    return readFileSync(join(ctx.root, rel), 'utf8');
  } catch {
    return '';
  }
}

/** Names of the packages installed in the root now (dpkg's status database). */
function installedNow(ctx: BuildContext): Set<string> {
  return installedPackages(rootText(ctx, 'var/lib/dpkg/status'));
}

/**
 * Install `packages` with apt-get (after one `apt-get update` per build, skipped for fresh
 * cached lists, see refreshLists/installWithRetry; through eatmydata
 * when the distribution asked for it, see ensureEatmydata). `buildDep` marks them for
 * removal at the end of the build unless `!Install`ed (before or after); plain installs
 * un-mark them. An empty list does nothing. Throws VaggaError (121) for option-like specs,
 * StepFailedError when apt fails.
 */
export async function aptInstall(ctx: BuildContext, distro: DistroState, packages: readonly string[], buildDep: boolean): Promise<void> {
  const st = aptState(ctx);
  st.baseline ??= installedNow(ctx);
  if (buildDep) st.buildDeps.push(...packages);
  else for (const p of packages) st.installed.add(packageName(p));
  if (packages.length === 0) return;
  checkSpecs(packages);
  enableDebianContext(ctx, distro);
  if (!st.mapsChecked) {
    requireDebianIdMap();
    st.mapsChecked = true;
  }
  if (!st.updated) {
    st.listsFromCache = await refreshLists(ctx, distro, false);
    st.updated = true;
  }
  const install = aptInstallArgv(packages);
  await installWithRetry(ctx, distro, st, (await ensureEatmydata(ctx, distro, st)) ? withEatmydata(install) : install);
}

/** Record `!Install`ed packages of an inherited container (replay): they are never build deps. */
export function recordInstalled(ctx: BuildContext, packages: readonly string[]): void {
  const st = aptState(ctx);
  for (const p of packages) st.installed.add(packageName(p));
}

/** Empty directory `dir` except the entries named in `keep` (missing dir: nothing). */
function emptyDir(dir: string, keep: readonly string[] = []): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (!keep.includes(n)) rmSync(join(dir, n), { recursive: true, force: true });
}

/**
 * Remove this build's build dependencies: everything apt installed for them that no kept
 * package depends on, purged. A build dependency is kept when `!Install` named it too or the
 * root had it before the build's first apt run. Those earlier packages are held `manual`
 * during `apt-get autoremove` (which here ignores recommends and suggestions, see
 * aptAutoremoveArgv), so only packages this build added can go; their marks are restored
 * afterwards. Vagga: `apt-mark auto` + `apt-get autoremove` (inventory §2.6).
 */
async function removeBuildDeps(ctx: BuildContext, st: AptState): Promise<void> {
  const baseline = st.baseline ?? new Set<string>();
  const remove = buildDepsToRemove(st.buildDeps, new Set([...st.installed, ...baseline]));
  if (remove.length === 0) return;
  ctx.log.info(`Removing build dependencies: ${remove.join(' ')}`);
  const auto = autoInstalledPackages(rootText(ctx, 'var/lib/apt/extended_states'));
  const held = [...baseline].filter((p) => auto.has(p)).sort();
  if (held.length > 0) await runApt(ctx, aptMarkManualArgv(held));
  await runApt(ctx, aptMarkAutoArgv(remove));
  await runApt(ctx, aptAutoremoveArgv());
  if (held.length > 0) await runApt(ctx, aptMarkAutoArgv(held));
}

/**
 * Finish hook of a Debian build: remove build dependencies (removeBuildDeps), then clear
 * apt's package lists (keeping `lock` and an empty `partial`), binary caches and apt/dpkg
 * logs in the root. The shared caches are untouched.
 */
async function finishDebian(ctx: BuildContext): Promise<void> {
  await removeBuildDeps(ctx, aptState(ctx));
  for (const rel of APT_STATE_TO_CLEAR) {
    const dir = inContainerRoot(ctx.root, `/${rel}`);
    emptyDir(dir, ['lock', 'partial']);
    emptyDir(join(dir, 'partial'));
  }
  for (const rel of APT_FILES_TO_REMOVE) rmSync(inContainerRoot(ctx.root, `/${rel}`, { followLast: false }), { force: true });
  for (const rel of LOGS_TO_TRUNCATE) {
    try {
      truncateSync(inContainerRoot(ctx.root, `/${rel}`), 0);
    } catch {
      /* not present */
    }
  }
  mkdirSync(inContainerRoot(ctx.root, `${APT_LISTS_PATH}/partial`), { recursive: true });
}
