/**
 * What every built-in and user command receives: the global options, the host facts
 * (cwd, environment), output writers, and a lazily loaded project (config + settings).
 * The project loaders are imported dynamically so that `vagga --version` and friends never
 * load the YAML parser.
 */
import type { Project } from '../config/project.js';
import type { SandboxDeps } from '../runtime/run-in-container.js';
import type { GlobalOptions } from './global-options.js';
import { loadProjectCached, quickProjectRoot } from './project-cache.js';
import { checkProjectOwner } from './owner-check.js';


export interface CliContext {
  globals: GlobalOptions;
  /** The user's current directory (physical path, as getcwd(3) reports it). */
  cwd: string;
  /** The host environment. */
  env: NodeJS.ProcessEnv;
  /** Write to stdout / stderr (text as is, no newline added). */
  out(text: string): void;
  err(text: string): void;
  /** Warnings and progress for the user, on stderr, unless `-q`. */
  warn(text: string): void;
  /**
   * Load (once) the project visible from `cwd`, then check its owner (owner-check.ts) unless
   * `--ignore-owner-check`. Throws ConfigError (126); VaggaError (122) when root runs in
   * someone else's project.
   */
  project(): Promise<Project>;
  /** Sandbox collaborators to use instead of the real ones (tests). */
  sandboxDeps?: SandboxDeps;
}

/**
 * Load the project for a built-in that names container `name` (`_build`, `_run`,
 * `_version_hash`): a dependency-cycle error is narrowed to the loop of that container
 * (config/references.ts focusOnContainer), so `_build crash` reports crash's own cycle.
 */
export async function projectFor(ctx: CliContext, name: string): Promise<Project> {
  try {
    return await ctx.project();
  } catch (error) {
    const { focusOnContainer } = await import('../config/references.js');
    throw focusOnContainer(error, name);
  }
}

/** Options for createContext; every field defaults to the real process. */
export interface ContextInit {
  globals: GlobalOptions;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** Replace project loading (tests); default: loadProjectCached. */
  loadProject?: (cwd: string, env: NodeJS.ProcessEnv) => Promise<Project>;
  /** Replace the sandbox (tests). */
  sandboxDeps?: SandboxDeps;
  /**
   * Replace the project owner check (tests); default: checkProjectOwner (owner-check.ts),
   * skipped with `--ignore-owner-check`. Returns a warning or throws.
   */
  ownerCheck?: (projectRoot: string) => string | undefined;
}

/**
 * Writer for the real stdout. A closed pipe (`vagga _list | head -1`) is not an error
 * worth a stack trace: like Vagga, output errors are ignored.
 */
function stdoutWriter(): (text: string) => void {
  // process.stdout is created on first access (a tty or pipe stream: ~1 ms); most runs of
  // a command never write to it, so it is touched only when something is written.
  let ready = false;
  return (t) => {
    if (!ready) {
      process.stdout.on('error', () => {});
      ready = true;
    }
    process.stdout.write(t);
  };
}

/** Build a CliContext for the current process (or the overrides given). */
export function createContext(init: ContextInit): CliContext {
  const env = init.env ?? process.env;
  const cwd = init.cwd ?? process.cwd();
  const out = init.out ?? stdoutWriter();
  const err = init.err ?? ((t: string) => void process.stderr.write(t));
  const load = init.loadProject ?? loadProjectCached;
  let loaded: Promise<Project> | undefined;
  const warnOwner = (warning: string | undefined) => {
    if (warning) ctx.warn(warning);
  };
  const ctx: CliContext = {
    globals: init.globals,
    sandboxDeps: init.sandboxDeps,
    cwd,
    env,
    out,
    err,
    warn: (text) => {
      if (init.globals.verbosity > 0) err(text.endsWith('\n') ? text : `${text}\n`);
    },
    project: () => {
      loaded ??= (async () => {
        // The owner check comes first, so that nothing (not even the config cache) is
        // written into someone else's project; the loader's root is checked if it differs.
        const check = init.globals.ignoreOwnerCheck ? undefined : init.ownerCheck ?? checkProjectOwner;
        const early = check ? quickProjectRoot(cwd) : undefined;
        if (check && early !== undefined) warnOwner(check(early));
        const p = await load(cwd, env);
        if (check && p.config.projectRoot !== early) warnOwner(check(p.config.projectRoot));
        for (const w of p.config.warnings) ctx.warn(`Warning: ${w}`);
        return p;
      })();
      return loaded;
    },
  };
  return ctx;
}
