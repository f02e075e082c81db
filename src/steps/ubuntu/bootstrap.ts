/**
 * The cached Ubuntu base: a minbase root made once per (codename, arch, mirror) by
 * mmdebstrap(1) as a tarball with numeric 0-based owners, kept at
 * `<cache-dir>/ubuntu/<codename>-<arch>-<8hex mirror key>-minbase.tar` and unpacked into
 * every container that starts with `!Ubuntu`/`!UbuntuRelease`. Same scheme as the Debian
 * base (src/steps/debian/bootstrap.ts); locking and running mmdebstrap are shared
 * (src/steps/debian/mmdebstrap-cache.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildLog } from '../step.js';
import { mirrorKey } from '../debian/mirror.js';
import { ensureCachedBootstrap } from '../debian/mmdebstrap-cache.js';
import { findUbuntuKeyring, planUbuntuBootstrap, ubuntuTarballName } from './plan.js';

/** Subdirectory of the cache dir holding Ubuntu bootstrap tarballs. */
export const UBUNTU_CACHE_SUBDIR = 'ubuntu';

/** Path of the cached tarball under `cacheDir` (host or builder view of the same dir). */
export function ubuntuTarballPath(cacheDir: string, codename: string, arch: string, mirror: string): string {
  return join(cacheDir, UBUNTU_CACHE_SUBDIR, ubuntuTarballName(codename, arch, mirrorKey(mirror)));
}

export interface EnsureUbuntuInput {
  codename: string;
  arch: string;
  mirror: string;
  cacheDir: string;
  log: BuildLog;
  signal: AbortSignal;
  /** Injectable for tests: file existence (keyring lookup). */
  exists?: (path: string) => boolean;
}

/**
 * Make sure the Ubuntu base tarball exists in the cache and return its host path. When
 * missing: find Ubuntu's keyring on the host (findUbuntuKeyring), then run mmdebstrap once
 * under a lock (ensureCachedBootstrap). Throws VaggaError (121) when the keyring is missing,
 * subordinate ids are missing (non-root) or mmdebstrap fails (the hint names the
 * `ubuntu-mirror` setting); MissingToolError without mmdebstrap.
 */
export async function ensureUbuntuTarball(input: EnsureUbuntuInput): Promise<string> {
  let keyring = '';
  return ensureCachedBootstrap({
    final: ubuntuTarballPath(input.cacheDir, input.codename, input.arch, input.mirror),
    name: `Ubuntu ${input.codename}`,
    detail: input.arch,
    stepTag: '!Ubuntu',
    preflight: () => {
      keyring = findUbuntuKeyring(input.exists ?? existsSync);
    },
    plan: (output, asRoot) => planUbuntuBootstrap({ codename: input.codename, arch: input.arch, mirror: input.mirror, keyring, output, asRoot }),
    mirrorHint: 'Check that the `ubuntu-mirror` setting points to a reachable Ubuntu archive that carries the release.',
    log: input.log,
    signal: input.signal,
  });
}
