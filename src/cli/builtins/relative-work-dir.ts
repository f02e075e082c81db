/**
 * `vagga _relative_work_dir` (inventory §1.8): print the current directory relative to
 * the project root (an empty line at the root). Reads no config file.
 */
import type { CliContext } from '../context.js';
import { relativeWorkDir } from '../../runtime/work-dir.js';

/** Exit 0; 126 when no project is found from the current directory. */
export async function run(ctx: CliContext): Promise<number> {
  const { findProjectRoot } = await import('../../config/load.js');
  ctx.out(`${relativeWorkDir(findProjectRoot(ctx.cwd).root, ctx.cwd)}\n`);
  return 0;
}
