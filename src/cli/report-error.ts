/**
 * The one place turning a thrown error into text and an exit status (inventory §2.10).
 *
 * - VaggaError: its message, then its hint (if any) on following lines; exit with its code.
 * - A Node system error for a fault of the environment (a full disk, a quota, too many open
 *   files, an environment too big to exec, a permission or a read-only file system): one
 *   line naming what ran out and where (environmentFault), exit 121, no stack.
 * - Anything else is a bug in vagga: `internal error (a bug): <message>` plus the stack;
 *   exit 121. 121 is Vagga's "launcher-level failure" code; exit 1 was not chosen because
 *   it is indistinguishable from a user command's own `exit 1`.
 */
import { VaggaError } from '../errors/vagga-error.js';
import { paint } from './colour.js';

export { useColor } from './colour.js';

/** Exit status used for unexpected (non-VaggaError) errors. */
export const INTERNAL_ERROR_EXIT = 121;

/** What each environment fault means, by errno name (errno(3)). */
const FAULTS: Record<string, { what: string }> = {
  ENOSPC: { what: 'No space left on the device' },
  EDQUOT: { what: 'The disk quota is exhausted' },
  EMFILE: { what: 'vagga ran out of file descriptors (the per-process limit, `ulimit -n`)' },
  ENFILE: { what: 'The system ran out of file descriptors (the system-wide limit)' },
  E2BIG: { what: 'The arguments and environment (e.g. `environ` in vagga.yaml) are too big to start a program' },
  EACCES: { what: 'Permission denied' },
  EPERM: { what: 'Operation not permitted' },
  EROFS: { what: 'The file system is read-only' },
};

/**
 * The one-line VaggaError (121) for a Node system error (`code`, `syscall`, `path`, `dest`)
 * that is a fault of the environment (FAULTS), else undefined. Looks through
 * `cause` chains of non-VaggaErrors. Pure.
 */
export function environmentFault(err: unknown): VaggaError | undefined {
  for (let e = err, depth = 0; e instanceof Error && !(e instanceof VaggaError) && depth < 5; e = (e as Error & { cause?: unknown }).cause, depth++) {
    const sys = e as NodeJS.ErrnoException & { dest?: string };
    const fault = sys.code === undefined ? undefined : FAULTS[sys.code];
    if (fault === undefined) continue;
    const where = sys.syscall?.startsWith('spawn')
      ? (sys.path !== undefined ? `starting ${sys.path}` : undefined)
      : sys.path !== undefined ? `${sys.syscall ?? 'at'} ${sys.path}${sys.dest ? ` -> ${sys.dest}` : ''}` : sys.syscall;
    return new VaggaError(`${fault.what}${where ? ` (${where})` : ''} [${sys.code}]`, { code: 'env.resource-fault' });
  }
  return undefined;
}

/** Render `err` for stderr (ending with a newline) and pick the exit status. Pure. */
export function renderError(err: unknown, color: boolean): { text: string; exitCode: number } {
  const red = (s: string): string => paint(color, 'error', s);
  const yellow = (s: string): string => paint(color, 'hint', s);
  err = environmentFault(err) ?? err;
  if (err instanceof VaggaError) {
    let text = `${red(err.message)}\n`;
    if (err.hint) text += err.hint.split('\n').map((l) => `${yellow('hint:')} ${l}\n`).join('');
    return { text, exitCode: err.exitCode };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const stack = e.stack && e.stack.includes(e.message) ? e.stack : `${e.message}\n${e.stack ?? ''}`;
  return {
    text: `${red('internal error (a bug):')} ${stack}\nPlease report it with the command line and vagga.yaml that caused it.\n`,
    exitCode: INTERNAL_ERROR_EXIT,
  };
}
