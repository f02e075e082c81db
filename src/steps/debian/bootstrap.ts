/**
 * The cached Debian base: a minbase root filesystem made once per (suite, mirror) by
 * mmdebstrap(1) as a tarball with numeric 0-based owners (runtime-facts.md §4), kept at
 * `<cache-dir>/debian/<suite>-<8hex mirror key>-minbase.tar` and unpacked into every
 * container that starts with `!Debian`. Locking, temp names and running mmdebstrap:
 * src/steps/debian/mmdebstrap-cache.ts (shared with `!Ubuntu`).
 */
import { join } from 'node:path';
import type { BuildLog } from '../step.js';
import { mirrorKey } from './mirror.js';
import { ensureCachedBootstrap } from './mmdebstrap-cache.js';

export { requireBootstrapSubIds } from './mmdebstrap-cache.js';

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
 * path, running mmdebstrap once under a lock when it is missing (ensureCachedBootstrap).
 * Throws MissingToolError when mmdebstrap is absent, VaggaError (121) without subordinate
 * ids (non-root, see requireBootstrapSubIds) or when mmdebstrap fails (the hint names the
 * `debian-mirror` setting); an abort via `signal` stops mmdebstrap and leaves no partial
 * tarball.
 */
export async function ensureBootstrapTarball(input: EnsureBootstrapInput): Promise<string> {
  return ensureCachedBootstrap({
    final: bootstrapTarballPath(input.cacheDir, input.suite, input.mirror),
    name: `Debian ${input.suite}`,
    detail: BOOTSTRAP_VARIANT,
    stepTag: '!Debian',
    plan: (output, asRoot) => planMmdebstrap({ suite: input.suite, mirror: input.mirror, output, asRoot }),
    mirrorHint: 'Check that the mirror is reachable and carries the suite; the `debian-mirror` setting chooses another.',
    log: input.log,
    signal: input.signal,
  });
}
