/**
 * The words `vagga _compgen` offers (Vagga's shell completion backend, inventory §1.8, its
 * tests/completion.bats): `vagga _compgen [WORDS TYPED BEFORE...] -- [CURRENT PREFIX]`
 * prints, one per line, the candidates starting with the prefix:
 *  - at the command position: the user's commands (sorted, `_`-prefixed ones hidden), then
 *    Vagga's global options `-E --env --environ -e --use-env --ignore-owner-check --no-build
 *    --no-version-check`; a prefix starting with `_` completes the built-ins instead;
 *  - after `_build`/`_run`/`_version_hash`: container names (until one is given), then the
 *    built-in's options; after other built-ins: their options;
 *  - after a `!Supervise` command: `--only`/`--exclude` (each once), child names after them.
 * Differences from Vagga: only built-ins this version implements are offered, and `_run`
 * offers `-W --writeable` (the spelling its parser accepts; Vagga's completion says
 * `--writable`, which its parser rejects, inventory §5).
 */
import type { Config } from '../../config/model.js';

/** Vagga's global options as its completion lists them, in its order. */
export const GLOBAL_OPTIONS: readonly string[] = [
  '-E', '--env', '--environ', '-e', '--use-env', '--ignore-owner-check', '--no-build', '--no-version-check',
];
/** Global options followed by a value (skipped while walking the typed words). */
const GLOBAL_WITH_VALUE = new Set(['-E', '--env', '--environ', '-e', '--use-env']);

/** Per built-in: does it take a container name first, and its options in offer order. */
const BUILTIN_ARGS: Record<string, { container: boolean; options: string[] }> = {
  _build: { container: true, options: ['--force'] },
  _run: { container: true, options: ['-W', '--writeable'] },
  _version_hash: { container: true, options: ['-s', '--short', '--debug-versioning', '--dump-version-data'] },
  _verify: { container: true, options: [] },
  _clean: {
    container: false,
    options: ['--tmp', '--old', '--unused', '--at-least', '--transient', '--everything', '--global', '--dry-run'],
  },
  _list: { container: false, options: ['--containers', '-A', '--all', '--hidden', '--zsh', '--no-aliases', '-v', '--verbose'] },
  _init_storage_dir: { container: false, options: ['--allow-multiple'] },
  _completion: { container: false, options: ['bash', 'zsh'] },
};

/**
 * Completion candidates for the words `typed` before the cursor and the partial word
 * `current`, given the project's `config` (undefined outside a project: only options and
 * built-ins) and the built-in names available. Pure.
 */
export function completionCandidates(typed: readonly string[], current: string, config: Config | undefined, builtins: readonly string[]): string[] {
  let i = 0;
  while (i < typed.length && typed[i]!.startsWith('-')) {
    i += GLOBAL_WITH_VALUE.has(typed[i]!) ? 2 : 1;
  }
  const words = i < typed.length ? typed.slice(i) : undefined;
  let out: string[];
  if (words === undefined) {
    out = current.startsWith('_')
      ? [...builtins].sort()
      : [...Object.keys(config?.commands ?? {}).filter((c) => !c.startsWith('_')).sort(), ...GLOBAL_OPTIONS];
  } else {
    out = afterCommand(words[0]!, words.slice(1), config);
  }
  return out.filter((w) => w.startsWith(current));
}

function afterCommand(command: string, rest: readonly string[], config: Config | undefined): string[] {
  const containers = Object.keys(config?.containers ?? {}).sort();
  const spec = BUILTIN_ARGS[command];
  if (spec) {
    if (!spec.container) return spec.options;
    const named = rest.some((w) => !w.startsWith('-'));
    return named ? [] : [...containers, ...spec.options];
  }
  const cmd = config?.commands[command];
  if (cmd?.kind === 'Supervise') {
    const last = rest[rest.length - 1];
    if (last === '--only' || last === '--exclude') return Object.keys(cmd.children);
    return ['--only', '--exclude'].filter((o) => !rest.includes(o));
  }
  return [];
}
