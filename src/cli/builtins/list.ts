/**
 * `vagga _list` (inventory §1.8, §2.13): commands with descriptions on stdout, 20-column
 * names; `--containers` lists containers instead.
 */
import type { BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';
import { formatCommandList } from '../listing.js';

/** Run `_list`. Exit 0; 126 when the config cannot be loaded. */
export async function run(ctx: CliContext, parsed: BuiltinCall): Promise<number> {
  const v = parsed.values;
  const { config } = await ctx.project();
  if (v.containers) {
    ctx.out(Object.keys(config.containers).sort().map((n) => `${n}\n`).join(''));
    return 0;
  }
  const builtins = parsed.builtins.filter((b) => b.listed);
  ctx.out(formatCommandList(config.commands, builtins, {
    hidden: Boolean(v.all || v.hidden),
    aliases: !v.noAliases,
    zsh: Boolean(v.zsh),
  }));
  return 0;
}
