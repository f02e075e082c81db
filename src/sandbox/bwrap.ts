/**
 * Running a process in a bubblewrap sandbox. CONTRACT STUB: implemented by the sandbox work.
 */
import type { SandboxResult, SandboxSpec } from './types.js';

/**
 * Start `spec.argv` in new user, mount, pid and ipc namespaces through bwrap, install the
 * uid/gid maps with newuidmap/newgidmap (concurrently) while bwrap waits on
 * --userns-block-fd, forward SIGINT/SIGTERM/SIGHUP, and resolve with the exit status
 * (128+N for signal N). Throws SandboxError (124) when bwrap fails before the command
 * starts (no `exit-code` on --json-status-fd), MissingToolError when bwrap/newuidmap are absent.
 */
export async function runSandbox(spec: SandboxSpec): Promise<SandboxResult> {
  throw new Error('not implemented');
}
