/**
 * Running apk for Alpine builds, through BuildContext.run (inside the root, as `/`, with
 * `/etc/apk/cache` bind-mounted from `<cache>/alpine-cache`, Vagga's cache dir name,
 * vagga-inventory.md §2.6): the bootstrap with apk.static, package installs with the
 * root's own apk, and the finish hook that removes build dependencies (`apk del`).
 * Per-build state lives in BuildContext.state under `alpine.apk`.
 */
import { copyFileSync, chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BuildContext } from '../step.js';
import { buildDepsToRemove, packageName } from '../debian/apt.js';
import type { DistroState } from '../debian/distro.js';
import {
  ALPINE_BUILD_ENV, ALPINE_PACKAGE_CACHE, APK_CACHE_PATH, APK_STATIC_IN_ROOT, apkAddArgv, apkBootstrapArgv, apkDelArgv,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';

interface ApkState {
  /** Run `apk --update-cache` on the next install (first install, or a repository was added). */
  needUpdate: boolean;
  installed: Set<string>;
  buildDeps: string[];
  finishRegistered: boolean;
}

const APK_STATE_KEY = 'alpine.apk';

function apkState(ctx: Pick<BuildContext, 'state'>): ApkState {
  let st = ctx.state.get(APK_STATE_KEY) as ApkState | undefined;
  if (st === undefined) {
    st = { needUpdate: true, installed: new Set(), buildDeps: [], finishRegistered: false };
    ctx.state.set(APK_STATE_KEY, st);
  }
  return st;
}

/** The next install refreshes apk's index (after `!AlpineRepo`/`!Repo`). */
export function requestApkUpdate(ctx: Pick<BuildContext, 'state'>): void {
  apkState(ctx).needUpdate = true;
}

/**
 * Make the Alpine context effective for the following steps: env (LANG, PATH), the apk
 * cache mount and (once) the finish hook removing build dependencies. Idempotent.
 */
export function enableAlpineContext(ctx: BuildContext): void {
  Object.assign(ctx.env, ALPINE_BUILD_ENV);
  ctx.cacheMounts.set(APK_CACHE_PATH, ALPINE_PACKAGE_CACHE);
  const st = apkState(ctx);
  if (!st.finishRegistered) {
    st.finishRegistered = true;
    ctx.finish.hooks.push(() => finishAlpine(ctx));
  }
}

/**
 * After a build resumed from a cached layer (src/builder/builder-state.ts): refresh apk's
 * index before the next install and register the finish hook again.
 */
export function resumeAlpineContext(ctx: BuildContext): void {
  const st = ctx.state.get(APK_STATE_KEY) as ApkState | undefined;
  if (st === undefined) return;
  st.needUpdate = true;
  if (st.finishRegistered) ctx.finish.hooks.push(() => finishAlpine(ctx));
}

/**
 * Install alpine-base into the empty root with the host-side `apkStatic` (copied into the
 * root's /tmp for the run and removed afterwards). `/etc/apk/repositories` must be written.
 */
export async function apkBootstrap(ctx: BuildContext, apkStatic: string, arch: string): Promise<void> {
  const inside = inContainerRoot(ctx.root, APK_STATIC_IN_ROOT);
  mkdirSync(dirname(inside), { recursive: true, mode: 0o1777 });
  copyFileSync(apkStatic, inside);
  chmodSync(inside, 0o755);
  try {
    await ctx.run(apkBootstrapArgv(arch), { cwd: '/' });
  } finally {
    rmSync(inside, { force: true });
  }
  apkState(ctx).needUpdate = false;
}

/**
 * `!Install`/`!BuildDeps` on Alpine: `apk add` (with `--update-cache` the first time and
 * after a repository change). Build deps are removed at the end unless also `!Install`ed.
 */
export async function apkInstall(ctx: BuildContext, _distro: DistroState, packages: readonly string[], buildDep: boolean): Promise<void> {
  const st = apkState(ctx);
  if (buildDep) st.buildDeps.push(...packages);
  else for (const p of packages) st.installed.add(packageName(p));
  if (packages.length === 0) return;
  enableAlpineContext(ctx);
  await ctx.run(apkAddArgv(packages, st.needUpdate), { cwd: '/' });
  st.needUpdate = false;
}

/** Record `!Install`ed packages of an inherited container (replay). */
export function recordApkInstalled(ctx: BuildContext, packages: readonly string[]): void {
  const st = apkState(ctx);
  for (const p of packages) st.installed.add(packageName(p));
}

async function finishAlpine(ctx: BuildContext): Promise<void> {
  const st = apkState(ctx);
  const remove = buildDepsToRemove(st.buildDeps, st.installed);
  if (remove.length > 0) {
    ctx.log.info(`Removing build dependencies: ${remove.join(' ')}`);
    await ctx.run(apkDelArgv(remove), { cwd: '/' });
  }
}
