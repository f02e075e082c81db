/** `vagga _help CMD`: describe a user command (command-help.ts) or a built-in (its `--help`). */
import { builtinHelp, type BuiltinCall } from '../builtin-spec.js';
import type { CliContext } from '../context.js';

/** Exit 0; 121 for an unknown command (with the nearest name suggested). */
export async function run(ctx: CliContext, call: BuiltinCall): Promise<number> {
  const name = call.positionals[0]!;
  const builtin = call.builtins.find((b) => b.name === name);
  if (builtin) {
    ctx.out(builtinHelp(builtin));
    return 0;
  }
  const { config } = await ctx.project();
  const [{ commandNames, commandNotFound, lookupCommand }, { commandHelp }] = await Promise.all([
    import('../../user-commands/resolve.js'), import('../command-help.js'),
  ]);
  const cmd = lookupCommand(config.commands, name);
  if (!cmd) throw commandNotFound(name, [...commandNames(config), ...call.builtins.map((b) => b.name)]);
  ctx.out(commandHelp(cmd));
  return 0;
}
