/** `vagga _completion bash|zsh`: print the shell completion script (cli/completion/scripts.ts). */
import { VaggaError } from '../../errors/vagga-error.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import type { CliContext } from '../context.js';

const USAGE = `Usage: vagga _completion bash|zsh

Print a shell completion script for vagga.
  bash: add  eval "$(vagga _completion bash)"  to ~/.bashrc
  zsh:  vagga _completion zsh > ~/.zfunc/_vagga  (with fpath+=(~/.zfunc) before compinit)`;

/** Exit 0; 1 for a missing or unknown shell name. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [], { errorCode: 'completion.bad-args' });
  if (!parsed) return 0;
  const shell = parsed.positionals[0];
  const { BASH_COMPLETION, ZSH_COMPLETION } = await import('../completion/scripts.js');
  if (shell === 'bash' && parsed.positionals.length === 1) ctx.out(BASH_COMPLETION);
  else if (shell === 'zsh' && parsed.positionals.length === 1) ctx.out(ZSH_COMPLETION);
  else throw new VaggaError(shell === undefined ? 'Shell name expected: bash or zsh' : `Unsupported shell ${JSON.stringify(parsed.positionals.join(' '))}: bash or zsh`, { code: 'completion.bad-args', hint: USAGE.split('\n')[0] });
  return 0;
}
