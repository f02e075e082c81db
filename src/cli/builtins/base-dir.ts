/** `vagga _base_dir` (inventory §1.8): print the project root. Reads no config file. */
import type { CliContext } from '../context.js';

/** Exit 0; 126 when no project is found from the current directory. */
export async function run(ctx: CliContext): Promise<number> {
  const { findProjectRoot } = await import('../../config/load.js');
  ctx.out(`${findProjectRoot(ctx.cwd).root}\n`);
  return 0;
}
