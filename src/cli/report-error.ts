/**
 * The one place turning a thrown error into text and an exit status (inventory §2.10).
 *
 * - VaggaError: its message, then its hint (if any) on following lines; exit with its code.
 * - Anything else is a bug in vagga: `internal error (a bug): <message>` plus the stack;
 *   exit 121. 121 is Vagga's "launcher-level failure" code; exit 1 was not chosen because
 *   it is indistinguishable from a user command's own `exit 1`.
 */
import { VaggaError } from '../errors/vagga-error.js';
import { paint } from './colour.js';

export { useColor } from './colour.js';

/** Exit status used for unexpected (non-VaggaError) errors. */
export const INTERNAL_ERROR_EXIT = 121;

/** Render `err` for stderr (ending with a newline) and pick the exit status. Pure. */
export function renderError(err: unknown, color: boolean): { text: string; exitCode: number } {
  const red = (s: string): string => paint(color, 'error', s);
  const yellow = (s: string): string => paint(color, 'hint', s);
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
