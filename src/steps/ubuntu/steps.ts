/**
 * Vagga's Ubuntu steps and the apt source steps (vagga-inventory.md §1.4, §2.6):
 *  - `!Ubuntu CODENAME` (= `!UbuntuRelease {codename}`), `!UbuntuRelease {codename|version|url,
 *    arch, keep-chfn-command, eatmydata}`: start the container from an Ubuntu root
 *    (mmdebstrap bootstrap from the `ubuntu-mirror` setting, or a root tarball `url`);
 *  - `!UbuntuUniverse`, `!UbuntuPPA user/ppa` (Ubuntu only);
 *  - `!UbuntuRepo {url, suite, components, trusted}` and `!AptTrust {server, keys}`: also on
 *    `!Debian` (our extension; Vagga had them on Ubuntu only).
 * Version hashes are Vagga's (unchanged from the parse-only definitions; `eatmydata` and the
 * mirror are not hashed, §2.1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNull } from '../../config/qnode.js';
import { bool, custom, def, fail, list, opt, str, struct, type Out, type Schema } from '../../config/schema.js';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuildContext, StepDef } from '../step.js';
import { aptInstall, enableDebianContext } from '../debian/apt-run.js';
import { APT_TRUST_PACKAGES, DEFAULT_KEYSERVER, aptTrustKeyringPath, aptTrustScript, isKeyId } from '../debian/apt-trust.js';
import { activateDistro, currentDistro, type DistroState } from '../debian/distro.js';
import { setEatmydata } from '../debian/eatmydata.js';
import { aptDistro, repoLine, repoListFileName, universeListText, writeAptSource } from '../debian/repos.js';
import { replaceChfn, unpackBase, writeRootConfig } from '../debian/unpack.js';
import { requireDebianIdMap } from '../debian/userns.js';
import { prepareSource, sourcePath } from '../download.js';
import { APT_DISTROS, requireDistroOf } from '../distro-specific.js';
import { ensureUbuntuTarball, ubuntuTarballPath } from './bootstrap.js';
import {
  UBUNTU_REPLACED_SOURCE_FILES, codenameFromRelease, resolveUbuntuMirror, ubuntuConfigFiles, ubuntuSource, type UbuntuReleaseParams,
} from './plan.js';

/** Tag-only steps whose value must be null (`!UbuntuUniverse`). */
function nothing(): Schema<null> {
  return custom('nothing', (node, ctx) => {
    if (!isNull(node)) fail(ctx, node, 'Expected nothing (null)');
    return null;
  });
}

/**
 * The PPA archive of `user/ppa` (Vagga's `!UbuntuPPA`): `<base>/<user>/<ppa>/ubuntu`, where
 * `base` is the `ubuntu-ppa-mirror` setting (Vagga hard-codes Launchpad's PPA host; we name no
 * archive host in code, like the other mirrors). Throws VaggaError (121) when it is not set.
 */
export function ppaUrl(name: string, base: string | undefined): string {
  if (!base) {
    throw new VaggaError(`!UbuntuPPA ${name} needs the \`ubuntu-ppa-mirror\` setting: the base URL of the PPA archives.`, {
      code: 'build.no-mirror',
      hint: 'Add to ~/.config/vagga/settings.yaml: `ubuntu-ppa-mirror: <URL of the PPA archive host>` (PPAs are served as <base>/<user>/<ppa>/ubuntu).',
    });
  }
  return `${base.replace(/\/+$/, '')}/${name}/ubuntu`;
}

/** Codename of the Ubuntu root at `root` (os-release, then lsb-release), or undefined. */
function rootCodename(root: string): string | undefined {
  for (const rel of ['etc/os-release', 'usr/lib/os-release', 'etc/lsb-release']) {
    try {
      const c = codenameFromRelease(readFileSync(join(root, rel), 'utf8'));
      if (c) return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** Write the apt/dpkg configuration and mount-point dirs into a freshly unpacked Ubuntu root. */
function configureUbuntuRoot(root: string, mirror: string, codename: string, keepChfn: boolean): void {
  writeRootConfig(root, ubuntuConfigFiles(mirror, codename), UBUNTU_REPLACED_SOURCE_FILES);
  // Vagga: chfn cannot work in a build (user namespace); adduser calls it.
  if (!keepChfn) replaceChfn(root);
}

/** The `!UbuntuRelease` build, shared by `!Ubuntu`. */
async function buildUbuntu(p: UbuntuReleaseParams, ctx: BuildContext): Promise<void> {
  const source = ubuntuSource(p);
  const mirror = resolveUbuntuMirror(ctx.settings.ubuntuMirror);
  const distro: DistroState = { name: 'ubuntu', suite: source.codename, mirror };
  activateDistro(ctx, distro);
  requireDebianIdMap();
  const tarball = source.kind === 'bootstrap'
    ? ubuntuTarballPath(ctx.cacheDir, source.codename, p.arch, mirror)
    : sourcePath('UbuntuRelease', source.url, undefined, ctx);
  await unpackBase(tarball, ctx.root, 'Ubuntu', '!Ubuntu');
  distro.suite ??= rootCodename(ctx.root);
  if (distro.suite === undefined) {
    throw new VaggaError(`Could not read the Ubuntu codename from /etc/os-release of ${source.kind === 'tarball' ? source.url : 'the base'}`, {
      code: 'build.bad-base',
      hint: 'Add `codename:` to the !UbuntuRelease step.',
    });
  }
  configureUbuntuRoot(ctx.root, mirror, distro.suite, p.keepChfnCommand);
  setEatmydata(ctx, p.eatmydata);
  enableDebianContext(ctx, distro);
}

/** Re-establish an inherited Ubuntu root's context (`!Container`). */
function replayUbuntu(p: UbuntuReleaseParams, ctx: BuildContext): void {
  const mirror = resolveUbuntuMirror(ctx.settings.ubuntuMirror);
  const suite = p.codename ?? (p.url === undefined ? ubuntuSource(p).codename : undefined) ?? rootCodename(ctx.root);
  const distro: DistroState = { name: 'ubuntu', suite, mirror };
  activateDistro(ctx, distro);
  setEatmydata(ctx, p.eatmydata);
  enableDebianContext(ctx, distro);
}

async function prepareUbuntu(p: UbuntuReleaseParams, ctx: Parameters<NonNullable<StepDef['prepare']>>[1]): Promise<void> {
  const source = ubuntuSource(p);
  const mirror = resolveUbuntuMirror(ctx.settings.ubuntuMirror);
  if (source.kind === 'tarball') {
    await prepareSource('UbuntuRelease', source.url, undefined, ctx);
    return;
  }
  await ensureUbuntuTarball({ codename: source.codename, arch: p.arch, mirror, cacheDir: ctx.cacheDir, log: ctx.log, signal: ctx.signal });
}

/** `!Ubuntu <codename>` as the `!UbuntuRelease` it stands for (amd64, eatmydata, chfn removed). Pure. */
function ubuntuReleaseOf(codename: string): UbuntuReleaseParams {
  return { codename, arch: 'amd64', keepChfnCommand: false, eatmydata: true };
}

const ubuntu: StepDef<string> = {
  tag: 'Ubuntu',
  projectFree: () => true,
  schema: str(),
  hash: (v, d) => d.field('codename', v),
  prepare: (v, ctx) => prepareUbuntu(ubuntuReleaseOf(v), ctx),
  build: (v, ctx) => buildUbuntu(ubuntuReleaseOf(v), ctx),
  replay: (v, ctx) => replayUbuntu(ubuntuReleaseOf(v), ctx),
};

const ubuntuRelease: StepDef<UbuntuReleaseParams> = {
  tag: 'UbuntuRelease',
  projectFree: () => true,
  schema: struct({
    codename: opt(str()),
    version: opt(str()),
    url: opt(str()),
    arch: def(str(), 'amd64'),
    'keep-chfn-command': def(bool(), false),
    eatmydata: def(bool(), true),
  }),
  hash(p, d) {
    d.optField('codename', p.codename);
    d.optField('version', p.version);
    d.optField('url', p.url);
    d.field('arch', p.arch);
    d.field('keep_chfn_command', p.keepChfnCommand);
  },
  prepare: prepareUbuntu,
  build: buildUbuntu,
  replay: replayUbuntu,
};

const ubuntuUniverse: StepDef<null> = {
  tag: 'UbuntuUniverse',
  projectFree: () => true,
  schema: nothing(),
  hash() {},
  async build(_p, ctx) {
    const { codename, mirror } = aptDistro(requireDistroOf(ctx, ['ubuntu']), 'UbuntuUniverse');
    writeAptSource(ctx, 'universe.list', universeListText(mirror, codename));
  },
};

const ubuntuPpa: StepDef<string> = {
  tag: 'UbuntuPPA',
  projectFree: () => true,
  schema: str(),
  hash: (v, d) => d.field('ppa_name', v),
  async build(name, ctx) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*\/[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) {
      throw new VaggaError(`!UbuntuPPA expects "user/ppa-name", got ${JSON.stringify(name)}`, { code: 'build.bad-step-option' });
    }
    const { codename } = aptDistro(requireDistroOf(ctx, ['ubuntu']), 'UbuntuPPA');
    const url = ppaUrl(name, ctx.settings.ubuntuPpaMirror);
    writeAptSource(ctx, repoListFileName(url, codename, ['main']), `${repoLine({ url, suite: codename, components: ['main'] })}\n`);
  },
};

const ubuntuRepoSchema = struct({
  url: opt(str()),
  suite: opt(str()),
  components: list(str()),
  trusted: def(bool(), false),
});

/** `!UbuntuRepo` parameters. */
export type UbuntuRepoParams = Out<typeof ubuntuRepoSchema>;

const ubuntuRepo: StepDef<UbuntuRepoParams> = {
  tag: 'UbuntuRepo',
  projectFree: () => true,
  schema: ubuntuRepoSchema,
  hash(p, d) {
    d.optField('url', p.url);
    d.optField('suite', p.suite);
    d.list('components', p.components);
    d.field('trusted', p.trusted);
  },
  async build(p, ctx) {
    const distro = requireDistroOf(ctx, APT_DISTROS);
    const { codename, mirror } = aptDistro(distro, 'UbuntuRepo');
    const suite = p.suite ?? codename;
    const url = p.url ?? mirror;
    // apt needs CA certificates before it can update from an https source (Vagga installed them as build deps).
    if (url.startsWith('https://')) await aptInstall(ctx, distro, ['ca-certificates'], true);
    const text = `${repoLine({ url, suite, components: p.components, trusted: p.trusted })}\n`;
    writeAptSource(ctx, repoListFileName(p.url, suite, p.components), text);
  },
};

const aptTrustSchema = struct({ server: opt(str()), keys: def(list(str()), [] as string[]) });

/** `!AptTrust` parameters. */
export type AptTrustParams = Out<typeof aptTrustSchema>;

const aptTrust: StepDef<AptTrustParams> = {
  tag: 'AptTrust',
  projectFree: () => true,
  schema: aptTrustSchema,
  hash(p, d) {
    d.optField('server', p.server);
    d.list('keys', p.keys);
  },
  async build(p, ctx) {
    const distro = requireDistroOf(ctx, APT_DISTROS);
    if (p.keys.length === 0) return;
    const bad = p.keys.find((k) => !isKeyId(k));
    if (bad !== undefined) {
      throw new VaggaError(`!AptTrust: ${JSON.stringify(bad)} is not a key id (8 to 40 hex digits)`, { code: 'build.bad-step-option' });
    }
    const server = p.server ?? DEFAULT_KEYSERVER;
    await aptInstall(ctx, distro, APT_TRUST_PACKAGES, true);
    const keyring = aptTrustKeyringPath(server, p.keys);
    try {
      await ctx.run(['/bin/sh', '-c', aptTrustScript(server, p.keys, keyring)], { cwd: '/' });
    } catch (err) {
      const status = /exited with (?:code|status) (\d+)/.exec((err as Error).message)?.[1];
      throw new VaggaError(`!AptTrust: could not receive keys ${p.keys.join(', ')} from the keyserver ${server}${status ? ` (gpg exited with status ${status})` : `: ${(err as Error).message}`}`, {
        code: 'build.key-fetch-failed',
        hint:
          'Check that the keyserver is reachable from this machine (gpg\'s messages above tell why it failed), or name another one with `server:`.\n' +
          'Without a reachable keyserver, put the key file in the project and install it with `!Copy`/`!Sh` into /etc/apt/trusted.gpg.d/.',
      });
    }
    ctx.log.debug(`!AptTrust: keys ${p.keys.join(', ')} written to ${keyring}`);
  },
};

/** Whether an Ubuntu distribution step is active (for `!Repo`). */
export function isAptDistro(ctx: Pick<BuildContext, 'state'>): boolean {
  const d = currentDistro(ctx);
  return d !== undefined && APT_DISTROS.includes(d.name);
}

/** Step definitions of this module, for src/steps/registry.ts. */
export const steps: StepDef<any>[] = [ubuntu, ubuntuRelease, ubuntuUniverse, ubuntuRepo, ubuntuPpa, aptTrust];
