/**
 * The readiness probes of a `!Supervise` child (beyond Vagga, model.ts ReadyCheck), polled by
 * the supervisor (run.ts) until one passes, the `ready-timeout` passes, or the supervisor no
 * longer wants it.
 *
 * `tcp: PORT` looks at the child's own sockets, not at whoever answers on the port: it passes
 * once a process of the child's sandbox holds a TCP socket in the LISTEN state on PORT (any
 * local address, IPv4 or IPv6) in that process's network namespace. The sockets come from
 * /proc/PID/fd (`socket:[INODE]` links, proc(5)) of every process under the sandbox's
 * launcher, matched against /proc/PID/net/tcp and tcp6 (state 0A = LISTEN, the inode column).
 * A listener of another program on the host (children share the host network by default)
 * therefore never makes the child ready. Reading another process's /proc/PID/fd needs
 * ptrace-read access (proc(5)); vagga has it because it owns the sandbox's user namespace
 * (user_namespaces(7): the owner has every capability in it). A listening socket completes
 * TCP handshakes from the moment listen(2) returns, so "listening" is "accepts connections".
 *
 * `command:` probes run the command in a short-lived sandbox of the child's container (see
 * run.ts); this module only polls them.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state code of a listening socket in /proc/net/tcp (include/net/tcp_states.h: TCP_LISTEN = 10). */
const TCP_LISTEN = '0A';

/**
 * The inodes of the sockets listening on `port` in /proc/net/tcp or /proc/net/tcp6 `text`
 * (proc(5): header line, then `sl local_address rem_address st ... uid timeout inode`, the
 * local address as `HEXADDR:HEXPORT`). Pure.
 */
export function listeningInodes(text: string, port: number): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
    const local = f[1]!;
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) out.add(f[9]!);
  }
  return out;
}

/** The socket inode of an fd link target (`socket:[12345]` -> `12345`), else undefined. Pure. */
export function socketInode(link: string): string | undefined {
  return /^socket:\[(\d+)\]$/.exec(link)?.[1];
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** `pid` and all its descendants (walking /proc/PID/task/TID/children of every thread). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (out.includes(p)) continue;
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      for (const c of readOr(`/proc/${p}/task/${t}/children`, '').trim().split(/\s+/)) if (c) queue.push(Number(c));
    }
  }
  return out;
}

/** Socket inodes among the open fds of `pid` (empty when the process is gone or unreadable). */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = socketInode(link);
    if (inode !== undefined) out.add(inode);
  }
  return out;
}

/**
 * Whether a process of the sandbox started by launcher `launcherPid` (host pid) listens on
 * TCP `port` (see the file comment). False for pid 0 (no sandbox) and when nothing is readable.
 */
export function sandboxListens(launcherPid: number, port: number): boolean {
  if (launcherPid <= 0) return false;
  for (const pid of processTree(launcherPid)) {
    const own = socketInodes(pid);
    if (own.size === 0) continue;
    for (const table of ['tcp', 'tcp6']) {
      for (const inode of listeningInodes(readOr(`/proc/${pid}/net/${table}`, ''), port)) if (own.has(inode)) return true;
    }
  }
  return false;
}

/** Options of waitReady. */
export interface WaitReadyOptions {
  /** One probe: resolves true when the child is ready (should not reject; a rejection counts as not ready). */
  probe: () => Promise<boolean>;
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Pause between the end of one probe and the next, milliseconds. */
  intervalMs: number;
  /** Checked before each attempt; false stops the wait with `cancelled` (the child ended, a shutdown began). */
  wanted: () => boolean;
}

/** Poll `probe` until it passes: `ready`, `timeout` (after timeoutMs) or `cancelled`. Never rejects. */
export async function waitReady(opts: WaitReadyOptions): Promise<'ready' | 'timeout' | 'cancelled'> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (!opts.wanted()) return 'cancelled';
    if (await opts.probe().catch(() => false)) return opts.wanted() ? 'ready' : 'cancelled';
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, Math.min(opts.intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
