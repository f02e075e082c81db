/**
 * `vagga _list` (inventory §1.8, §2.13): commands with descriptions on stdout, 20-column
 * names; `--containers` lists containers instead, each built one with its versions' size,
 * the version `.vagga/<name>` links and whether it is current, then a disk-use summary of
 * the project's storage and the size of the user's build cache on stderr (beyond Vagga,
 * which lists names only; the name stays the first word of each line).
 */
import type { Project } from '../../config/project.js';
import type { LinkedVersion } from '../../storage/usage-report.js';
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import { formatCommandList } from '../listing.js';

/** Run `_list`. Exit 0; 126 when the config cannot be loaded. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const v = parsed.values;
  const project = await ctx.project();
  const { config } = project;
  if (v.containers) return listContainers(ctx, project);
  const builtins = parsed.builtins.filter((b) => b.listed);
  ctx.out(formatCommandList(config.commands, builtins, {
    hidden: Boolean(v.all || v.hidden),
    aliases: !v.noAliases,
    zsh: Boolean(v.zsh),
  }));
  return 0;
}

/**
 * Container names with sizes, the linked version and whether it is current (stdout), and
 * the storage summary with the build cache's size (stderr). When sizes cannot be measured
 * (no bwrap, id mapping problems) the names are still listed, with one warning.
 */
async function listContainers(ctx: CliContext, project: Project): Promise<number> {
  const { config, settings } = project;
  const names = Object.keys(config.containers);
  const [{ projectLayout, cacheDirFor, cacheDirPath }, { volumesDirFor }, { listStorage, measureItems, linkedShortHashes }, report] = await Promise.all([
    import('../../storage/layout.js'), import('../../runtime/volumes/persistent.js'),
    import('../../storage/usage.js'), import('../../storage/usage-report.js'),
  ]);
  const layout = projectLayout(config.projectRoot, settings);
  const items = listStorage(layout, volumesDirFor(config.projectRoot, settings), () => cacheDirFor(settings, ctx.env));
  let summary;
  if (items.length > 0) {
    try {
      summary = report.summarizeUsage(items, await measureItems(items));
    } catch (error) {
      ctx.warn(`Sizes not shown: ${(error as Error).message}\n`);
    }
  }
  ctx.out(report.formatContainerSizes(names, summary, await linkedVersions(project, linkedShortHashes(layout, names))));
  if (summary) ctx.err(report.formatUsageSummary(summary, new Set(names)));
  const storeLine = await buildCacheLine(cacheDirPath(settings, ctx.env));
  if (storeLine) ctx.err(storeLine);
  return 0;
}

/**
 * The linked versions (`shorts`: name -> 8 hex) with whether each is the container's current
 * version (the config cache's, else computed; unknown when it cannot be known before building).
 */
async function linkedVersions(project: Project, shorts: Map<string, string>): Promise<Map<string, LinkedVersion>> {
  const out = new Map<string, LinkedVersion>();
  if (shorts.size === 0) return out;
  const [{ containerVersion }, { STEP_DEFS }, { versionStorage }] = await Promise.all([
    import('../../version/container-version.js'), import('../../steps/registry.js'), import('../../storage/layout.js'),
  ]);
  const storage = versionStorage(project.config.projectRoot, project.settings);
  for (const [name, short] of shorts) {
    let hash = project.versions?.[name];
    if (hash === undefined) {
      try {
        hash = containerVersion(STEP_DEFS, project.config, name, storage).hash;
      } catch { /* unknown before building (or unreadable inputs): shown without a verdict */ }
    }
    out.set(name, { short, current: hash === undefined ? undefined : hash.startsWith(short) });
  }
  return out;
}

/** The build cache's one-line size (layer-report.ts), undefined when it holds no layer. */
async function buildCacheLine(cacheDir: string): Promise<string | undefined> {
  const [{ layerStoreDir, readLayers, totalBytes }, { formatStoreSummary }] = await Promise.all([
    import('../../storage/layer-inventory.js'), import('../../storage/layer-report.js'),
  ]);
  const store = layerStoreDir(cacheDir);
  const layers = readLayers(store);
  return formatStoreSummary(layers.length, totalBytes(layers), store);
}
