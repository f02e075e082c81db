/**
 * Overlay mounts inside the builder sandbox (the per-step build cache, issue 9). The
 * builder is root in its user namespace and owns its mount namespace, so it may mount
 * overlayfs with `userxattr` (Linux >= 5.11; measured in layers-and-images.md Part A §2.4).
 * Node has no mount(2): util-linux mount(8)/umount(8) from the host's /usr do it, with
 * `-n` (no utab: /run is not writable there). Lower layers are passed as short relative
 * names from the store's layer dir (`cwd`): the old mount API takes the options in one
 * 4 KiB page.
 */
import { spawnHost } from '../sandbox/host-spawn.js';
import { VaggaError } from '../errors/vagga-error.js';

/** Run a program with its output collected; rejects with VaggaError (`build.overlay`) on failure. */
export function runQuiet(argv: string[], what: string, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnHost(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', (e) => reject(new VaggaError(`${what}: can't run ${argv[0]}: ${e.message}`, { code: 'build.overlay' })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new VaggaError(`${what} failed (${signal ?? `exit code ${code}`}): ${out.trim().split('\n').slice(-3).join(' ')}`, { code: 'build.overlay' }));
    });
  });
}

/** An overlay to mount. */
export interface OverlaySpec {
  /** Lower dirs relative to `cwd`, bottom first (at least one). */
  lowers: readonly string[];
  /** Upper and work dirs (absolute, same file system); absent: a read-only overlay. */
  upper?: string;
  work?: string;
  /** Where to mount it (absolute). */
  target: string;
  /** Directory the lower names are relative to. */
  cwd: string;
}

/** The `-o` option string of `spec` (pure): overlayfs wants the top lower first. */
export function overlayOptions(spec: OverlaySpec): string {
  const lowers = [...spec.lowers].reverse().join(':');
  const parts = ['userxattr', `lowerdir=${lowers}`];
  if (spec.upper !== undefined) parts.push(`upperdir=${spec.upper}`, `workdir=${spec.work}`);
  return parts.join(',');
}

/** Mount `spec`. Rejects with VaggaError when mount(8) fails. */
export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  const options = overlayOptions(spec);
  if (Buffer.byteLength(options) > 4000) {
    throw new VaggaError(`The layer stack is too deep to mount (${spec.lowers.length} layers)`, { code: 'build.overlay' });
  }
  await runQuiet(['mount', '-n', '-t', 'overlay', 'overlay', '-o', options, spec.target], 'Mounting the build layers', spec.cwd);
}

/** Unmount `target`. Rejects with VaggaError when umount(8) fails (e.g. still busy). */
export async function unmount(target: string): Promise<void> {
  await runQuiet(['umount', '-n', target], `Unmounting ${target}`);
}
