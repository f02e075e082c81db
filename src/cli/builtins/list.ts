/**
 * `vagga _list` (inventory §1.8, §2.13): commands with descriptions on stdout, 20-column
 * names; `--containers` lists containers instead.
 */
import { BUILTINS } from '../builtins.js';
import { parseBuiltinArgs } from '../builtin-args.js';
import type { CliContext } from '../context.js';
import { formatCommandList } from '../listing.js';

const USAGE = `Usage: vagga _list [options]

List the commands of this project (names starting with \`_\` only with --all/--hidden).

Options:
  --containers   Show containers instead of commands
  -A, --all      Show all commands, including hidden and built-in ones
  --builtin      Accepted for compatibility (no effect)
  --hidden       Show hidden commands (names starting with \`_\`)
  --zsh          Print \`name:description\` (zsh completion format)
  --no-aliases   Do not show command aliases
  -v, --verbose  Accepted for compatibility
  -h, --help     This help`;

/** Run `_list`. Exit 0; 122 on bad flags; 126 when the config cannot be loaded. */
export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const parsed = parseBuiltinArgs(ctx, USAGE, args, [
    { names: ['--containers'], key: 'containers', kind: 'flag' },
    { names: ['-A', '--all'], key: 'all', kind: 'flag' },
    { names: ['--builtin'], key: 'builtin', kind: 'flag' },
    { names: ['--hidden'], key: 'hidden', kind: 'flag' },
    { names: ['--zsh'], key: 'zsh', kind: 'flag' },
    { names: ['--no-aliases'], key: 'noAliases', kind: 'flag' },
    { names: ['-v', '--verbose'], key: 'verbose', kind: 'flag' },
  ], { stopAtPositional: false });
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length > 0) return unexpected(ctx, parsed.positionals[0]);
  const { config } = await ctx.project();
  if (v.containers) {
    ctx.out(Object.keys(config.containers).sort().map((n) => `${n}\n`).join(''));
    return 0;
  }
  const builtins = BUILTINS.filter((b) => b.listed);
  ctx.out(formatCommandList(config.commands, builtins, {
    hidden: Boolean(v.all || v.hidden),
    aliases: !v.noAliases,
    zsh: Boolean(v.zsh),
  }));
  return 0;
}

function unexpected(ctx: CliContext, arg: string): number {
  ctx.err(`Unexpected argument ${JSON.stringify(arg)}\n${USAGE}\n`);
  return 122;
}
