/** `vagga _base_dir` (inventory §1.8): print the project root. Reads no config file. */
import { parseBuiltinArgs } from '../builtin-args.js';
import type { CliContext } from '../context.js';

const USAGE = `Usage: vagga _base_dir

Display the directory which contains vagga.yaml (the project root).`;

/** Exit 0; 126 when no project is found from the current directory. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  if (!parseBuiltinArgs(ctx, USAGE, args, [])) return 0;
  const { findProjectRoot } = await import('../../config/load.js');
  ctx.out(`${findProjectRoot(ctx.cwd).root}\n`);
  return 0;
}
