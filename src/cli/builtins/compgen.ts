/**
 * `vagga _compgen [WORDS...] -- [PREFIX]` (inventory §1.8): the shell completion backend;
 * prints the candidates one per line (cli/completion/candidates.ts). Never fails: outside a
 * project or with a broken vagga.yaml only options and built-ins are offered; always exit 0.
 */
import type { CliContext } from '../context.js';
import { BUILTINS } from '../builtins.js';
import { completionCandidates } from '../completion/candidates.js';
import type { Config } from '../../config/model.js';

/** Exit 0 always. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const sep = args.indexOf('--');
  const typed = sep < 0 ? args : args.slice(0, sep);
  const current = sep < 0 ? '' : args[sep + 1] ?? '';
  let config: Config | undefined;
  try {
    config = (await ctx.project()).config;
  } catch {
    config = undefined;
  }
  const names = BUILTINS.filter((b) => b.name !== '_compgen').map((b) => b.name);
  const words = completionCandidates(typed, current, config, names);
  if (words.length) ctx.out(`${words.join('\n')}\n`);
  return 0;
}
