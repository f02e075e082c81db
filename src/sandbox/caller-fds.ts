/**
 * The file descriptors vagga's caller left open for it beyond stdio: a shell's `exec 5<file`,
 * the listening sockets of socket activation (systemd's LISTEN_FDS protocol, sd_listen_fds(3)),
 * anything a parent passes on purpose. They reach the command at their numbers.
 *
 * Telling them from node's own: a descriptor without close-on-exec came from the caller
 * (node and vagga open everything close-on-exec). But libuv marks fds 0-15 close-on-exec at
 * node's start (uv_disable_stdio_inheritance), so below 16 the kind decides, read at vagga's
 * start (snapshotCallerFds, before vagga opens anything): node's own are epoll and eventfd
 * instances and the two ends of its internal pipes; a socket, a file or directory, or one end
 * of a pipe is the caller's. Read from /proc/self/fd (readlink) and /proc/self/fdinfo
 * (proc(5): the `flags` field, octal, holds O_CLOEXEC, 02000000).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;
/** libuv marks fds below this close-on-exec when node starts. */
const LIBUV_MARKED = 16;

/** One open descriptor as /proc shows it. */
export interface FdInfo {
  fd: number;
  /** readlink of /proc/self/fd/N: `/path`, `socket:[N]`, `pipe:[N]`, `anon_inode:[eventpoll]`... */
  link: string;
  cloexec: boolean;
}

/** Whether the `flags:` line of an fdinfo text has O_CLOEXEC. Pure. */
export function hasCloexec(fdinfo: string): boolean {
  const m = /^flags:\s*([0-7]+)$/m.exec(fdinfo);
  return m !== null && (parseInt(m[1]!, 8) & O_CLOEXEC) !== 0;
}

/**
 * The caller's descriptors among `fds` (all open descriptors at vagga's start), ascending:
 * above 2, and without close-on-exec, or below 16 and of a kind node does not open itself
 * (see the module comment). Pure.
 */
export function classifyCallerFds(fds: readonly FdInfo[]): number[] {
  const pipeEnds = new Map<string, number>();
  for (const f of fds) if (f.link.startsWith('pipe:')) pipeEnds.set(f.link, (pipeEnds.get(f.link) ?? 0) + 1);
  return fds.filter((f) => {
    if (f.fd <= 2) return false;
    if (!f.cloexec) return true;
    if (f.fd >= LIBUV_MARKED || f.link.startsWith('anon_inode:')) return false;
    if (f.link.startsWith('pipe:')) return pipeEnds.get(f.link) === 1;
    return f.link.startsWith('socket:') || f.link.startsWith('/');
  }).map((f) => f.fd).sort((a, b) => a - b);
}

function readFds(): FdInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const out: FdInfo[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd)) continue;
    try {
      out.push({ fd, link: readlinkSync(`/proc/self/fd/${fd}`), cloexec: hasCloexec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')) });
    } catch {
      // Closed meanwhile (the directory read itself).
    }
  }
  return out;
}

/**
 * The snapshot, kept on globalThis: dist/vagga.cjs (the warm path's bundle) takes it first
 * thing, and dist/vagga-main.cjs, a separate bundle with its own copy of this module, loaded
 * on a miss, uses that one instead of walking /proc again after vagga has started.
 */
const SNAPSHOT = Symbol.for('vagga.callerFds');
const store = globalThis as { [SNAPSHOT]?: FdInfo[] };

/**
 * Record the caller's descriptors now, unless already recorded in this process: call first
 * thing at vagga's start (src/cli/warm-entry.ts, src/cli/main.ts), before vagga opens or
 * spawns anything. Never throws.
 */
export function snapshotCallerFds(): void {
  if (store[SNAPSHOT] !== undefined) return;
  const all = readFds();
  const caller = new Set(classifyCallerFds(all));
  store[SNAPSHOT] = all.filter((f) => caller.has(f.fd));
}

/**
 * The caller's descriptors that are still open (same number, same target as at the
 * snapshot), ascending; without a snapshot, those open now without close-on-exec. Empty when
 * /proc cannot be read.
 */
export function callerFds(): number[] {
  const now = readFds();
  const snapshot = store[SNAPSHOT];
  if (snapshot === undefined) return now.filter((f) => f.fd > 2 && !f.cloexec).map((f) => f.fd).sort((a, b) => a - b);
  const links = new Map(now.map((f) => [f.fd, f.link]));
  return snapshot.filter((f) => links.get(f.fd) === f.link).map((f) => f.fd);
}
