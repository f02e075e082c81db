/**
 * `vagga _init_storage_dir NAME [--allow-multiple]` (inventory §1.8; deprecated in Vagga,
 * kept for CI scripts): point `.vagga/.lnk` at `<storage-dir>/NAME` (storage/storage-link.ts).
 */
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/** Exit 0; 1 an existing link elsewhere; 2 without storage-dir; 121 fs errors. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const { config, settings } = await ctx.project();
  const [{ projectLayout }, { initStorageDir }] = await Promise.all([import('../../storage/layout.js'), import('../../storage/storage-link.js')]);
  const dir = initStorageDir(projectLayout(config.projectRoot, settings), settings, parsed.positionals[0]!, Boolean(parsed.values.multi));
  ctx.warn(`Storage of ${config.projectRoot} is ${dir}`);
  return 0;
}
