/**
 * The registry of built-in commands (names starting with `_`, inventory §1.8). Each
 * built-in lives in its own module under ./builtins/ and is loaded only when used, so the
 * start-up import graph stays tiny.
 */
import type { CliContext } from './context.js';
// `_run` is on the start-up hot path (`vagga _run C true` is benchmarked against bare bwrap):
// imported statically so the whole path is loaded in one go instead of chained lazy imports.
import * as runBuiltin from './builtins/run.js';

/** The shape every ./builtins/<name>.ts module exports. */
export interface BuiltinModule {
  /** Run with the arguments after the built-in's name; resolves with the exit status. */
  run(ctx: CliContext, args: string[]): Promise<number>;
}

export interface BuiltinEntry {
  name: string;
  /** One line for `_list --all` (Vagga's wording where Vagga lists it). */
  summary: string;
  /**
   * Shown by `_list --all`/`--hidden`. Every built-in this version implements is listed
   * (Vagga's own `_list` shows a fixed subset, its completion list all of them, §1.8);
   * Vagga built-ins not implemented here are not listed.
   */
  listed: boolean;
  load(): Promise<BuiltinModule>;
}

/** Every built-in, in the order `_list --all` prints the listed ones. */
export const BUILTINS: readonly BuiltinEntry[] = [
  { name: '_build', summary: 'Build a container', listed: true, load: () => import('./builtins/build.js') },
  { name: '_run', summary: 'Run arbitrary command, optionally building container', listed: true, load: async () => runBuiltin },
  { name: '_clean', summary: 'Clean containers and build artifacts', listed: true, load: () => import('./builtins/clean.js') },
  { name: '_list', summary: 'List of built-in commands', listed: true, load: () => import('./builtins/list.js') },
  { name: '_base_dir', summary: 'Display a directory which contains vagga.yaml', listed: true, load: () => import('./builtins/base-dir.js') },
  {
    name: '_relative_work_dir',
    summary: 'Display a relative path from the current working directory to the directory containing vagga.yaml',
    listed: true,
    load: () => import('./builtins/relative-work-dir.js'),
  },
  { name: '_version_hash', summary: 'Print the version hash of a container', listed: true, load: () => import('./builtins/version-hash.js') },
  { name: '_init_storage_dir', summary: 'Initialize the storage dir of this project (storage-dir setting)', listed: true, load: () => import('./builtins/init-storage-dir.js') },
  { name: '_verify', summary: 'Check that a built container is unchanged since its build', listed: true, load: () => import('./builtins/verify.js') },
  { name: '_hardlink', summary: 'Hard-link identical files across built containers', listed: true, load: () => import('./builtins/hardlink.js') },
  { name: '_compgen', summary: 'Shell completion backend', listed: false, load: () => import('./builtins/compgen.js') },
  { name: '_completion', summary: 'Print a bash or zsh completion script', listed: true, load: () => import('./builtins/completion.js') },
];

/** The built-in called `name`, if any. */
export function findBuiltin(name: string): BuiltinEntry | undefined {
  return BUILTINS.find((b) => b.name === name);
}
