/**
 * Getting apk(8) for Alpine builds: the statically linked `apk.static` of the release's
 * `apk-tools-static` package, found through the release's APKINDEX on the `alpine-mirror`
 * and cached at `<cache-dir>/alpine/apk-tools-static-<pkgver>-<arch>-<8hex mirror key>/apk.static`
 * (plus a `<ver>-<arch>-<key>.current` file naming that directory, so later builds of the
 * release need no network). Runs on the host in the `!Alpine` step's `prepare`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuildLog } from '../step.js';
import { lockCacheEntry } from '../debian/cache-lock.js';
import { mirrorKey } from '../debian/mirror.js';
import { tarGzFiles } from './archive.js';
import { alpineMirrorHint, apkIndexUrl, apkPackageUrl, findIndexVersion } from './plan.js';

/** Subdirectory of the cache dir for Alpine bootstrap files. */
export const ALPINE_CACHE_SUBDIR = 'alpine';

/** Name of the static apk binary inside apk-tools-static. */
export const APK_STATIC_MEMBER = 'sbin/apk.static';

export interface ApkStaticInput {
  /** Mirror with trailing `/` (resolveAlpineMirror). */
  mirror: string;
  version: string;
  arch: string;
  cacheDir: string;
  log: BuildLog;
  signal?: AbortSignal;
  /** Replaceable for tests. */
  fetch?: typeof fetch;
}

/** The `.current` file recording which apk.static serves (version, arch, mirror). */
export function apkStaticPointer(cacheDir: string, version: string, arch: string, mirror: string): string {
  return join(cacheDir, ALPINE_CACHE_SUBDIR, `${version}-${arch}-${mirrorKey(mirror)}.current`);
}

/** Path of the cached apk.static for (version, arch, mirror), when it is already there. */
export function cachedApkStatic(cacheDir: string, version: string, arch: string, mirror: string): string | undefined {
  try {
    const dir = readFileSync(apkStaticPointer(cacheDir, version, arch, mirror), 'utf8').trim();
    const path = join(cacheDir, ALPINE_CACHE_SUBDIR, dir, 'apk.static');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

async function download(url: string, input: ApkStaticInput): Promise<Buffer> {
  let response: Response;
  try {
    response = await (input.fetch ?? fetch)(url, { signal: input.signal, redirect: 'follow' });
  } catch (err) {
    if (input.signal?.aborted) throw err;
    const cause = (err as Error & { cause?: Error }).cause;
    throw new VaggaError(`The Alpine mirror is unreachable: ${url}: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`, {
      code: 'build.mirror-unreachable',
      hint: `Check the \`alpine-mirror\` setting and your network (and proxy settings).\n${alpineMirrorHint()}`,
    });
  }
  if (!response.ok) {
    throw new VaggaError(`The Alpine mirror answered HTTP ${response.status} ${response.statusText} for ${url}`, {
      code: 'build.mirror-unreachable',
      hint: `Check that the \`alpine-mirror\` setting points to an Alpine mirror carrying ${input.version} for ${input.arch}.\n${alpineMirrorHint()}`,
    });
  }
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Make sure apk.static for the release is cached and return its host path: reuse the
 * cached one, else (under a cache lock) read the APKINDEX, download apk-tools-static and
 * extract `sbin/apk.static` (mode 0755). Throws VaggaError (121) naming `alpine-mirror` when
 * the mirror is unreachable, answers an HTTP error, or lacks the package.
 */
export async function ensureApkStatic(input: ApkStaticInput): Promise<string> {
  const cached = cachedApkStatic(input.cacheDir, input.version, input.arch, input.mirror);
  if (cached) return cached;
  const base = join(input.cacheDir, ALPINE_CACHE_SUBDIR);
  mkdirSync(base, { recursive: true });
  const pointer = apkStaticPointer(input.cacheDir, input.version, input.arch, input.mirror);
  const release = await lockCacheEntry(pointer, {
    signal: input.signal,
    onWait: () => input.log.info('Another vagga process is fetching apk-tools-static; waiting for it...'),
  });
  try {
    const again = cachedApkStatic(input.cacheDir, input.version, input.arch, input.mirror);
    if (again) return again;
    const indexUrl = apkIndexUrl(input.mirror, input.version, input.arch);
    input.log.info(`Fetching the Alpine ${input.version} package index from ${indexUrl}`);
    const index = tarGzFiles(await download(indexUrl, input)).get('APKINDEX');
    if (index === undefined) throw new VaggaError(`${indexUrl} has no APKINDEX file`, { code: 'build.bad-mirror-content', hint: alpineMirrorHint() });
    const pkgVersion = findIndexVersion(index.toString('utf8'), 'apk-tools-static');
    if (pkgVersion === undefined) {
      throw new VaggaError(`The Alpine ${input.version} index at ${indexUrl} has no apk-tools-static package`, { code: 'build.bad-mirror-content', hint: alpineMirrorHint() });
    }
    const pkgUrl = apkPackageUrl(input.mirror, input.version, input.arch, 'apk-tools-static', pkgVersion);
    input.log.info(`Downloading ${pkgUrl}`);
    const apk = tarGzFiles(await download(pkgUrl, input)).get(APK_STATIC_MEMBER);
    if (apk === undefined) throw new VaggaError(`${pkgUrl} does not contain ${APK_STATIC_MEMBER}`, { code: 'build.bad-mirror-content' });
    const dirName = `apk-tools-static-${pkgVersion}-${input.arch}-${mirrorKey(input.mirror)}`;
    const dir = join(base, dirName);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `apk.static.${process.pid}.tmp`);
    writeFileSync(tmp, apk);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(dir, 'apk.static'));
    const tmpPointer = `${pointer}.${process.pid}.tmp`;
    writeFileSync(tmpPointer, `${dirName}\n`);
    renameSync(tmpPointer, pointer);
    return join(dir, 'apk.static');
  } finally {
    rmSync(`${pointer}.${process.pid}.tmp`, { force: true });
    await release();
  }
}
