/**
 * `!Alpine vX.Y` and `!AlpineRepo {url, branch, repo, tag}` (vagga-inventory.md §1.4):
 * start the container from Alpine's `alpine-base` installed by apk.static from the
 * `alpine-mirror` setting (src/steps/alpine/plan.ts explains the bootstrap), and add
 * repositories to `/etc/apk/repositories`. Version hashes unchanged from Vagga (`version`;
 * opt url, opt branch, repo, opt tag); the mirror is not hashed (§2.1).
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { opt, str, struct } from '../../config/schema.js';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuildContext, PrepareContext, StepDef } from '../step.js';
import { activateDistro, type DistroState } from '../debian/distro.js';
import { ensureMountPointDirs, unexpectedRootEntry } from '../debian/unpack.js';
import { requireDistroOf } from '../distro-specific.js';
import { cachedApkStatic, ensureApkStatic } from './apk-static.js';
import { apkBootstrap, enableAlpineContext, requestApkUpdate } from './apk-run.js';
import {
  alpineRepoLine, alpineRepositoriesText, apkArch, checkAlpineVersion, resolveAlpineMirror, type AlpineRepoSpec,
} from './plan.js';
import { inContainerRoot } from '../root-path.js';

/** The host's Alpine architecture; throws VaggaError (121) on hosts Alpine does not support. */
function hostApkArch(): string {
  const arch = apkArch();
  if (arch === undefined) throw new VaggaError(`Alpine has no packages for this machine's architecture (${process.arch})`, { code: 'build.unsupported-arch' });
  return arch;
}

/** The `/etc/apk/repositories` path in the root. */
function repositoriesFile(root: string): string {
  return inContainerRoot(root, '/etc/apk/repositories');
}

const alpine: StepDef<string> = {
  tag: 'Alpine',
  projectFree: () => true,
  schema: str(),
  hash: (v, d) => d.field('version', v),
  async prepare(version, ctx: PrepareContext) {
    checkAlpineVersion(version);
    const mirror = resolveAlpineMirror(ctx.settings.alpineMirror);
    await ensureApkStatic({ mirror, version, arch: hostApkArch(), cacheDir: ctx.cacheDir, log: ctx.log, signal: ctx.signal });
  },
  async build(version, ctx: BuildContext) {
    checkAlpineVersion(version);
    const mirror = resolveAlpineMirror(ctx.settings.alpineMirror);
    const arch = hostApkArch();
    activateDistro(ctx, { name: 'alpine', suite: version, mirror });
    const extra = unexpectedRootEntry(ctx.root);
    if (extra !== undefined) {
      throw new VaggaError(`!Alpine must be the first step that puts files into the container, but "/${extra}" already exists`, {
        code: 'build.not-first-step',
        hint: 'Move `!Alpine` to the top of the `setup` list.',
      });
    }
    const apkStatic = cachedApkStatic(ctx.cacheDir, version, arch, mirror);
    if (apkStatic === undefined) {
      throw new VaggaError(`apk.static for Alpine ${version} is missing from the cache`, {
        code: 'build.base-missing',
        hint: 'It is fetched before the build starts; was the cache directory cleaned during the build? Run the build again.',
      });
    }
    mkdirSync(inContainerRoot(ctx.root, '/etc/apk'), { recursive: true });
    if (!existsSync(repositoriesFile(ctx.root))) writeFileSync(repositoriesFile(ctx.root), alpineRepositoriesText(mirror, version));
    enableAlpineContext(ctx);
    await apkBootstrap(ctx, apkStatic, arch);
    ensureMountPointDirs(ctx.root);
  },
  replay(version, ctx) {
    activateDistro(ctx, { name: 'alpine', suite: version, mirror: resolveAlpineMirror(ctx.settings.alpineMirror) });
    enableAlpineContext(ctx);
  },
};

/** Append one repository line to the root's `/etc/apk/repositories` and refresh apk's index on the next install. */
export function addAlpineRepo(ctx: BuildContext, distro: DistroState, spec: AlpineRepoSpec): void {
  const line = alpineRepoLine(spec, distro.mirror ?? resolveAlpineMirror(ctx.settings.alpineMirror), distro.suite ?? '');
  mkdirSync(inContainerRoot(ctx.root, '/etc/apk'), { recursive: true });
  appendFileSync(repositoriesFile(ctx.root), `${line}\n`);
  requestApkUpdate(ctx);
}

const alpineRepo: StepDef<AlpineRepoSpec> = {
  tag: 'AlpineRepo',
  projectFree: () => true,
  schema: struct({ url: opt(str()), branch: opt(str()), repo: str(), tag: opt(str()) }),
  hash(p, d) {
    d.optField('url', p.url);
    d.optField('branch', p.branch);
    d.field('repo', p.repo);
    d.optField('tag', p.tag);
  },
  async build(p, ctx) {
    addAlpineRepo(ctx, requireDistroOf(ctx, ['alpine']), p);
  },
};

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [alpine, alpineRepo];
