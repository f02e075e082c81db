/**
 * Every colour vagga prints goes through this module: colours are used only on a terminal
 * and never when `NO_COLOR` has a non-empty value (https://no-color.org) or `TERM=dumb`.
 * The other terminal control sequences live here too: erasing the live progress line
 * (src/builder/progress.ts) and stripping programs' escapes from build logs.
 */

/** The styles vagga uses, as SGR parameters (ECMA-48). */
const STYLES = { error: '1;31', hint: '33', ok: '32', bold: '1', dim: '2' } as const;

export type Style = keyof typeof STYLES;

/** Whether to colour output written to `stream` (e.g. process.stderr) given the environment `env`. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** `text` in `style` when `color` is true, else unchanged. */
export function paint(color: boolean, style: Style, text: string): string {
  return color ? `\x1b[${STYLES[style]}m${text}\x1b[0m` : text;
}

/**
 * Return to the start of the line and erase it (CR, then ECMA-48 EL `CSI 2 K`): the prefix
 * of each redraw of a live progress line. Only for a terminal.
 */
export const ERASE_LINE = '\r\x1b[2K';

/** ECMA-48 CSI and OSC sequences, other two-byte escapes, and C0 controls except tab and CR. */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** `text` without terminal escape sequences and control characters (tab, CR and LF kept). Pure. */
export function stripEscapes(text: string): string {
  return text.replace(ESCAPES, '');
}
