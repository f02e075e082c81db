/**
 * The words `vagga _compgen` offers (Vagga's shell completion backend, inventory §1.8, its
 * tests/completion.bats): `vagga _compgen [WORDS TYPED BEFORE...] -- [CURRENT PREFIX]`
 * prints, one per line, the candidates starting with the prefix. Vagga's behaviour, walked
 * word by word through the same states as its completion:
 *  - at the command position (also after a global option, its value, or an unknown word):
 *    every user command (sorted); the built-ins when the prefix starts with `_`; the global
 *    options when it starts with `-` (one-time options once only, `-E`/`-e` always);
 *    nothing right after an option that takes a value;
 *  - after a `!Supervise` command: `--only --exclude --no-image-download --no-build
 *    --no-version-check` (each once); after `--only`/`--exclude` (and their values) the
 *    children and tags not chosen yet, plus the options when the prefix starts with `-`;
 *  - after a built-in: its container names (for `_run`/`_run_in_netns` not the data
 *    containers, those with `data-dirs`) and, for a `-` prefix, its options (each once);
 *    nothing once a container (any other word) is given;
 *  - after any other user command: nothing.
 * The built-ins offered are exactly Vagga's list, in its order, with its options (Vagga's
 * tests check the exact list; `_run` says `-W --writable`, the spelling Vagga's completion
 * uses, accepted by our `_run` as well). Built-ins of this version that Vagga does not have
 * (`_verify`, `_hardlink`, `_help`, `_completion`) are not offered at `_`, but once typed
 * their arguments complete from their declarations (src/cli/builtins.ts).
 */
import type { CommandConfig, Config } from '../../config/model.js';
import type { BuiltinSpec } from '../builtin-spec.js';

/** One option for completion: its spellings, whether a value follows, offered once only. */
interface CompletionOption {
  names: readonly string[];
  hasArg: boolean;
  single: boolean;
}

/** A built-in for completion: whether its first positional is a container (or other words). */
interface CompletionBuiltin {
  name: string;
  /** Words its first positional completes: containers ('container', 'run': not data containers) or fixed words. */
  positional: 'container' | 'run' | 'none' | 'command' | readonly string[];
  options: readonly CompletionOption[];
}

const flag = (...names: string[]): CompletionOption => ({ names, hasArg: false, single: true });
const NO_IMAGE_DOWNLOAD = flag('--no-image-download');
const NO_BUILD = flag('--no-build');
const NO_VERSION_CHECK = flag('--no-version-check');
const BUILD_MODE = [NO_IMAGE_DOWNLOAD, NO_BUILD, NO_VERSION_CHECK];

/** Vagga's global options as its completion lists them, in its order. */
const GLOBAL: readonly CompletionOption[] = [
  flag('-V', '--version'),
  { names: ['-E', '--env', '--environ'], hasArg: true, single: false },
  { names: ['-e', '--use-env'], hasArg: true, single: false },
  flag('--ignore-owner-check'),
  ...BUILD_MODE,
  flag('--no-net', '--no-network', '--isolate-network'),
];

/** The global option spellings, in Vagga's completion order. */
export const GLOBAL_OPTIONS: readonly string[] = GLOBAL.flatMap((o) => o.names);

/** A supervise command's options; `--only`/`--exclude` take children or tags. */
const SUPERVISE: readonly (CompletionOption & { children: boolean })[] = [
  { names: ['--only'], hasArg: true, single: true, children: true },
  { names: ['--exclude'], hasArg: true, single: true, children: true },
  ...BUILD_MODE.map((o) => ({ ...o, children: false })),
];

/** Vagga's built-ins as its completion offers them, in its order. */
const VAGGA_BUILTINS: readonly CompletionBuiltin[] = [
  { name: '_build', positional: 'container', options: [flag('--force')] },
  { name: '_build_shell', positional: 'none', options: [] },
  {
    name: '_clean', positional: 'none',
    options: [flag('--tmp', '--tmp-folders'), flag('--old', '--old-containers'), flag('--unused'), flag('--transient'), flag('--global'), flag('-n', '--dry-run')],
  },
  { name: '_create_netns', positional: 'none', options: [flag('--dry-run'), flag('--no-iptables')] },
  { name: '_destroy_netns', positional: 'none', options: [flag('--dry-run'), flag('--no-iptables')] },
  { name: '_init_storage_dir', positional: 'none', options: [] },
  { name: '_list', positional: 'none', options: [] },
  {
    name: '_pack_image', positional: 'container',
    options: [{ names: ['-f', '--file'], hasArg: true, single: true }, flag('-z', '--gzip'), flag('-j', '--bzip2'), flag('-J', '--xz'), ...BUILD_MODE],
  },
  { name: '_push_image', positional: 'container', options: BUILD_MODE },
  { name: '_run', positional: 'run', options: [flag('-W', '--writable'), ...BUILD_MODE] },
  { name: '_run_in_netns', positional: 'run', options: [{ names: ['--pid'], hasArg: true, single: true }, ...BUILD_MODE] },
  { name: '_version_hash', positional: 'container', options: [flag('-s', '--short'), flag('-fd3')] },
  { name: '_check_overlayfs_support', positional: 'none', options: [] },
  { name: '_base_dir', positional: 'none', options: [] },
  { name: '_relative_work_dir', positional: 'none', options: [] },
  { name: '_update_symlinks', positional: 'none', options: [] },
];

/** A built-in of this version that Vagga does not have, from its declaration. */
function fromDeclaration(spec: BuiltinSpec): CompletionBuiltin {
  const first = spec.positionals[0]?.complete;
  return {
    name: spec.name,
    positional: first === undefined ? 'none' : first,
    options: spec.options.filter((o) => o.complete !== false).map((o) => ({ names: o.flags, hasArg: o.value !== undefined, single: true })),
  };
}

type State =
  | { t: 'global' }
  | { t: 'globalOption'; opt: CompletionOption }
  | { t: 'user' }
  | { t: 'supervise'; name: string }
  | { t: 'superviseOption'; name: string; opt: (typeof SUPERVISE)[number] }
  | { t: 'superviseArg'; name: string; opt: (typeof SUPERVISE)[number] }
  | { t: 'builtin'; b: CompletionBuiltin }
  | { t: 'builtinOption'; b: CompletionBuiltin; opt: CompletionOption }
  | { t: 'positional' };

/**
 * Completion candidates for the words `typed` before the cursor and the partial word
 * `current`, given the project's `config` (undefined outside a project: no commands and
 * no containers) and this version's built-ins (their declarations, for the ones Vagga
 * does not have). Pure.
 */
export function completionCandidates(typed: readonly string[], current: string, config: Config | undefined, builtins: readonly BuiltinSpec[]): string[] {
  const commands = config?.commands ?? {};
  const extra = builtins.filter((b) => !VAGGA_BUILTINS.some((v) => v.name === b.name)).map(fromDeclaration);
  const usedGlobal = new Set<CompletionOption>();
  const usedCommand = new Set<CompletionOption>();
  const chosen = new Set<string>();
  let state: State = { t: 'global' };

  const commandOrOption = (word: string): State | undefined => {
    const cmd = Object.hasOwn(commands, word) ? commands[word] : undefined;
    if (cmd) return cmd.kind === 'Supervise' ? { t: 'supervise', name: word } : { t: 'user' };
    const opt = GLOBAL.find((o) => o.names.includes(word));
    if (opt) return { t: 'globalOption', opt };
    const b = VAGGA_BUILTINS.find((x) => x.name === word) ?? extra.find((x) => x.name === word);
    return b ? { t: 'builtin', b } : undefined;
  };
  const superviseOption = (name: string, word: string): State | undefined => {
    const opt = SUPERVISE.find((o) => o.names.includes(word));
    return opt ? { t: 'superviseOption', name, opt } : undefined;
  };
  const builtinOption = (b: CompletionBuiltin, word: string): State | undefined => {
    const opt = b.options.find((o) => o.names.includes(word));
    return opt ? { t: 'builtinOption', b, opt } : undefined;
  };

  for (const word of typed) {
    const s: State = state;
    let next: State | undefined;
    switch (s.t) {
      case 'global':
        next = commandOrOption(word);
        break;
      case 'globalOption':
        next = s.opt.hasArg ? { t: 'global' } : commandOrOption(word) ?? { t: 'global' };
        break;
      case 'supervise':
        next = superviseOption(s.name, word);
        break;
      case 'superviseArg':
        next = superviseOption(s.name, word);
        break;
      case 'superviseOption':
        next = s.opt.hasArg ? { t: 'superviseArg', name: s.name, opt: s.opt } : superviseOption(s.name, word) ?? { t: 'supervise', name: s.name };
        if (next.t === 'superviseArg' && s.opt.children) {
          const cmd = commands[s.name];
          if (cmd?.kind === 'Supervise' && Object.entries(cmd.children).some(([n, c]) => n === word || childTags(c).includes(word))) chosen.add(word);
        }
        break;
      case 'builtin':
        next = builtinOption(s.b, word) ?? { t: 'positional' };
        break;
      case 'builtinOption':
        next = s.opt.hasArg ? { t: 'builtin', b: s.b } : builtinOption(s.b, word) ?? { t: 'builtin', b: s.b };
        break;
      default:
        next = undefined;
    }
    if (!next) continue;
    if (next.t === 'globalOption' && next.opt.single) usedGlobal.add(next.opt);
    if (next.t === 'superviseOption' && next.opt.single) usedCommand.add(next.opt);
    if (next.t === 'builtinOption' && next.opt.single) usedCommand.add(next.opt);
    state = next;
  }

  let out: string[] = [];
  const s: State = state;
  if (s.t === 'global' || (s.t === 'globalOption' && !s.opt.hasArg)) {
    out.push(...Object.keys(commands).sort());
    if (current.startsWith('_')) out.push(...VAGGA_BUILTINS.map((b) => b.name));
    if (current.startsWith('-')) out.push(...GLOBAL.filter((o) => !usedGlobal.has(o)).flatMap((o) => o.names));
  } else if (s.t === 'supervise') {
    out = SUPERVISE.flatMap((o) => o.names);
  } else if (s.t === 'superviseOption' || s.t === 'superviseArg') {
    const cmd = commands[s.name];
    if (s.opt.children && cmd?.kind === 'Supervise') {
      for (const [name, child] of Object.entries(cmd.children).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        for (const w of [name, ...childTags(child)]) if (!chosen.has(w)) out.push(w);
      }
    }
    if (current.startsWith('-') || !s.opt.hasArg) out.push(...SUPERVISE.filter((o) => !usedCommand.has(o)).flatMap((o) => o.names));
  } else if (s.t === 'builtin' || (s.t === 'builtinOption' && !s.opt.hasArg)) {
    const b = s.b;
    const containers = Object.entries(config?.containers ?? {}).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0));
    if (b.positional === 'container') out.push(...containers.map(([n]) => n));
    else if (b.positional === 'run') out.push(...containers.filter(([, c]) => (c.dataDirs ?? []).length === 0).map(([n]) => n));
    else if (b.positional === 'command') out.push(...Object.keys(commands).sort(), ...[...VAGGA_BUILTINS, ...extra].map((x) => x.name));
    else if (typeof b.positional === 'object') out.push(...b.positional);
    if (current.startsWith('-')) out.push(...b.options.filter((o) => !usedCommand.has(o)).flatMap((o) => o.names));
  }
  return out.filter((w) => w.startsWith(current));
}

function childTags(child: CommandConfig | { tags?: string[] }): readonly string[] {
  return child.tags ?? [];
}
