/**
 * Running apt for package steps inside the root being built (through BuildContext.run), with
 * apt's caches shared across builds in the user's cache dir:
 *   /var/cache/apt/archives  <- <cache>/apt-archives-debian            (.debs, all Debian builds)
 *   /var/lib/apt/lists       <- <cache>/apt-lists-debian-<suite>-<8hex> (per suite and mirror)
 * Concurrent builds sharing these dirs are serialised by a lock on the archives cache entry
 * (`<cache>/apt-archives-debian.lock`) held around every apt run, so apt's own non-waiting
 * locks never trip and the caches are never written by two apt processes at once.
 * Build-time behaviour follows vagga-inventory.md §2.6.
 */
import { mkdirSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { StepFailedError } from '../../build/errors.js';
import { ExitCode, VaggaError } from '../../errors/vagga-error.js';
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
  aptUpdateArgv,
  buildDepsToRemove,
  packageName,
} from './apt.js';
import { lockCacheEntry } from './cache-lock.js';
import type { DistroState } from './distro.js';
import { EATMYDATA_ACTIVATED, EATMYDATA_PACKAGE, wantsEatmydata, withEatmydata } from './eatmydata.js';
import { requireDebianIdMap } from './userns.js';

/** Per-build apt bookkeeping, in BuildContext.state under `debian.apt`. */
interface AptState {
  /** `apt-get update` already ran in this build. */
  updated: boolean;
  /** Id maps were checked in this build. */
  mapsChecked: boolean;
  /** Names of packages installed with `!Install` (never removed as build deps). */
  installed: Set<string>;
  /** `!BuildDeps` specs, in order. */
  buildDeps: string[];
  /** eatmydata in this build: not set up yet, installed (it wraps apt runs), or not installable. */
  eatmydata: 'pending' | 'active' | 'unavailable';
  /** The finish hook is registered. */
  finishRegistered: boolean;
}

const APT_STATE_KEY = 'debian.apt';

function aptState(ctx: BuildContext): AptState {
  let st = ctx.state.get(APT_STATE_KEY) as AptState | undefined;
  if (st === undefined) {
    st = { updated: false, mapsChecked: false, installed: new Set(), buildDeps: [], eatmydata: 'pending', finishRegistered: false };
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
 * Make the next `!Install`/`!BuildDeps` run `apt-get update` first (used when a step added an
 * apt source, src/steps/debian/repos.ts). Does nothing before the first apt run of the build,
 * which updates anyway.
 */
export function requestAptUpdate(ctx: Pick<BuildContext, 'state'>): void {
  const st = ctx.state.get(APT_STATE_KEY) as AptState | undefined;
  if (st !== undefined) st.updated = false;
}

/** Run an apt command in the root under the shared apt cache lock. */
async function runApt(ctx: BuildContext, argv: string[]): Promise<void> {
  const release = await lockCacheEntry(join(ctx.cacheDir, APT_ARCHIVES_CACHE), {
    onWait: () => ctx.log.info('Another build is using the shared apt cache; waiting for it...'),
    onCompromised: (err) => ctx.log.warn(`Lock on the apt cache was lost: ${err.message}`),
  });
  try {
    await ctx.run(argv, { env: { ...ctx.env, ...DEBIAN_BUILD_ENV } });
  } finally {
    await release();
  }
}

/** Reject option-like package specs, which apt-get would take as options. */
function checkSpecs(packages: readonly string[]): void {
  const bad = packages.find((p) => p.startsWith('-') || /\s/.test(p) || p === '');
  if (bad !== undefined) {
    throw new VaggaError(`Invalid package name ${JSON.stringify(bad)}`, {
      exitCode: ExitCode.launcher,
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
async function ensureEatmydata(ctx: BuildContext, st: AptState): Promise<boolean> {
  if (st.eatmydata !== 'pending' || !wantsEatmydata(ctx)) return st.eatmydata === 'active';
  try {
    await runApt(ctx, aptInstallArgv([EATMYDATA_PACKAGE]));
  } catch (err) {
    // apt's own failure (exit 100: unknown package, unreachable mirror...), not a kill.
    if (!(err instanceof StepFailedError) || err.status >= 128) throw err;
    ctx.log.warn(`Could not install ${EATMYDATA_PACKAGE} (${err.message}); apt runs without it`);
    st.eatmydata = 'unavailable';
    return false;
  }
  st.buildDeps.push(EATMYDATA_PACKAGE);
  st.eatmydata = 'active';
  ctx.log.debug(EATMYDATA_ACTIVATED);
  return true;
}

/**
 * Install `packages` with apt-get (after one `apt-get update` per build; through eatmydata
 * when the distribution asked for it, see ensureEatmydata). `buildDep` marks them for
 * removal at the end of the build unless `!Install`ed (before or after); plain installs
 * un-mark them. An empty list does nothing. Throws VaggaError (121) for option-like specs,
 * StepFailedError when apt fails.
 */
export async function aptInstall(ctx: BuildContext, distro: DistroState, packages: readonly string[], buildDep: boolean): Promise<void> {
  const st = aptState(ctx);
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
    await runApt(ctx, aptUpdateArgv());
    st.updated = true;
  }
  const install = aptInstallArgv(packages);
  await runApt(ctx, (await ensureEatmydata(ctx, st)) ? withEatmydata(install) : install);
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
 * Finish hook of a Debian build: remove build dependencies (`apt-mark auto` + `apt-get
 * autoremove -y`), then clear apt's package lists (keeping `lock` and an empty `partial`),
 * binary caches and apt/dpkg logs in the root. The shared caches are untouched.
 */
async function finishDebian(ctx: BuildContext): Promise<void> {
  const st = aptState(ctx);
  const remove = buildDepsToRemove(st.buildDeps, st.installed);
  if (remove.length > 0) {
    ctx.log.info(`Removing build dependencies: ${remove.join(' ')}`);
    await runApt(ctx, aptMarkAutoArgv(remove));
    await runApt(ctx, aptAutoremoveArgv());
  }
  for (const rel of APT_STATE_TO_CLEAR) {
    const dir = join(ctx.root, rel);
    emptyDir(dir, ['lock', 'partial']);
    emptyDir(join(dir, 'partial'));
  }
  for (const rel of APT_FILES_TO_REMOVE) rmSync(join(ctx.root, rel), { force: true });
  for (const rel of LOGS_TO_TRUNCATE) {
    try {
      truncateSync(join(ctx.root, rel), 0);
    } catch {
      /* not present */
    }
  }
  mkdirSync(join(ctx.root, APT_LISTS_PATH.slice(1), 'partial'), { recursive: true });
}
