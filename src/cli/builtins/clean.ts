/**
 * `vagga _clean` (inventory §1.8, §2.4): remove old, unused, temporary or all container
 * versions. Vagga's exit codes for `_clean`: 1 for bad arguments, 3 for a failed cleanup.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/** The flags `_clean` understands; at least one action is required. */
export interface CleanFlags {
  tmp: boolean;
  old: boolean;
  unused: boolean;
  transient: boolean;
  everything: boolean;
  dryRun: boolean;
  /** `--at-least` in milliseconds. */
  atLeast?: number;
  global: boolean;
}

/** Exit 0 on success, 1 for bad arguments, 3 when the cleanup fails. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const v = parsed.values;
  const flags: CleanFlags = {
    tmp: Boolean(v.tmp),
    old: Boolean(v.old),
    unused: Boolean(v.unused),
    transient: Boolean(v.transient),
    everything: Boolean(v.everything),
    dryRun: Boolean(v.dryRun),
    global: Boolean(v.global),
  };
  if (typeof v.atLeast === 'string') {
    if (!flags.unused) throw new VaggaError('--at-least is only meaningful with --unused', { code: 'clean.bad-args' });
    const { parseDuration } = await import('../../storage/duration.js');
    try {
      flags.atLeast = parseDuration(v.atLeast);
    } catch (err) {
      throw new VaggaError(`Invalid --at-least ${JSON.stringify(v.atLeast)}: ${(err as Error).message}`, { code: 'clean.bad-args' });
    }
  }
  if (!flags.tmp && !flags.old && !flags.unused && !flags.transient && !flags.everything) {
    throw new VaggaError('Nothing to clean: give at least one of --tmp, --old, --unused, --transient, --everything', { code: 'clean.bad-args' });
  }
  if (flags.global) return cleanGlobally(ctx, flags);
  const project = await ctx.project();
  const { cleanStorage } = await import('../../storage/clean.js');
  try {
    await cleanStorage(project.config, project.settings, { ...flags, verbosity: ctx.globals.verbosity }, ctx.err);
  } catch (err) {
    if (err instanceof VaggaError) throw err;
    throw new VaggaError(`Cleanup failed: ${(err as Error).message}`, { code: 'clean.failed', cause: err });
  }
  return 0;
}

/**
 * `--global`: settings come from the project when there is one (site-settings apply),
 * else from the user's files for the current directory.
 */
async function cleanGlobally(ctx: CliContext, flags: CleanFlags): Promise<number> {
  let settings;
  try {
    settings = (await ctx.project()).settings;
  } catch (err) {
    if (!(err instanceof VaggaError) || err.code !== 'config.not-found') throw err;
    const { loadSettings } = await import('../../config/settings.js');
    settings = loadSettings(ctx.cwd, ctx.env);
  }
  const { cleanGlobal } = await import('../../storage/clean-global.js');
  try {
    await cleanGlobal(settings, { ...flags, verbosity: ctx.globals.verbosity }, ctx.err);
  } catch (err) {
    if (err instanceof VaggaError) throw err;
    throw new VaggaError(`Cleanup failed: ${(err as Error).message}`, { code: 'clean.failed', cause: err });
  }
  return 0;
}
