/**
 * Loading the CommonJS bundle (dist/vagga-main.cjs) with a V8 code cache, for start-up
 * speed: compiling the ~400 KiB bundle costs about 10 ms per run, deserialising V8's cached
 * code about 1 ms (measured on node 20). The cache is made by V8 itself
 * (vm.Script#createCachedData, node's `vm` docs) at the end of a run whose cache was missing
 * or stale, so it also holds the functions that run compiled, and kept in
 * `$XDG_CACHE_HOME/vagga/code-cache-<HASH>.bin` (absolute XDG_CACHE_HOME only) or
 * `~/.cache/vagga/code-cache-<HASH>.bin`, HASH naming the bundle's path (so two installed
 * copies of vagga do not keep replacing each other's cache; a rebuilt bundle at the same
 * path replaces its own). Writing one deletes all but the newest KEEP_CODE_CACHES (by mtime).
 *
 * File format: one header line (the key: node version, arch, bundle path, size, mtime),
 * then V8's cache bytes. A different key or a cache V8 rejects (other V8 version or flags)
 * just means compiling normally and writing a fresh cache at exit. Everything here is best
 * effort: any problem falls back to a plain `require` of the bundle.
 *
 * Not used (plain require instead) under Bun (no V8), with VAGGA_NO_CODE_CACHE set, and for
 * the builder personality (`__builder__`, run inside a container build whose HOME must not
 * receive a cache file).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Set to any non-empty value to load the bundle without the code cache. */
export const NO_CODE_CACHE_ENV = 'VAGGA_NO_CODE_CACHE';

/** 32-bit FNV-1a of `text` as 8 hex digits (no node:crypto: it costs ~3 ms to load). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Where the code cache of the bundle `mainFile` lives for `env` (see the module comment). */
export function codeCachePath(mainFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'vagga', `code-cache-${fnv1a(mainFile)}.bin`);
}

/** The cache key of a bundle file: runtime version and arch, path, size and mtime (ms). */
export function codeCacheKey(file: string, size: number, mtimeMs: number): string {
  return JSON.stringify([process.version, process.arch, file, size, mtimeMs]);
}

/** Split a cache file into its header key and V8 data; undefined when malformed. */
export function splitCacheFile(buf: Buffer): { key: string; data: Buffer } | undefined {
  const nl = buf.indexOf(10);
  if (nl <= 0) return undefined;
  return { key: buf.subarray(0, nl).toString('utf8'), data: buf.subarray(nl + 1) };
}

/** Header line plus data, as written to the cache file. */
export function joinCacheFile(key: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${key}\n`, 'utf8'), data]);
}

/** How many code-cache files (one per bundle path) are kept in the cache dir. */
export const KEEP_CODE_CACHES = 4;

/**
 * Delete the oldest `code-cache-*.bin` files of `dir` (by mtime) so that at most `keep`
 * remain; `current` (the file just written) is always kept. Each is ~600 KiB and one is
 * made per bundle path (e.g. every temporary copy of the bundle), so they would pile up.
 * Returns the names deleted. Best effort: errors are ignored.
 */
export function pruneCodeCaches(dir: string, current: string, keep: number = KEEP_CODE_CACHES): string[] {
  const removed: string[] = [];
  try {
    const files = readdirSync(dir)
      .filter((n) => /^code-cache-[0-9a-f]{8}\.bin$/.test(n) && join(dir, n) !== current)
      .map((n) => {
        try {
          return { n, t: statSync(join(dir, n)).mtimeMs };
        } catch {
          return undefined;
        }
      })
      .filter((x): x is { n: string; t: number } => x !== undefined)
      .sort((a, b) => b.t - a.t);
    for (const { n } of files.slice(Math.max(0, keep - 1))) {
      try {
        rmSync(join(dir, n), { force: true });
        removed.push(n);
      } catch { /* best effort */ }
    }
  } catch { /* best effort */ }
  return removed;
}

function writeAtomically(file: string, content: Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, file);
    pruneCodeCaches(dirname(file), file);
  } catch {
    // Best effort: no cache next time either.
  }
}

/** Why the cache is not used for this process, or undefined when it is. */
function skipReason(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  if (process.versions.bun) return 'bun';
  if (env[NO_CODE_CACHE_ENV]) return 'disabled';
  if (argv[0] === '__builder__') return 'builder';
  return undefined;
}

/**
 * Run the CommonJS bundle `mainFile` as a module (like `require(mainFile)`), compiled with
 * the V8 code cache when possible; `argv` are vagga's arguments (process.argv without node
 * and the script). Schedules a cache write at process exit when the cache was missing,
 * stale or rejected. Errors thrown by the bundle itself propagate; cache problems never do.
 */
export function runBundle(mainFile: string, argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): void {
  const requireHere = createRequire(mainFile);
  if (skipReason(argv, env)) {
    requireHere(mainFile);
    return;
  }
  let fn: (...args: unknown[]) => unknown;
  let script: Script;
  let key: string;
  let cached: Buffer | undefined;
  let cacheFile: string;
  try {
    // Inside the `!VaggaBin` of a container without HOME and without a passwd entry for the
    // user, os.homedir() throws: then there is no cache.
    cacheFile = codeCachePath(mainFile, env);
    const source = readFileSync(mainFile, 'utf8');
    const st = statSync(mainFile);
    key = codeCacheKey(mainFile, st.size, st.mtimeMs);
    try {
      const parts = splitCacheFile(readFileSync(cacheFile));
      if (parts && parts.key === key) cached = parts.data;
    } catch {
      // No cache yet.
    }
    // The same wrapper node's CommonJS loader uses (Module.wrap).
    const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
    script = new Script(wrapped, { filename: mainFile, cachedData: cached });
    fn = script.runInThisContext() as typeof fn;
  } catch {
    requireHere(mainFile);
    return;
  }
  if (!cached || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        writeAtomically(cacheFile, joinCacheFile(key, script.createCachedData()));
      } catch {
        // Best effort.
      }
    });
  }
  const module = { exports: {}, filename: mainFile, id: mainFile, loaded: false };
  fn.call(module.exports, module.exports, requireHere, module, mainFile, dirname(mainFile));
  module.loaded = true;
}
