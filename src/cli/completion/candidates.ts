/**
 * The words `vagga _compgen` offers (Vagga's shell completion backend, inventory §1.8, its
 * tests/completion.bats): `vagga _compgen [WORDS TYPED BEFORE...] -- [CURRENT PREFIX]`
 * prints, one per line, the candidates starting with the prefix:
 *  - at the command position: the user's commands (sorted, `_`-prefixed ones hidden), then
 *    Vagga's global options `-E --env --environ -e --use-env --ignore-owner-check --no-build
 *    --no-version-check`; a prefix starting with `_` completes the built-ins instead;
 *  - after a built-in: what its first positional completes (container names, fixed words),
 *    then its options (every spelling, except options declared `complete: false`); for a
 *    built-in taking positionals, nothing once one is given. All from the built-in's
 *    declaration (src/cli/builtins.ts);
 *  - after a `!Supervise` command: `--only`/`--exclude` (each once), child names after them.
 * Differences from Vagga: only built-ins this version implements are offered, and `_run`
 * offers `-W --writeable` (the spelling its parser accepts; Vagga's completion says
 * `--writable`, which its parser rejects, inventory §5).
 */
import type { Config } from '../../config/model.js';
import type { BuiltinSpec } from '../builtin-spec.js';
import { GLOBAL_SPECS } from '../global-options.js';

/** Vagga's global options as its completion lists them, in its order. */
export const GLOBAL_OPTIONS: readonly string[] = [
  '-E', '--env', '--environ', '-e', '--use-env', '--ignore-owner-check', '--no-build', '--no-version-check',
];
/** Global options followed by a value (skipped while walking the typed words). */
const GLOBAL_WITH_VALUE = new Set(GLOBAL_SPECS.filter((s) => s.kind === 'value' || s.kind === 'list').flatMap((s) => s.names));

/**
 * Completion candidates for the words `typed` before the cursor and the partial word
 * `current`, given the project's `config` (undefined outside a project: only options and
 * built-ins) and the built-ins to offer. Pure.
 */
export function completionCandidates(typed: readonly string[], current: string, config: Config | undefined, builtins: readonly BuiltinSpec[]): string[] {
  let i = 0;
  while (i < typed.length && typed[i]!.startsWith('-')) {
    i += GLOBAL_WITH_VALUE.has(typed[i]!) ? 2 : 1;
  }
  const words = i < typed.length ? typed.slice(i) : undefined;
  let out: string[];
  if (words === undefined) {
    out = current.startsWith('_')
      ? builtins.map((b) => b.name).sort()
      : [...Object.keys(config?.commands ?? {}).filter((c) => !c.startsWith('_')).sort(), ...GLOBAL_OPTIONS];
  } else {
    out = afterCommand(words[0]!, words.slice(1), config, builtins);
  }
  return out.filter((w) => w.startsWith(current));
}

function afterCommand(command: string, rest: readonly string[], config: Config | undefined, builtins: readonly BuiltinSpec[]): string[] {
  const spec = builtins.find((b) => b.name === command);
  if (spec) {
    if (spec.positionals.length > 0 && rest.some((w) => !w.startsWith('-'))) return [];
    const first = spec.positionals[0]?.complete;
    const positional = first === 'container' ? Object.keys(config?.containers ?? {}).sort()
      : first === 'command' ? [...Object.keys(config?.commands ?? {}).filter((c) => !c.startsWith('_')).sort(), ...builtins.map((b) => b.name).sort()]
        : typeof first === 'object' ? first : [];
    return [...positional, ...spec.options.filter((o) => o.complete !== false).flatMap((o) => o.flags)];
  }
  const cmd = config?.commands[command];
  if (cmd?.kind === 'Supervise') {
    const last = rest[rest.length - 1];
    if (last === '--only' || last === '--exclude') return Object.keys(cmd.children);
    return ['--only', '--exclude'].filter((o) => !rest.includes(o));
  }
  return [];
}
