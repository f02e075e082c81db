/**
 * pasta (Debian's `passt` package, Podman's default rootless network) attached to an
 * isolated network's namespaces (holder.ts): published ports (`-t 127.0.0.1/HOST:CONTAINER`,
 * a listener on the host's loopback only, spliced to the namespace's loopback) and, when
 * asked, outbound access (`--config-net`: pasta gives the namespace an address, a default
 * route and NAT through the host's sockets; without it the tap device stays down, so nothing
 * leaves the namespace). UDP and namespace-to-host forwarding are off (`-u none -T none
 * -U none`). Measured order and facts: runtime-facts §5.
 *
 * Lifetime: pasta never exits by itself, so it runs in the foreground (`-f`) as a child of
 * node under `setpriv --pdeathsig KILL` (measured: a SIGKILLed parent takes it along; pasta's
 * own sandboxing keeps the parent-death signal), and close() kills it. Ready is when its
 * pid file has content: pasta writes it after its listeners are bound. The pid file's
 * temporary directory is removed at once; one left by a vagga killed during those few
 * milliseconds is removed by the next start (removeStalePidDirs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';
import { findTool } from '../sandbox/tools.js';
import type { NetworkJoin } from '../sandbox/types.js';
import type { PublishedPort } from './ports.js';
import { removeDeadRunDirs } from './stale-dirs.js';

/** A running pasta. */
export interface Pasta {
  pid: number;
  /** Kill pasta and wait for it (idempotent). */
  close(): Promise<void>;
}

/**
 * The namespace side of pasta's link when it must not copy the host's address (`-a -n -g`):
 * the bridge hub of `network:` children (bridge-run.ts) forwards the children's packets to
 * it, and a namespace holding the host's own address would answer connections to that
 * address itself.
 */
export interface PastaAddress {
  address: string;
  prefixLength: number;
  gateway: string;
}

/** pasta's arguments (after the program name) for `ports` and `outbound`, attached to the namespaces `ns`, with `address` when given. Pure. */
export function pastaArgs(ns: NetworkJoin, ports: readonly PublishedPort[], outbound: boolean, pidFile: string, address?: PastaAddress): string[] {
  const tcp = ports.length === 0 ? ['-t', 'none'] : ports.flatMap((p) => ['-t', `127.0.0.1/${p.hostPort}:${p.containerPort}`]);
  return [
    '-f', '-q', '-P', pidFile,
    ...(outbound ? ['--config-net'] : []),
    ...(outbound && address ? ['-a', address.address, '-n', String(address.prefixLength), '-g', address.gateway] : []),
    ...tcp, '-u', 'none', '-T', 'none', '-U', 'none',
    '--userns', ns.userns, '--netns', ns.netns,
  ];
}

/** Prefix of the temporary directory holding one pasta's pid file, followed by vagga's pid and `-`. */
const PID_DIR_PREFIX = 'vagga-pasta-';

/**
 * Remove the pid-file directories in `dir` left by a vagga killed while its pasta started
 * (`vagga-pasta-PID-*` whose PID no longer runs). Best effort.
 */
export function removeStalePidDirs(dir: string): void {
  removeDeadRunDirs(dir, PID_DIR_PREFIX);
}

/** pasta's stderr without its "Failed to send N bytes to syslog" noise, as one line. */
export function pastaSaid(stderr: string): string {
  return stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^Failed to send \d+ bytes to syslog$/.test(l)).join('; ');
}

/**
 * Start pasta attached to the namespaces `ns` (the namespace side at `address` when given). Resolves once it is ready; rejects with VaggaError
 * `network.pasta-failed` (exit 121, pasta's own words, e.g. a host port already in use) when
 * it ends first, MissingToolError when pasta is not installed.
 */
export async function startPasta(ns: NetworkJoin, ports: readonly PublishedPort[], outbound: boolean, address?: PastaAddress): Promise<Pasta> {
  const setpriv = findTool('setpriv');
  const pasta = findTool('pasta');
  removeStalePidDirs(tmpdir());
  const dir = mkdtempSync(join(tmpdir(), `${PID_DIR_PREFIX}${process.pid}-`));
  const pidFile = join(dir, 'pid');
  const child = spawn(setpriv, ['--pdeathsig', 'KILL', pasta, ...pastaArgs(ns, ports, outbound, pidFile, address)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  }).then(() => {
    ended = true;
  });
  const close = async (): Promise<void> => {
    if (!ended) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const written = (): boolean => {
    try {
      return readFileSync(pidFile, 'utf8').trim() !== '';
    } catch {
      return false;
    }
  };
  // Poll the pid file (a few ms apart) until pasta is ready or has ended.
  while (!written()) {
    if (ended) {
      await close();
      const what = ports.length > 0 ? `publish ${ports.map((p) => `127.0.0.1:${p.hostPort}`).join(', ')}` : 'give the isolated network outbound access';
      throw new VaggaError(`pasta could not ${what}: ${pastaSaid(stderr) || `it exited with status ${child.exitCode}`}`, { code: 'network.pasta-failed' });
    }
    await Promise.race([new Promise((r) => setTimeout(r, 5)), exited]);
  }
  // pasta has written it and keeps no use for it: gone now, so a killed vagga leaves none.
  rmSync(dir, { recursive: true, force: true });
  return { pid: child.pid!, close };
}
