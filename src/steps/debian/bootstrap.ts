/**
 * The cached Debian base: a minbase root filesystem made once per (suite, mirror) by
 * mmdebstrap(1) as a tarball with numeric 0-based owners (runtime-facts.md §4), kept at
 * `<cache-dir>/debian/<suite>-<8hex mirror key>-minbase.tar` and unpacked into every
 * container that starts with `!Debian`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExitCode, VaggaError } from '../../errors/vagga-error.js';
import type { BuildLog } from '../step.js';
import { idMappingFor, realIdHost, requireSubIds } from '../../sandbox/idmap.js';
import { findTool } from '../../sandbox/tools.js';
import { lockCacheEntry } from './cache-lock.js';
import { mirrorKey } from './mirror.js';

/** mmdebstrap variant: only Essential:yes packages plus apt. */
export const BOOTSTRAP_VARIANT = 'minbase';

/** Subdirectory of the cache dir holding bootstrap tarballs. */
export const BOOTSTRAP_CACHE_SUBDIR = 'debian';

/** File name of the cached tarball: `<suite>-<8hex of sha256(mirror)>-minbase.tar`. */
export function bootstrapTarballName(suite: string, mirror: string): string {
  return `${suite}-${mirrorKey(mirror)}-${BOOTSTRAP_VARIANT}.tar`;
}

/** Path of the cached tarball under `cacheDir` (host or builder view of the same dir). */
export function bootstrapTarballPath(cacheDir: string, suite: string, mirror: string): string {
  return join(cacheDir, BOOTSTRAP_CACHE_SUBDIR, bootstrapTarballName(suite, mirror));
}

export interface MmdebstrapPlanInput {
  suite: string;
  mirror: string;
  /** Output tarball path; must end in `.tar`. */
  output: string;
  /** Real root: mmdebstrap's `root` mode; anyone else: `unshare` mode (needs subuids). */
  asRoot: boolean;
}

/**
 * argv (without the program) for mmdebstrap: `--mode=unshare|root --variant=minbase
 * --format=tar [--include=ca-certificates] SUITE OUTPUT MIRROR`. ca-certificates is added
 * only for an https mirror, which apt inside the container then needs; plain http and file
 * mirrors keep the base minimal. Stdin must be /dev/null (mmdebstrap reads mirrors from a
 * non-tty stdin).
 */
export function planMmdebstrap(input: MmdebstrapPlanInput): string[] {
  const argv = [`--mode=${input.asRoot ? 'root' : 'unshare'}`, `--variant=${BOOTSTRAP_VARIANT}`, '--format=tar'];
  if (input.mirror.startsWith('https://')) argv.push('--include=ca-certificates');
  argv.push(input.suite, input.output, input.mirror);
  return argv;
}

/** A non-empty regular file exists at `path`. */
function isReady(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/** Temp names used while building `final` (`<final without .tar>.<pid>.tmp.tar`). */
function tempNameFor(final: string): string {
  return `${final.replace(/\.tar$/, '')}.${process.pid}.tmp.tar`;
}

/** Remove temp files a killed earlier run left for `final` (call only while holding its lock). */
function removeLeftovers(final: string): void {
  const prefix = `${basename(final).replace(/\.tar$/, '')}.`;
  for (const name of readdirSync(dirname(final))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp.tar')) rmSync(join(dirname(final), name), { force: true });
  }
}

/** Run mmdebstrap, keeping its output for the error message (debug-logged line by line). */
function runMmdebstrap(program: string, argv: string[], log: BuildLog, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGTERM' });
    const tail: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        log.debug(`mmdebstrap: ${line}`);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => reject(err));
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      reject(
        new VaggaError(`mmdebstrap failed (${sig ? `killed by ${sig}` : `exit status ${code}`}) while bootstrapping Debian`, {
          exitCode: ExitCode.launcher,
          hint: `Its last output:\n${tail.map((l) => `    ${l}`).join('\n')}\nCheck that the mirror is reachable and carries the suite; the \`debian-mirror\` setting chooses another.`,
        }),
      );
    });
  });
}

/** Ids a Debian base owns files as: 0-999 system users, up to 65534 (`nobody`). */
const DEBIAN_ID_RANGE = [{ start: 0, end: 65535 }];

/**
 * mmdebstrap's unshare mode (used when not real root) maps the invoking user's /etc/subuid
 * and /etc/subgid ranges into its namespace. Check them the way a container's uid map is
 * checked (src/sandbox/idmap.ts), without its single-id warning: throws VaggaError (121)
 * with the `sudo usermod --add-subuids ...` command when the user has no range, or
 * "Number of allowed subuids is too small" when the ranges cannot hold 0-65535.
 */
export function requireBootstrapSubIds(): void {
  const mapping = idMappingFor(DEBIAN_ID_RANGE, DEBIAN_ID_RANGE, { ...realIdHost(), warn: () => {} });
  requireSubIds(mapping, '!Debian');
}

export interface EnsureBootstrapInput {
  suite: string;
  /** Normalized mirror URL. */
  mirror: string;
  /** Host path of the cache dir. */
  cacheDir: string;
  log: BuildLog;
  signal: AbortSignal;
}

/**
 * Make sure the bootstrap tarball for (suite, mirror) exists in the cache and return its host
 * path. When missing: under a lock on the tarball (so concurrent builds bootstrap once), run
 * mmdebstrap into a temp name and rename it into place. Throws MissingToolError when
 * mmdebstrap is absent, VaggaError (121) without subordinate ids (non-root, see
 * requireBootstrapSubIds) or when
 * mmdebstrap fails; an abort via `signal` stops mmdebstrap and leaves no partial tarball.
 */
export async function ensureBootstrapTarball(input: EnsureBootstrapInput): Promise<string> {
  const final = bootstrapTarballPath(input.cacheDir, input.suite, input.mirror);
  if (isReady(final)) return final;
  const program = findTool('mmdebstrap');
  const asRoot = process.geteuid?.() === 0;
  if (!asRoot) requireBootstrapSubIds();
  mkdirSync(dirname(final), { recursive: true });
  const release = await lockCacheEntry(final, {
    signal: input.signal,
    onWait: () => input.log.info(`Another vagga process is bootstrapping Debian ${input.suite}; waiting for it...`),
    onCompromised: (err) => input.log.warn(`Lock on ${final} was lost: ${err.message}`),
  });
  try {
    if (isReady(final)) return final;
    removeLeftovers(final);
    const temp = tempNameFor(final);
    const argv = planMmdebstrap({ suite: input.suite, mirror: input.mirror, output: temp, asRoot });
    input.log.info(`Bootstrapping Debian ${input.suite} (${BOOTSTRAP_VARIANT}) with mmdebstrap; this takes about a minute once, then it is cached...`);
    const started = Date.now();
    try {
      await runMmdebstrap(program, argv, input.log, input.signal);
      if (!isReady(temp)) throw new VaggaError(`mmdebstrap succeeded but wrote no tarball at ${temp}`, { exitCode: ExitCode.launcher });
      renameSync(temp, final);
    } finally {
      rmSync(temp, { force: true });
    }
    input.log.info(`Debian ${input.suite} bootstrapped in ${((Date.now() - started) / 1000).toFixed(1)} s (cached as ${final})`);
    return final;
  } finally {
    await release();
  }
}
