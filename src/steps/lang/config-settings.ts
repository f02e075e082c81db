/**
 * Settings that a language's `!*Config` step sets for the steps after it in the same
 * container (`!PipConfig`, `!NpmConfig`, `!GemConfig`, `!ComposerConfig`; vagga-inventory.md
 * §1.4): kept in BuildContext.state under one key, replaced whole by each config step (also
 * on replay of a dependency's steps), the language's defaults when no config step ran.
 */
import type { BuildContext } from '../step.js';

/** Accessors for one language's settings in a build's state. */
export interface ConfigSettings<T> {
  /** The settings in force for this build: the last config step's, else the defaults. */
  get(ctx: Pick<BuildContext, 'state'>): T;
  /** Replace the settings with (a shallow copy of) `p`: the config step's build and replay. */
  set(p: T, ctx: Pick<BuildContext, 'state'>): void;
}

/** The settings stored under state key `key` (e.g. `pip.settings`), `defaults` when unset. */
export function configSettings<T extends object>(key: string, defaults: T): ConfigSettings<T> {
  return {
    get: (ctx) => (ctx.state.get(key) as T | undefined) ?? defaults,
    set: (p, ctx) => {
      ctx.state.set(key, { ...p });
    },
  };
}
