/**
 * The cached Ubuntu base: a minbase root made once per (codename, arch, mirror) by
 * mmdebstrap(1) as a tarball with numeric 0-based owners, kept at
 * `<cache-dir>/ubuntu/<codename>-<arch>-<8hex mirror key>-minbase.tar` and unpacked into
 * every container that starts with `!Ubuntu`/`!UbuntuRelease` (same scheme as the Debian
 * base, src/steps/debian/bootstrap.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode, VaggaError } from '../../errors/vagga-error.js';
import type { BuildLog } from '../step.js';
import { lockCacheEntry } from '../debian/cache-lock.js';
import { requireMmdebstrap, requireSubIds } from '../debian/host-checks.js';
import { mirrorKey } from '../debian/mirror.js';
import { findUbuntuKeyring, planUbuntuBootstrap, ubuntuTarballName } from './plan.js';

/** Subdirectory of the cache dir holding Ubuntu bootstrap tarballs. */
export const UBUNTU_CACHE_SUBDIR = 'ubuntu';

/** Path of the cached tarball under `cacheDir` (host or builder view of the same dir). */
export function ubuntuTarballPath(cacheDir: string, codename: string, arch: string, mirror: string): string {
  return join(cacheDir, UBUNTU_CACHE_SUBDIR, ubuntuTarballName(codename, arch, mirrorKey(mirror)));
}

function isReady(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/** Run mmdebstrap with stdin /dev/null; rejects with VaggaError (121) naming `ubuntu-mirror` and its last output. */
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
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      reject(new VaggaError(`mmdebstrap failed (${sig ? `killed by ${sig}` : `exit status ${code}`}) while bootstrapping Ubuntu`, {
        exitCode: ExitCode.launcher,
        hint: `Its last output:\n${tail.map((l) => `    ${l}`).join('\n')}\nCheck that the \`ubuntu-mirror\` setting points to a reachable Ubuntu archive that carries the release.`,
      }));
    });
  });
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
 * missing: find Ubuntu's keyring on the host, then under a lock on the tarball run
 * mmdebstrap into a temp name and rename it into place. Throws VaggaError (121) when the
 * keyring is missing, subordinate ids are missing (non-root) or mmdebstrap fails;
 * MissingToolError without mmdebstrap.
 */
export async function ensureUbuntuTarball(input: EnsureUbuntuInput): Promise<string> {
  const final = ubuntuTarballPath(input.cacheDir, input.codename, input.arch, input.mirror);
  if (isReady(final)) return final;
  const keyring = findUbuntuKeyring(input.exists ?? existsSync);
  const program = requireMmdebstrap();
  const asRoot = process.geteuid?.() === 0;
  if (!asRoot) {
    const me = userInfo();
    requireSubIds(me.username, me.uid);
  }
  mkdirSync(dirname(final), { recursive: true });
  const release = await lockCacheEntry(final, {
    signal: input.signal,
    onWait: () => input.log.info(`Another vagga process is bootstrapping Ubuntu ${input.codename}; waiting for it...`),
    onCompromised: (err) => input.log.warn(`Lock on ${final} was lost: ${err.message}`),
  });
  try {
    if (isReady(final)) return final;
    const temp = `${final.replace(/\.tar$/, '')}.${process.pid}.tmp.tar`;
    const argv = planUbuntuBootstrap({ codename: input.codename, arch: input.arch, mirror: input.mirror, keyring, output: temp, asRoot });
    input.log.info(`Bootstrapping Ubuntu ${input.codename} (${input.arch}) with mmdebstrap; this is done once, then it is cached...`);
    try {
      await runMmdebstrap(program, argv, input.log, input.signal);
      if (!isReady(temp)) throw new VaggaError(`mmdebstrap succeeded but wrote no tarball at ${temp}`, { exitCode: ExitCode.launcher });
      renameSync(temp, final);
    } finally {
      rmSync(temp, { force: true });
    }
    return final;
  } finally {
    await release();
  }
}
