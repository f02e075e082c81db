/**
 * `vagga _compgen [WORDS...] -- [PREFIX]` (inventory §1.8): the shell completion backend;
 * prints the candidates one per line (cli/completion/candidates.ts). Never fails: outside a
 * project or with a broken vagga.yaml only options and built-ins are offered; always exit 0.
 */
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import { completionCandidates } from '../completion/candidates.js';
import type { Config } from '../../config/model.js';

/** Exit 0 always. The call's positionals are the raw arguments. */
export async function run(ctx: CliContext, call: BuiltinCall): Promise<number> {
  const args = call.positionals;
  const sep = args.indexOf('--');
  const typed = sep < 0 ? args : args.slice(0, sep);
  const current = sep < 0 ? '' : args[sep + 1] ?? '';
  let config: Config | undefined;
  try {
    config = (await ctx.project()).config;
  } catch {
    config = undefined;
  }
  const words = completionCandidates(typed, current, config, call.builtins.filter((b) => b.listed));
  if (words.length) ctx.out(`${words.join('\n')}\n`);
  return 0;
}
