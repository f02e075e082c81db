/**
 * Socket activation through vagga (issue 14 part 17; systemd's protocol, sd_listen_fds(3)):
 * an activator (systemd --user, `systemd-socket-activate`) starts vagga with listening
 * sockets at fds 3.. and LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (vagga's pid) set. The
 * sockets reach the command like every descriptor vagga's caller left open
 * (src/sandbox/caller-fds.ts); the variables are passed on, with LISTEN_PID set to the
 * command's own pid, which only the command's process knows: the host's dash sets it from
 * `$$` and execs the command (the same pid), so sd_listen_fds() in the container accepts them.
 */
import type { MountOp } from '../mounts/types.js';
import { hostExec, type HostExec } from '../steps/run-as/host-exec.js';
import { RUN_HOST_USR_MOUNT } from './user-ids.js';

/** What an activator passed to vagga. */
export interface SocketActivation {
  /** LISTEN_FDS: how many sockets, at fds 3, 4, ... */
  count: number;
  /** LISTEN_FDNAMES, when set. */
  names?: string;
}

/**
 * The activation meant for this process (`env`, `pid`: vagga's own), or undefined: LISTEN_PID
 * must be `pid` and LISTEN_FDS a positive number, as sd_listen_fds(3) checks. Pure.
 */
export function socketActivation(env: Readonly<Record<string, string | undefined>>, pid: number): SocketActivation | undefined {
  if (env.LISTEN_PID !== String(pid)) return undefined;
  const count = Number(env.LISTEN_FDS);
  if (!Number.isInteger(count) || count <= 0) return undefined;
  return env.LISTEN_FDNAMES !== undefined ? { count, names: env.LISTEN_FDNAMES } : { count };
}

/** The command's environment additions for `activation` (LISTEN_PID is set by the wrapper). Pure. */
export function activationEnv(activation: SocketActivation): Record<string, string> {
  return { LISTEN_FDS: String(activation.count), ...(activation.names !== undefined ? { LISTEN_FDNAMES: activation.names } : {}) };
}

/**
 * The mounts and argv prefix that set LISTEN_PID to the command's pid and exec the rest of
 * the argv: the host's dash through the host's loader (host-exec.ts). Throws VaggaError
 * (121) when the host's dash is not under /usr.
 */
export function listenPidWrapper(exec: HostExec = hostExec(undefined, undefined, RUN_HOST_USR_MOUNT)): { mounts: MountOp[]; prefix: string[] } {
  return { mounts: exec.mounts, prefix: [...exec.argv('/usr/bin/dash'), '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh'] };
}
