/**
 * The command line of a `!Supervise` command and the children it selects (inventory §1.6
 * "CLI for a supervise command", §2.9): `--only NAME_OR_TAG...`, `--exclude NAME_OR_TAG...`,
 * `-h`/`--help`; children are taken in sorted name order. Pure.
 */
import type { CommandConfig, SuperviseConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';

/**
 * A build-mode flag given after a supervise command's name (Vagga's supervisor takes them
 * when the command has no `options`): the last one wins over the global flags, for the
 * containers of this command's children.
 */
export type SuperviseBuildMode = 'no-image-download' | 'no-build' | 'no-version-check';

/** Parsed arguments of a supervise command. */
export type SuperviseArgs = { kind: 'run'; only: string[]; exclude: string[]; buildMode?: SuperviseBuildMode } | { kind: 'help'; text: string };

const BUILD_MODE_FLAGS: Record<string, SuperviseBuildMode> = {
  '--no-image-download': 'no-image-download',
  '--no-build': 'no-build',
  '--no-version-check': 'no-version-check',
};

/** The exact stderr text (one line) when no child is selected; exit 127 (§2.9). */
export const NO_CHILDREN_MESSAGE = 'This supervise command has no children matching conditions. Either your `children` is empty, '
  + "or your `--only` arguments don't match anything, or your `--exclude` arguments do exclude all the processes.";

/** The usage text of `vagga NAME --help`. */
export function superviseHelp(cmd: Pick<SuperviseConfig, 'name' | 'description'>): string {
  return `Usage:\n    vagga ${cmd.name} [--only NAME_OR_TAG...] [--exclude NAME_OR_TAG...]\n`
    + (cmd.description ? `\n${cmd.description.replace(/\n?$/, '\n')}` : '')
    + '\nOptions:\n'
    + '    --only NAME_OR_TAG...     run only the children with these names or tags\n'
    + '    --exclude NAME_OR_TAG...  do not run the children with these names or tags\n'
    + '    --no-image-download       do not download container images (image-cache-url)\n'
    + '    --no-build                do not build containers, use the current versions\n'
    + '    --no-version-check        use whatever .vagga/<container> points to\n'
    + '    -h, --help                show this help\n';
}

/**
 * Parse `args` (what follows the command name). `--only`/`--exclude` take every following
 * argument up to the next one starting with `-`, and may repeat; `--only=X` works too.
 * `--no-image-download`, `--no-build`, `--no-version-check`: the last one is `buildMode`.
 * Throws VaggaError 122 `Unexpected argument "<arg>"` for anything else, and for an option
 * without a value.
 */
export function parseSuperviseArgs(cmd: Pick<SuperviseConfig, 'name' | 'description'>, args: readonly string[]): SuperviseArgs {
  const lists: Record<string, string[]> = { '--only': [], '--exclude': [] };
  // The option collecting values, and how many it had when it was (re)opened.
  let open: { flag: string; had: number } | undefined;
  const close = () => {
    if (open && lists[open.flag].length === open.had) {
      throw new VaggaError(`Option ${open.flag} needs at least one name or tag`, { code: 'args.bad-option', hint: usageHint(cmd.name) });
    }
    open = undefined;
  };
  let buildMode: SuperviseBuildMode | undefined;
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') return { kind: 'help', text: superviseHelp(cmd) };
    if (Object.hasOwn(BUILD_MODE_FLAGS, arg)) {
      close();
      buildMode = BUILD_MODE_FLAGS[arg];
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (Object.hasOwn(lists, flag)) {
      close();
      if (eq > 0) lists[flag].push(arg.slice(eq + 1));
      else open = { flag, had: lists[flag].length };
      continue;
    }
    if (open && !arg.startsWith('-')) {
      lists[open.flag].push(arg);
      continue;
    }
    throw new VaggaError(`Unexpected argument ${JSON.stringify(arg)}`, { code: 'args.bad-positional', hint: usageHint(cmd.name) });
  }
  close();
  const parsed: SuperviseArgs = { kind: 'run', only: lists['--only'], exclude: lists['--exclude'] };
  if (buildMode) parsed.buildMode = buildMode;
  return parsed;
}

function usageHint(name: string): string {
  return `Run \`vagga ${name} --help\` for the usage.`;
}

/** True when `child` is called `key` or has the tag `key`. */
function matches(name: string, child: CommandConfig, keys: readonly string[]): boolean {
  return keys.some((k) => k === name || child.tags.includes(k));
}

/**
 * Names of the children to run, sorted: with `only`, those matching one of its names or
 * tags; minus those matching `exclude`. May be empty (the caller prints NO_CHILDREN_MESSAGE).
 */
export function selectChildren(children: Record<string, CommandConfig>, only: readonly string[], exclude: readonly string[]): string[] {
  return Object.keys(children).sort().filter((name) => {
    const child = children[name];
    if (only.length > 0 && !matches(name, child, only)) return false;
    return !matches(name, child, exclude);
  });
}
