/**
 * `vagga _init_storage_dir NAME [--allow-multiple]` (inventory §1.8; deprecated in Vagga,
 * kept for CI scripts): point `.vagga/.lnk` at `<storage-dir>/NAME` (storage/storage-link.ts).
 */
import { VaggaError } from '../../errors/vagga-error.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import type { CliContext } from '../context.js';

const USAGE = `Usage: vagga _init_storage_dir [options] NAME

Use <storage-dir>/NAME as this project's container storage (needs the storage-dir setting).

Options:
  --allow-multiple  Do not write the back-link: several checkouts may share NAME
  -h, --help        This help`;

/** Exit 0; 1 bad arguments or an existing link elsewhere; 2 without storage-dir; 121 fs errors. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [{ names: ['--allow-multiple'], key: 'multi', kind: 'flag' }], { stopAtPositional: false, errorCode: 'init-storage-dir.bad-args' });
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) {
    throw new VaggaError(parsed.positionals.length === 0 ? 'Storage subdirectory name expected' : `Unexpected argument ${JSON.stringify(parsed.positionals[1])}`, {
      code: 'init-storage-dir.bad-args', hint: USAGE.split('\n')[0],
    });
  }
  const { config, settings } = await ctx.project();
  const [{ projectLayout }, { initStorageDir }] = await Promise.all([import('../../storage/layout.js'), import('../../storage/storage-link.js')]);
  const dir = initStorageDir(projectLayout(config.projectRoot, settings), settings, parsed.positionals[0]!, Boolean(parsed.values.multi));
  ctx.warn(`Storage of ${config.projectRoot} is ${dir}`);
  return 0;
}
