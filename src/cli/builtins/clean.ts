/**
 * `vagga _clean` (inventory §1.8, §2.4): remove old, unused, temporary or all container
 * versions. Vagga's exit codes for `_clean`: 1 for bad arguments, 3 for a failed cleanup.
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import type { CliContext } from '../context.js';

const USAGE = `Usage: vagga _clean [options]

Clean containers and build artifacts.

Options:
  --tmp, --tmp-folders        Remove temporary build folders (.roots/.tmp*)
  --old, --old-containers     Remove versions not linked from .vagga/<name>
  --unused                    Remove versions the current vagga.yaml does not hash to
  --at-least DURATION         With --unused: instead remove versions not used for DURATION
                              (e.g. 10days, 2h, 1h30min)
  --transient                 Remove leftovers of writable (transient) runs
  --everything                Remove all containers and the storage dir
  --global                    Clean every project under the storage-dir setting
                              (with --tmp, --unused --at-least, --transient)
  -n, --dry-run               Only print what would be removed

Versions used by a running command are never removed.
  -h, --help                  This help`;

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
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [
    { names: ['--tmp', '--tmp-folders'], key: 'tmp', kind: 'flag' },
    { names: ['--old', '--old-containers'], key: 'old', kind: 'flag' },
    { names: ['--unused'], key: 'unused', kind: 'flag' },
    { names: ['--transient'], key: 'transient', kind: 'flag' },
    { names: ['--everything'], key: 'everything', kind: 'flag' },
    { names: ['-n', '--dry-run'], key: 'dryRun', kind: 'flag' },
    { names: ['--at-least'], key: 'atLeast', kind: 'value' },
    { names: ['--global'], key: 'global', kind: 'flag' },
  ], { stopAtPositional: false, errorCode: 'clean.bad-args' });
  if (!parsed) return 0;
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
  if (parsed.positionals.length > 0) {
    throw new VaggaError(`Unexpected argument ${JSON.stringify(parsed.positionals[0])}`, { code: 'clean.bad-args', hint: USAGE.split('\n')[0] });
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
