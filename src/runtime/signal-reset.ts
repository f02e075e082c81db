/**
 * Commands start with the signal state a shell gives the programs it runs: nothing blocked,
 * every signal at its default action (issue 8 part 7). The sandbox's init, catatonit 0.1.7
 * (Debian 12), blocks SIGTSTP, SIGTTIN and SIGTTOU in its child while it hands it the
 * terminal and never unblocks them, so a command started by it could not be stopped with
 * Ctrl-Z and ignored background-terminal stops (measured: SigBlk 0x380000 in
 * /proc/self/status; node's spawn itself starts children with an empty mask and default
 * actions). The command is therefore started through the host's coreutils
 * `env --default-signal` (env(1): resets every signal to its default action; it also empties
 * the blocked mask, measured with coreutils 9.1), run through the host's loader like the
 * id switch (src/steps/run-as/host-exec.ts), so it works in containers without a C library.
 */
import type { MountOp } from '../mounts/types.js';
import { hostExec, type HostExec } from '../steps/run-as/host-exec.js';
import { RUN_HOST_USR_MOUNT } from './user-ids.js';

/**
 * The mounts and argv prefix that reset the signal mask and dispositions before exec'ing
 * the command (the command's argv follows the prefix). Throws VaggaError (121) when the
 * host's env is not under /usr (host-exec.ts).
 */
export function signalReset(exec: HostExec = hostExec(undefined, undefined, RUN_HOST_USR_MOUNT)): { mounts: MountOp[]; prefix: string[] } {
  return { mounts: exec.mounts, prefix: [...exec.argv('/usr/bin/env'), '--default-signal', '--'] };
}
