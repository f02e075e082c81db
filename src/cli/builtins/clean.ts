/**
 * `vagga _clean` (inventory §1.8, §2.4): remove old, unused, temporary or all container
 * versions, and (`--cache`, src/storage/layer-clean.ts) the layers of the per-user build
 * cache. Vagga's exit codes for `_clean`: 1 for bad arguments, 3 for a failed cleanup.
 */
import type { Settings } from '../../config/model.js';
import { VaggaError } from '../../errors/vagga-error.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import type { IdHost } from '../../sandbox/idmap.js';

/** The flags `_clean` understands; at least one action is required. */
export interface CleanFlags {
  tmp: boolean;
  old: boolean;
  unused: boolean;
  transient: boolean;
  everything: boolean;
  /** `--cache`: the build cache's layers (per user: `--global` changes nothing for it). */
  cache: boolean;
  dryRun: boolean;
  /** `--at-least` in milliseconds (with `--unused` and/or `--cache`). */
  atLeast?: number;
  global: boolean;
}

/**
 * Exit 0 on success, 1 for bad arguments, 3 when the cleanup fails; 121 when /etc/subuid or
 * /etc/subgid is wrong (e.g. a range includes the user's own id): Vagga starts `_clean`'s
 * wrapper with the "max" uid map (§2.5), so its ranges are checked before anything else,
 * even when there is nothing to remove. `idHost` replaces the host's id files (tests).
 */
export async function run(ctx: CliContext, parsed: BuiltinCall, idHost?: IdHost): Promise<number> {
  const { maxIdMapping, realIdHost } = await import('../../sandbox/idmap.js');
  maxIdMapping(idHost ?? realIdHost());
  const v = parsed.values;
  const flags: CleanFlags = {
    tmp: Boolean(v.tmp),
    old: Boolean(v.old),
    unused: Boolean(v.unused),
    transient: Boolean(v.transient),
    everything: Boolean(v.everything),
    cache: Boolean(v.cache),
    dryRun: Boolean(v.dryRun),
    global: Boolean(v.global),
  };
  if (typeof v.atLeast === 'string') {
    if (!flags.unused && !flags.cache) throw new VaggaError('--at-least is only meaningful with --unused or --cache', { code: 'clean.bad-args' });
    const { parseDuration } = await import('../../storage/duration.js');
    try {
      flags.atLeast = parseDuration(v.atLeast);
    } catch (err) {
      throw new VaggaError(`Invalid --at-least ${JSON.stringify(v.atLeast)}: ${(err as Error).message}`, { code: 'clean.bad-args' });
    }
  }
  const storage = flags.tmp || flags.old || flags.unused || flags.transient || flags.everything;
  if (!storage && !flags.cache) {
    throw new VaggaError('Nothing to clean: give at least one of --tmp, --old, --unused, --transient, --everything, --cache', { code: 'clean.bad-args' });
  }
  let settings: Settings | undefined;
  if (storage) settings = await (flags.global ? cleanGlobally(ctx, flags) : cleanProject(ctx, flags));
  settings ??= await userSettings(ctx);
  await guarded(async () => {
    if (flags.cache) await cleanCache(ctx, settings, flags);
    else if (flags.dryRun && ctx.globals.verbosity >= 1) await showCacheSize(ctx, settings);
  });
  return 0;
}

/** Run `fn`, turning an unexpected error into VaggaError `clean.failed` (exit 3). */
async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof VaggaError) throw err;
    throw new VaggaError(`Cleanup failed: ${(err as Error).message}`, { code: 'clean.failed', cause: err });
  }
}

/** This project's storage, as `flags` select. Returns the project's settings. */
async function cleanProject(ctx: CliContext, flags: CleanFlags): Promise<Settings> {
  const project = await ctx.project();
  const { cleanStorage } = await import('../../storage/clean.js');
  await guarded(async () => {
    await cleanStorage(project.config, project.settings, { ...flags, verbosity: ctx.globals.verbosity }, ctx.err);
  });
  return project.settings;
}

/**
 * The settings when the project is not needed (`--global`, `--cache`): the project's when
 * there is one (site-settings apply), else the user's files for the current directory.
 */
async function userSettings(ctx: CliContext): Promise<Settings> {
  try {
    return (await ctx.project()).settings;
  } catch (err) {
    if (!(err instanceof VaggaError) || err.code !== 'config.not-found') throw err;
    const { loadSettings } = await import('../../config/settings.js');
    return loadSettings(ctx.cwd, ctx.env);
  }
}

/** `--global`: every project under the storage-dir setting. Returns the settings used. */
async function cleanGlobally(ctx: CliContext, flags: CleanFlags): Promise<Settings> {
  const settings = await userSettings(ctx);
  const { cleanGlobal } = await import('../../storage/clean-global.js');
  await guarded(async () => {
    await cleanGlobal(settings, { ...flags, verbosity: ctx.globals.verbosity }, ctx.err);
  });
  return settings;
}

/** `--cache`: the user's build cache (layer-clean.ts). */
async function cleanCache(ctx: CliContext, settings: Settings, flags: CleanFlags): Promise<void> {
  const [{ cacheDirPath }, { layerStoreDir }, { cleanBuildCache, defaultLayerCleanDeps }] = await Promise.all([
    import('../../storage/layout.js'), import('../../storage/layer-inventory.js'), import('../../storage/layer-clean.js'),
  ]);
  const store = layerStoreDir(cacheDirPath(settings, ctx.env));
  await cleanBuildCache(store, { atLeast: flags.atLeast, dryRun: flags.dryRun, verbosity: ctx.globals.verbosity }, defaultLayerCleanDeps(ctx.err));
}

/** After a dry run without `--cache`: the build cache's size in one line (none when empty). */
async function showCacheSize(ctx: CliContext, settings: Settings): Promise<void> {
  const [{ cacheDirPath }, { layerStoreDir, readLayers, totalBytes }, { formatStoreSummary }] = await Promise.all([
    import('../../storage/layout.js'), import('../../storage/layer-inventory.js'), import('../../storage/layer-report.js'),
  ]);
  const store = layerStoreDir(cacheDirPath(settings, ctx.env));
  const layers = readLayers(store);
  const line = formatStoreSummary(layers.length, totalBytes(layers), store);
  if (line) ctx.err(line);
}
