/** `vagga _completion bash|zsh`: print the shell completion script (cli/completion/scripts.ts). */
import { VaggaError } from '../../errors/vagga-error.js';
import { usageLine, type BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/** Exit 0; 1 for an unknown shell name. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const shell = parsed.positionals[0];
  const { BASH_COMPLETION, ZSH_COMPLETION } = await import('../completion/scripts.js');
  if (shell === 'bash') ctx.out(BASH_COMPLETION);
  else if (shell === 'zsh') ctx.out(ZSH_COMPLETION);
  else throw new VaggaError(`Unsupported shell ${JSON.stringify(shell)}: bash or zsh`, { code: 'completion.bad-args', hint: usageLine(parsed.spec) });
  return 0;
}
