/**
 * Loading a project's configuration: find the project root, read vagga.yaml with mixins
 * and includes, validate into the model. CONTRACT STUB: implemented by the config work.
 */
import type { Config } from './model.js';

/**
 * Walk up from `cwd` to the first directory holding `.vagga/vagga.yaml` or `vagga.yaml`
 * (or only an implicit local mixin). Throws VaggaError (126) `Config not found in path "<cwd>"`.
 */
export function findProjectRoot(cwd: string): { root: string; mainFile: string | undefined } {
  throw new Error('not implemented');
}

/** Load and validate the project configuration visible from `cwd`. Throws ConfigError (126). */
export function loadConfig(cwd: string): Config {
  throw new Error('not implemented');
}
