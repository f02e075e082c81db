/**
 * A base root filesystem made once by mmdebstrap(1) and kept as a tarball in the user's cache
 * dir, shared by the apt-based distribution steps (`!Debian`: src/steps/debian/bootstrap.ts,
 * `!Ubuntu*`: src/steps/ubuntu/bootstrap.ts). Each of them chooses the tarball's path and the
 * mmdebstrap command line; this module makes sure the tarball exists: under a lock on the
 * cache entry (so concurrent builds bootstrap once) mmdebstrap writes a temp name that is
 * renamed into place, leftovers of killed runs are removed, and a failure reports
 * mmdebstrap's last output. Modes and pitfalls: runtime-facts.md §4 (tar output with numeric
 * 0-based owners); stdin is /dev/null because mmdebstrap reads mirror lines from a non-tty stdin.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { idMappingFor, realIdHost, requireSubIds } from '../../sandbox/idmap.js';
import { findTool } from '../../sandbox/tools.js';
import type { BuildLog } from '../step.js';
import { lockCacheEntry } from './cache-lock.js';
import { spawnHost } from '../../sandbox/host-spawn.js';

/** Ids a Debian-family base owns files as: 0-999 system users, up to 65534 (`nobody`). */
const BASE_ID_RANGE = [{ start: 0, end: 65535 }];

/**
 * mmdebstrap's unshare mode (used when not real root) maps the invoking user's /etc/subuid
 * and /etc/subgid ranges into its namespace. Check them the way a container's uid map is
 * checked (src/sandbox/idmap.ts), without its single-id warning. `what` names the step in
 * the message (default `!Debian`). Throws VaggaError (121) with the `sudo usermod
 * --add-subuids ...` command when the user has no range, or "Number of allowed subuids is
 * too small" when the ranges cannot hold ids 0-65535.
 */
export function requireBootstrapSubIds(what = '!Debian'): void {
  const mapping = idMappingFor(BASE_ID_RANGE, BASE_ID_RANGE, { ...realIdHost(), warn: () => {} });
  requireSubIds(mapping, what);
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

/** Temp name used while building `final` (`<final without .tar>.<pid>.tmp.tar`). */
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

/**
 * Run mmdebstrap with stdin /dev/null. With a build log (`log.output`) it runs with
 * `--verbose`, so the log holds apt's and dpkg's output (from which the progress line
 * counts packages, src/builder/output-status.ts); without one its output is debug-logged
 * line by line. Rejects with VaggaError (121) `mmdebstrap failed (...) while bootstrapping
 * <name>` whose hint holds its last 40 lines (without a build log: the log's tail is shown
 * with the failure otherwise) and then `mirrorHint`.
 */
function runMmdebstrap(program: string, argv: string[], name: string, mirrorHint: string, log: BuildLog, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const toLog = log.output?.bind(log);
    const child = spawnHost(program, toLog ? ['--verbose', ...argv] : argv, { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGTERM' });
    const tail: string[] = [];
    const collect = (chunk: Buffer, source: 'stdout' | 'stderr'): void => {
      if (toLog) return toLog(chunk, source);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        log.debug(`mmdebstrap: ${line}`);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout!.on('data', (chunk: Buffer) => collect(chunk, 'stdout'));
    child.stderr!.on('data', (chunk: Buffer) => collect(chunk, 'stderr'));
    child.on('error', (err) => reject(err));
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      const output = toLog ? 'Its output is in the build log (its end is shown above).' : `Its last output:\n${tail.map((l) => `    ${l}`).join('\n')}`;
      reject(
        new VaggaError(`mmdebstrap failed (${sig ? `killed by ${sig}` : `exit status ${code}`}) while bootstrapping ${name}`, {
          code: 'build.bootstrap-failed',
          hint: `${output}\n${mirrorHint}`,
        }),
      );
    });
  });
}

/** What ensureCachedBootstrap makes (see there). */
export interface CachedBootstrapInput {
  /** Host path of the cached tarball; must end in `.tar`. */
  final: string;
  /** Distribution and release for messages, e.g. `Debian bookworm`. */
  name: string;
  /** Shown in parentheses after `name` in the progress message, e.g. `minbase` or `amd64`. */
  detail: string;
  /** Step named in the subordinate-id error, e.g. `!Debian`. */
  stepTag: string;
  /** mmdebstrap argv (without the program) writing the tarball to `output`; `asRoot`: real root (root mode) or not (unshare mode). */
  plan(output: string, asRoot: boolean): string[];
  /** Extra host checks run only when the tarball must be made, before anything else (may throw). */
  preflight?: () => void;
  /** Last line of the failure hint: which setting chooses the mirror. */
  mirrorHint: string;
  log: BuildLog;
  signal: AbortSignal;
}

/**
 * Make sure the tarball `input.final` exists and return its path. When missing: run
 * `preflight`, find mmdebstrap (MissingToolError, 121), check subordinate ids unless real root
 * (requireBootstrapSubIds, VaggaError 121), then under a lock on the tarball (waiting for
 * another vagga process doing the same; the tarball may be there once the lock is ours) run
 * mmdebstrap into a temp name and rename it into place. A failing mmdebstrap throws VaggaError
 * (121) with its output; an abort via `signal` stops it. Neither leaves a partial tarball.
 */
export async function ensureCachedBootstrap(input: CachedBootstrapInput): Promise<string> {
  const { final, log } = input;
  if (isReady(final)) return final;
  input.preflight?.();
  const program = findTool('mmdebstrap');
  const asRoot = process.geteuid?.() === 0;
  if (!asRoot) requireBootstrapSubIds(input.stepTag);
  mkdirSync(dirname(final), { recursive: true });
  const release = await lockCacheEntry(final, {
    signal: input.signal,
    onWait: () => log.info(`Another vagga process is bootstrapping ${input.name}; waiting for it...`),
    onStale: (line) => log.info(line),
  });
  try {
    if (isReady(final)) return final;
    removeLeftovers(final);
    const temp = tempNameFor(final);
    log.info(`Bootstrapping ${input.name} (${input.detail}) with mmdebstrap; this takes about a minute once, then it is cached...`);
    const started = Date.now();
    try {
      await runMmdebstrap(program, input.plan(temp, asRoot), input.name, input.mirrorHint, log, input.signal);
      if (!isReady(temp)) throw new VaggaError(`mmdebstrap succeeded but wrote no tarball at ${temp}`, { code: 'build.bootstrap-failed' });
      renameSync(temp, final);
    } finally {
      rmSync(temp, { force: true });
    }
    log.info(`${input.name} bootstrapped in ${((Date.now() - started) / 1000).toFixed(1)} s (cached as ${final})`);
    return final;
  } finally {
    await release();
  }
}
