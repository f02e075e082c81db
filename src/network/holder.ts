/**
 * The network holder of an isolated network: one small process that owns a new user
 * namespace (with the run's uid/gid maps) and a new network namespace in it with only `lo`,
 * up. Every sandbox of the run joins both (nsenter, see the `joinNetwork` launch in
 * src/sandbox/bwrap.ts), so they share one loopback and nothing else; pasta.ts attaches to
 * the same pair for published ports and outbound access.
 *
 *   node ─ setpriv --pdeathsig KILL unshare --user --net -- sh -c SCRIPT
 *
 * SCRIPT reports "ready" on a control socket (fd 3), waits for "go" while node writes the
 * maps (the gated protocol of bwrap.ts), runs `ip link set lo up` as root of the new user
 * namespace, reports "up", then blocks reading the socket. It ends on EOF: when node closes
 * the socket (close()) or dies, SIGKILL included (the socket's other end goes with node's
 * process); setpriv's parent-death signal is a second way. Loopback is up before pasta
 * attaches, so the two never race (runtime-facts §5), and before any child starts.
 * The namespaces themselves go with their last process.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { VaggaError } from '../errors/vagga-error.js';
import { writeMaps } from '../sandbox/bwrap.js';
import { findTool } from '../sandbox/tools.js';
import type { IdMapping, NetworkJoin } from '../sandbox/types.js';

/** A running network holder. */
export interface NetworkHolder {
  /** Host pid of the holder (its namespaces: /proc/PID/ns/user, /proc/PID/ns/net). */
  pid: number;
  /** What a sandbox joins. */
  join: NetworkJoin;
  /** End the holder and wait for it (idempotent). */
  close(): Promise<void>;
}

/** The holder's shell code (fd 3 is the control socket, `ip` the path of ip(8)). */
export function holderScript(ip: string): string {
  return `echo ready >&3; read _ <&3 || exit 125; ${ip} link set lo up || exit 126; echo up >&3; read _ <&3; exit 0`;
}

/**
 * Start a holder whose user namespace has `mapping`. Resolves once `lo` is up. Rejects with
 * the id-map VaggaError when the maps cannot be written, VaggaError `network.setup-failed`
 * (exit 121) when the holder ends early, MissingToolError for missing host programs.
 */
export async function startNetworkHolder(mapping: IdMapping): Promise<NetworkHolder> {
  const setpriv = findTool('setpriv');
  const unshare = findTool('unshare');
  const ip = findTool('ip');
  const child = spawn(setpriv, ['--pdeathsig', 'KILL', unshare, '--user', '--net', '--', '/bin/sh', '-c', holderScript(ip)], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const ctl = child.stdio[3] as Readable & Writable;
  ctl.on('error', () => {});
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  ctl.setEncoding('utf8');
  ctl.on('data', (d: string) => {
    lines.push(...d.split('\n').filter(Boolean));
    wake?.();
  });
  const next = async (): Promise<string | undefined> => {
    for (;;) {
      if (lines.length > 0) return lines.shift();
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      await Promise.race([new Promise<void>((r) => (wake = r)), exited]);
    }
  };
  const close = async (): Promise<void> => {
    ctl.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const fail = async (what: string): Promise<never> => {
    await close();
    const said = stderr.trim();
    throw new VaggaError(`Could not set up the isolated network: ${what}${said ? ` (${said.split('\n').join('; ')})` : ''}`, {
      code: 'network.setup-failed',
    });
  };
  if ((await next()) !== 'ready') return fail('the namespace holder ended before its namespaces existed');
  try {
    await writeMaps(child.pid!, mapping);
  } catch (err) {
    await close();
    throw err;
  }
  ctl.write('go\n');
  if ((await next()) !== 'up') return fail('loopback could not be brought up');
  return {
    pid: child.pid!,
    join: { userns: `/proc/${child.pid}/ns/user`, netns: `/proc/${child.pid}/ns/net` },
    close,
  };
}
