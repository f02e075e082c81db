/**
 * `vagga _list` (inventory §1.8, §2.13): commands with descriptions on stdout, 20-column
 * names; `--containers` lists containers instead, each built one with its versions' size,
 * and a disk-use summary of the project's storage on stderr (beyond Vagga, which lists
 * names only; the name stays the first word of each line).
 */
import type { Project } from '../../config/project.js';
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
 * Container names with sizes (stdout) and the summary (stderr). When sizes cannot be
 * measured (no bwrap, id mapping problems) the names are still listed, with one warning.
 */
async function listContainers(ctx: CliContext, project: Project): Promise<number> {
  const { config, settings } = project;
  const names = Object.keys(config.containers);
  const [{ projectLayout, cacheDirFor }, { volumesDirFor }, { listStorage, measureItems }, report] = await Promise.all([
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
  ctx.out(report.formatContainerSizes(names, summary));
  if (summary) ctx.err(report.formatUsageSummary(summary, new Set(names)));
  return 0;
}
