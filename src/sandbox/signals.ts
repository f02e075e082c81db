/**
 * Which signals vagga passes on to the process running in a sandbox, and the two that Node
 * would otherwise act on itself. Node.js reserves SIGUSR1 to start its debugger: without a
 * listener, `kill -USR1 <vagga>` opens an inspector on 127.0.0.1:9229 (Node docs,
 * "Signal events"); SIGUSR2 would simply end vagga. Programs use both for their own
 * purposes (log reopening, reload), so vagga forwards them like SIGINT/SIGTERM while a
 * command runs (bwrap.ts) and ignores them at any other time (configuration, builds).
 */

/** The user-defined signals Node.js must not handle itself. */
export const USER_SIGNALS: readonly NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];

/** Signals forwarded to the sandbox while it runs (inventory §2.10 lists INT/QUIT/TERM; HUP and USR1/2 too). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', ...USER_SIGNALS];

const ignore = (): void => {};
let installed = false;

/**
 * Install (once per process) listeners that ignore SIGUSR1 and SIGUSR2, so Node never starts
 * its inspector and the default "terminate" action never applies. Listeners added later
 * (signal forwarding) run as well. Signal listeners do not keep the event loop alive.
 */
export function ignoreUserSignals(): void {
  if (installed) return;
  installed = true;
  for (const sig of USER_SIGNALS) process.on(sig, ignore);
}
