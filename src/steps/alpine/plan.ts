/**
 * Alpine containers, planned as data (pure, unit-tested; vagga-inventory.md §1.4 `!Alpine`,
 * `!AlpineRepo`, `!Repo`, §2.6): the version check, the mirror, the `/etc/apk/repositories`
 * lines, where apk-tools-static is found on the mirror, and apk(8) command lines.
 *
 * Bootstrap (the Alpine wiki's "Installing Alpine Linux in a chroot" method, since this
 * port has no bundled apk): read `<mirror><ver>/main/<arch>/APKINDEX.tar.gz`, download the
 * `apk-tools-static` package listed there, take its `sbin/apk.static`, then
 * `apk.static --root ROOT --initdb --allow-untrusted add alpine-base`. `--allow-untrusted`
 * only for that first install: alpine-base brings alpine-keys, so every later apk run in
 * the build verifies signatures with the root's own `/etc/apk/keys`.
 */
import { VaggaError } from '../../errors/vagga-error.js';

/** Vagga's version pattern (the `.` is unescaped there too: it matches any character). */
export const ALPINE_VERSION_REGEX = /^v\d+.\d+$/;

/**
 * Check an `!Alpine` version (`v3.18`). Throws VaggaError (121) with Vagga's exact message
 * `Error checking alpine version: '<version>'` otherwise.
 */
export function checkAlpineVersion(version: string): void {
  if (!ALPINE_VERSION_REGEX.test(version)) {
    throw new VaggaError(`Error checking alpine version: '${version}'`, {
      code: 'build.bad-alpine-version',
      hint: 'Alpine versions look like `v3.18` (a branch of the Alpine mirror).',
    });
  }
}

const MIRROR_HINT =
  'Alpine containers are installed from the mirror in the `alpine-mirror` setting. Set it in\n' +
  '~/.config/vagga/settings.yaml (or in .vagga.settings.yaml of the project, or VAGGA_SETTINGS), e.g.:\n' +
  '    alpine-mirror: http://.../alpine/';

/** Hint naming the `alpine-mirror` setting, for errors about the mirror. */
export function alpineMirrorHint(): string {
  return MIRROR_HINT;
}

/**
 * The Alpine mirror from the `alpine-mirror` setting, with exactly one trailing `/` (Vagga
 * appends one: repository lines are `<mirror><branch>/<repo>`). Throws VaggaError (121)
 * naming the setting when unset or not http(s)://.
 */
export function resolveAlpineMirror(setting: string | undefined): string {
  if (setting === undefined || setting.trim() === '') {
    throw new VaggaError('No Alpine mirror configured: the `alpine-mirror` setting is not set', { code: 'build.no-mirror', hint: MIRROR_HINT });
  }
  const mirror = `${setting.trim().replace(/\/+$/, '')}/`;
  if (!/^https?:\/\//.test(mirror)) {
    throw new VaggaError(`The \`alpine-mirror\` setting must be an http:// or https:// URL, got ${JSON.stringify(setting)}`, {
      code: 'build.bad-mirror',
      hint: MIRROR_HINT,
    });
  }
  return mirror;
}

/** Alpine's architecture name for a Node `process.arch` (undefined when Alpine has none). */
export function apkArch(nodeArch: string = process.arch): string | undefined {
  return ({ x64: 'x86_64', arm64: 'aarch64', ia32: 'x86', arm: 'armhf', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch];
}

/** Content of `/etc/apk/repositories` after `!Alpine VER`: `<mirror><ver>/main`. */
export function alpineRepositoriesText(mirror: string, version: string): string {
  return `${mirror}${version}/main\n`;
}

/** `!AlpineRepo` fields (and what `!Repo` builds). */
export interface AlpineRepoSpec {
  url?: string;
  branch?: string;
  repo: string;
  tag?: string;
}

/**
 * The repositories line of an `!AlpineRepo`: `[@TAG ]URL/BRANCH/REPO`, URL defaulting to the
 * active mirror and getting a trailing `/`, BRANCH defaulting to the distribution version.
 */
export function alpineRepoLine(spec: AlpineRepoSpec, mirror: string, version: string): string {
  const url = spec.url ?? mirror;
  const base = url.endsWith('/') ? url : `${url}/`;
  return `${spec.tag !== undefined ? `@${spec.tag} ` : ''}${base}${spec.branch ?? version}/${spec.repo}`;
}

/**
 * `!Repo NAME` on Alpine: `repo` or `branch/repo` (e.g. `community`, `edge/testing`), on the
 * active mirror. Throws Vagga's `Cannot parse repository string...` (121) otherwise.
 */
export function parseAlpineRepoName(name: string): AlpineRepoSpec {
  const parts = name.split('/');
  if (parts.length === 1) return { repo: parts[0]! };
  if (parts.length === 2) return { branch: parts[0]!, repo: parts[1]! };
  throw new VaggaError(
    `Cannot parse repository string. Should be in the next formats: 'branch/repository' or 'repository'. But was: '${name}'`,
    { code: 'build.bad-repo-name' },
  );
}

/** URL of a repository's index: `<mirror><ver>/main/<arch>/APKINDEX.tar.gz`. */
export function apkIndexUrl(mirror: string, version: string, arch: string): string {
  return `${mirror}${version}/main/${arch}/APKINDEX.tar.gz`;
}

/** URL of a package file in `main`: `<mirror><ver>/main/<arch>/<name>-<pkgver>.apk`. */
export function apkPackageUrl(mirror: string, version: string, arch: string, name: string, pkgVersion: string): string {
  return `${mirror}${version}/main/${arch}/${name}-${pkgVersion}.apk`;
}

/**
 * The version of package `name` in an APKINDEX text (records of `K:value` lines separated
 * by blank lines; `P:` name, `V:` version — apk's index format), or undefined.
 */
export function findIndexVersion(index: string, name: string): string | undefined {
  for (const record of index.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of record.split('\n')) {
      const m = /^([A-Za-z]):(.*)$/.exec(line);
      if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
    }
    if (fields.get('P') === name && fields.has('V')) return fields.get('V');
  }
  return undefined;
}

/** Container path where the bootstrap places apk.static for its one run (removed afterwards; /tmp is emptied at the end anyway). */
export const APK_STATIC_IN_ROOT = '/tmp/.vagga-apk.static';

/**
 * The bootstrap command, run inside the (still empty) root as `/`:
 * `apk.static --root / --arch ARCH --initdb --update-cache --allow-untrusted --no-progress add alpine-base`.
 */
export function apkBootstrapArgv(arch: string): string[] {
  return [APK_STATIC_IN_ROOT, '--root', '/', '--arch', arch, '--initdb', '--update-cache', '--allow-untrusted', '--no-progress', 'add', 'alpine-base'];
}

/** `apk [--update-cache] add PKGS` with the root's own apk (the index is refreshed once per build and after a repository was added). */
export function apkAddArgv(packages: readonly string[], update: boolean): string[] {
  return ['apk', '--no-progress', ...(update ? ['--update-cache'] : []), 'add', ...packages];
}

/** `apk del PKGS` (removes build dependencies at the end, like Vagga's `apk del`). */
export function apkDelArgv(packages: readonly string[]): string[] {
  return ['apk', '--no-progress', 'del', ...packages];
}

/** Container path of apk's package cache, bind-mounted from the shared cache dir during builds (Vagga's). */
export const APK_CACHE_PATH = '/etc/apk/cache';

/** Environment additions for later build steps once Alpine is active (Vagga: LANG, PATH). */
export const ALPINE_BUILD_ENV: Readonly<Record<string, string>> = {
  LANG: 'en_US.UTF-8',
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
};

/** Cache subdirectory (under the cache dir) of downloaded .apk files (Vagga's `alpine-cache`). */
export const ALPINE_PACKAGE_CACHE = 'alpine-cache';
