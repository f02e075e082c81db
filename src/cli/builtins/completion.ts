/**
 * `vagga _completion bash|zsh [--install]`: print the shell completion script
 * (cli/completion/scripts.ts), or with `--install` (bash) write it where bash-completion
 * loads it on demand, so no line in ~/.bashrc has to find `vagga` on PATH while the shell
 * starts (Debian's ~/.profile adds ~/.local/bin to PATH only after sourcing ~/.bashrc).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VaggaError } from '../../errors/vagga-error.js';
import { usageLine, type BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/**
 * Where bash-completion (2.x) looks for a user's completion of command `vagga`:
 * `${BASH_COMPLETION_USER_DIR:-${XDG_DATA_HOME:-~/.local/share}/bash-completion}/completions/vagga`
 * (bash-completion's README, "user completions"). Throws when neither HOME nor those are set.
 */
export function bashCompletionPath(env: NodeJS.ProcessEnv): string {
  const data = env.XDG_DATA_HOME || (env.HOME ? join(env.HOME, '.local', 'share') : undefined);
  const base = env.BASH_COMPLETION_USER_DIR || (data ? join(data, 'bash-completion') : undefined);
  if (!base) {
    throw new VaggaError('Cannot tell where to install the completion: HOME is not set', {
      code: 'completion.bad-args', hint: 'Redirect the script yourself: vagga _completion bash > FILE',
    });
  }
  return join(base, 'completions', 'vagga');
}

/** Exit 0; 1 for an unknown shell name, or `--install` with zsh. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const shell = parsed.positionals[0];
  const { BASH_COMPLETION, ZSH_COMPLETION } = await import('../completion/scripts.js');
  if (shell !== 'bash' && shell !== 'zsh') {
    throw new VaggaError(`Unsupported shell ${JSON.stringify(shell)}: bash or zsh`, { code: 'completion.bad-args', hint: usageLine(parsed.spec) });
  }
  if (!parsed.values.install) {
    ctx.out(shell === 'bash' ? BASH_COMPLETION : ZSH_COMPLETION);
    return 0;
  }
  if (shell === 'zsh') {
    throw new VaggaError('--install is for bash only', {
      code: 'completion.bad-args',
      hint: 'For zsh: vagga _completion zsh > ~/.zfunc/_vagga  (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)',
    });
  }
  const path = bashCompletionPath(ctx.env);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, BASH_COMPLETION);
  } catch (error) {
    throw new VaggaError(`Cannot write ${path}: ${(error as Error).message}`, { code: 'completion.bad-args' });
  }
  ctx.err(`Wrote ${path}\n`
    + 'bash-completion loads it in new shells. Without the bash-completion package, add to ~/.bashrc:\n'
    + `  . ${path}\n`);
  return 0;
}
