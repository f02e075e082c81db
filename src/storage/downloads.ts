/**
 * The download cache shared by `!Tar`, `!Download` (and later `!TarInstall`, `!Unzip`):
 * `<cache>/downloads/<first 8 chars of the given sha256, else of sha256(url)>-<url basename
 * or file.bin>` (vagga-inventory.md §2.1, last paragraph), filled on the host in the steps'
 * `prepare` with node's fetch, under a per-file lock `<file>.lock` so two builds never
 * download the same file twice or read a half-written one. A user-given sha256 is checked
 * as a PREFIX of the real digest: `Hashsum mismatch: expected X but was Y` (§4).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VaggaError } from '../errors/vagga-error.js';
import { acquireLock } from './lock.js';

/** True for URLs fetched over the network (http, https). */
export function isRemoteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** Cache file name for `url` (pure): `<8 hex>-<basename>`; basename `file.bin` when the URL path ends in `/`. */
export function downloadCacheName(url: string, sha256?: string): string {
  const key = sha256 ? sha256.toLowerCase() : createHash('sha256').update(url).digest('hex');
  let base = '';
  try {
    const path = new URL(url).pathname;
    base = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    base = url.slice(url.lastIndexOf('/') + 1);
  }
  base = base.replace(/[^A-Za-z0-9._+-]/g, '_');
  if (base === '' || base === '.' || base === '..') base = 'file.bin';
  return `${key.slice(0, 8)}-${base}`;
}

/** `<cacheDir>/downloads/<name>` for `url`. */
export function downloadCachePath(cacheDir: string, url: string, sha256?: string): string {
  return join(cacheDir, 'downloads', downloadCacheName(url, sha256));
}

/** SHA-256 of a file, lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The error for a checksum that is not a prefix of the real one (exit 121). */
export function hashMismatch(expected: string, actual: string, what: string): VaggaError {
  return new VaggaError(`Hashsum mismatch: expected ${expected} but was ${actual}`, {
    code: 'build.hash-mismatch',
    hint: `The file ${what} is not the one the sha256 in vagga.yaml describes: fix the checksum or the URL.`,
  });
}

/**
 * Check `path` against `expected` (a prefix of its sha256, any case); no-op when undefined.
 * Throws the mismatch error (exit 121).
 */
export async function checkSha256(path: string, expected: string | undefined, what = path): Promise<void> {
  if (!expected) return;
  const actual = await sha256File(path);
  if (!actual.startsWith(expected.toLowerCase())) throw hashMismatch(expected, actual, what);
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Progress messages (stderr). */
  info?(message: string): void;
  /** Bytes received so far, and the size when the server sent a Content-Length. */
  progress?(done: number, total: number | undefined): void;
  /** Replaceable for tests. */
  fetch?: typeof fetch;
}

/**
 * Make sure `url` is in the download cache and return the cached file's host path.
 * Downloads into `<file>.part.<pid>` (reporting the bytes received to `options.progress`)
 * and renames when complete and verified; a cached file is re-verified when `sha256` is given. Throws VaggaError (121) for HTTP errors, network
 * errors and checksum mismatches (the bad download is deleted).
 */
export async function fetchToCache(cacheDir: string, url: string, sha256: string | undefined, options: FetchOptions = {}): Promise<string> {
  const file = downloadCachePath(cacheDir, url, sha256);
  await mkdir(join(cacheDir, 'downloads'), { recursive: true });
  if (existsSync(file)) {
    await checkSha256(file, sha256, `${file} (cached download of ${url})`);
    return file;
  }
  const lock = await acquireLock(`${file}.lock`, {
    signal: options.signal,
    onWait: () => options.info?.(`Another process is downloading ${url}. Waiting...`),
  });
  try {
    if (existsSync(file)) {
      await checkSha256(file, sha256, `${file} (cached download of ${url})`);
      return file;
    }
    const part = `${file}.part.${process.pid}`;
    options.info?.(`Downloading ${url}`);
    try {
      const response = await (options.fetch ?? fetch)(url, { signal: options.signal, redirect: 'follow' });
      if (!response.ok || !response.body) {
        throw new VaggaError(`Error downloading ${url}: HTTP ${response.status} ${response.statusText}`, {
          code: 'build.download-failed',
          hint: 'Check the URL in vagga.yaml (and the proxy settings if you use one).',
        });
      }
      const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
      const report = options.progress;
      if (report) {
        const total = Number(response.headers.get('content-length')) || undefined;
        let done = 0;
        const counted = async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            done += chunk.length;
            report(done, total);
            yield chunk;
          }
        };
        await pipeline(body, counted, createWriteStream(part));
      } else {
        await pipeline(body, createWriteStream(part));
      }
      await checkSha256(part, sha256, `downloaded from ${url}`);
      await rename(part, file);
    } catch (err) {
      await rm(part, { force: true });
      if (err instanceof VaggaError || options.signal?.aborted) throw err;
      throw new VaggaError(`Error downloading ${url}: ${(err as Error).message}${(err as Error & { cause?: Error }).cause ? ` (${(err as Error & { cause?: Error }).cause!.message})` : ''}`, {
        code: 'build.download-failed',
        hint: 'Check the URL and your network connection (and the proxy settings if you use one).',
      });
    }
    return file;
  } finally {
    await lock.release();
  }
}
