/**
 * Every colour vagga prints goes through this module: colours are used only on a terminal
 * and never when `NO_COLOR` has a non-empty value (https://no-color.org) or `TERM=dumb`.
 */

/** The styles vagga uses, as SGR parameters (ECMA-48). */
const STYLES = { error: '1;31', hint: '33', ok: '32' } as const;

export type Style = keyof typeof STYLES;

/** Whether to colour output written to `stream` (e.g. process.stderr) given the environment `env`. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** `text` in `style` when `color` is true, else unchanged. */
export function paint(color: boolean, style: Style, text: string): string {
  return color ? `\x1b[${STYLES[style]}m${text}\x1b[0m` : text;
}
