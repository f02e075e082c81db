/**
 * Whether and from where a container is downloaded instead of built (the container's
 * `image-cache-url`, vagga-inventory.md §1.3, §2.3 step 5; layers-and-images.md Part B §4).
 * Pure: the effects are in fetch-image.ts. `${container_name}` and `${short_hash}` are
 * substituted; the forms are
 *  - `http://…`, `https://…`: Vagga's tarball (`.tar`, `.tar.gz`/`.tgz`, `.tar.xz`/`.txz`,
 *    `.tar.bz2`/`.tbz2`; the compression is chosen by the name's ending);
 *  - `docker://HOST[:PORT]/REPO:TAG`: an OCI/Docker image in a registry (reference.ts);
 *  - a local tarball: `./x` (under the project), `/volumes/NAME/x` (the `external-volumes`
 *    setting) or another absolute path.
 * Nothing is downloaded with `--no-image-download`, `_build --force`/`--no-cache`, or when
 * the version is only known after building.
 */
import { isAbsolute, join, posix } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { parseRegistryRef, type RegistryRef } from '../registry/reference.js';

/** Where a cached image comes from. */
export type CacheSource =
  | { kind: 'http'; url: string; compression: TarCompression }
  | { kind: 'file'; path: string; compression: TarCompression }
  | { kind: 'registry'; ref: RegistryRef };

/** The tar decompression flag a tarball needs. */
export type TarCompression = 'none' | 'gzip' | 'xz' | 'bzip2' | 'zstd';

/** The decision: download from `source` (`url` as substituted), or not (and why, for -v). */
export type CachePlan =
  | { use: true; url: string; source: CacheSource }
  | { use: false; reason: string; warning?: string };

/** What planImageCache decides from. */
export interface CachePlanInput {
  /** The container's `image-cache-url`. */
  template: string | undefined;
  containerName: string;
  /** The 128-hex version, undefined when known only after building. */
  version: string | undefined;
  /** `_build --force` or `--no-cache`. */
  forced: boolean;
  /** `--no-image-download`. */
  noImageDownload: boolean;
  projectRoot: string;
  /** The `external-volumes` setting (for `/volumes/NAME/...` paths). */
  externalVolumes: Readonly<Record<string, string>>;
}

/** `template` with `${container_name}` and `${short_hash}` replaced (Vagga's two variables). */
export function substituteCacheUrl(template: string, containerName: string, shortHash: string): string {
  return template.replaceAll('${container_name}', containerName).replaceAll('${short_hash}', shortHash);
}

/** The compression of a tarball by the end of its name (query and fragment ignored). */
export function tarCompressionOf(name: string): TarCompression {
  const path = name.replace(/[?#].*$/, '').toLowerCase();
  if (/\.(tar\.gz|tgz)$/.test(path)) return 'gzip';
  if (/\.(tar\.xz|txz)$/.test(path)) return 'xz';
  if (/\.(tar\.bz2|tbz2?)$/.test(path)) return 'bzip2';
  if (/\.(tar\.zst|tzst)$/.test(path)) return 'zstd';
  return 'none';
}

/**
 * Parse a substituted URL into a source. Throws VaggaError `registry.bad-reference` (a bad
 * `docker://` reference, e.g. an uppercase container name) or `image.bad-cache-url`.
 */
export function cacheSource(url: string, projectRoot: string, externalVolumes: Readonly<Record<string, string>>): CacheSource {
  if (url.startsWith('docker://')) return { kind: 'registry', ref: parseRegistryRef(url, 'image-cache-url') };
  if (/^https?:\/\//.test(url)) return { kind: 'http', url, compression: tarCompressionOf(url) };
  if (url.startsWith('/volumes/')) {
    const [, , volume, ...rest] = url.split('/');
    const host = externalVolumes[volume!];
    if (!host) {
      throw new VaggaError(`image-cache-url ${JSON.stringify(url)} names the external volume ${JSON.stringify(volume)}, which the external-volumes setting does not define`, { code: 'image.bad-cache-url' });
    }
    return { kind: 'file', path: join(host, ...rest), compression: tarCompressionOf(url) };
  }
  if (isAbsolute(url)) return { kind: 'file', path: url, compression: tarCompressionOf(url) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new VaggaError(`image-cache-url ${JSON.stringify(url)}: unsupported scheme (use http://, https://, docker:// or a path)`, { code: 'image.bad-cache-url' });
  }
  return { kind: 'file', path: join(projectRoot, posix.normalize(url)), compression: tarCompressionOf(url) };
}

/** Decide whether to try the image cache (see the module comment). Never throws: a bad URL is a warning. */
export function planImageCache(input: CachePlanInput): CachePlan {
  if (input.template === undefined) return { use: false, reason: 'no image-cache-url' };
  if (input.noImageDownload) return { use: false, reason: '--no-image-download' };
  if (input.forced) return { use: false, reason: 'a forced rebuild' };
  if (input.version === undefined) return { use: false, reason: 'the version is known only after building' };
  const url = substituteCacheUrl(input.template, input.containerName, input.version.slice(0, 8));
  try {
    return { use: true, url, source: cacheSource(url, input.projectRoot, input.externalVolumes) };
  } catch (err) {
    const e = err as VaggaError;
    return { use: false, reason: e.message, warning: `${e.message}${e.hint ? ` (${e.hint})` : ''}` };
  }
}
