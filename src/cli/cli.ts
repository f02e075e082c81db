/**
 * The command-line program as a function: parse the global flags, dispatch to a built-in,
 * the user's commands, the command list or the builder personality, and map every error
 * to text and an exit status in one place (report-error.ts). Never calls process.exit.
 */
import { ExitCode } from '../errors/vagga-error.js';
import { builtinCall } from './builtin-args.js';
import { BUILTINS, findBuiltin } from './builtins.js';
import { createContext, type CliContext, type ContextInit } from './context.js';
import { parseCommandLine, type CommandLine } from './global-options.js';
import { renderError, useColor } from './report-error.js';
// Running the user's commands is the hot path: loaded with the entry, not lazily (see builtins.ts).
import { runUserCommands } from '../user-commands/run.js';
import { ignoreUserSignals } from '../sandbox/signals.js';

/** Overrides for tests and embedding; defaults are the real process. */
export type CliInit = Omit<ContextInit, 'globals'>;

/**
 * Run vagga with `argv` (process.argv without node and the script). Resolves with the
 * exit status; never rejects (errors are printed on stderr). Installs listeners that ignore
 * SIGUSR1/SIGUSR2 for the life of the process (forwarded to a running command instead).
 */
export async function runCli(argv: string[], init: CliInit = {}): Promise<number> {
  const err = init.err ?? ((t: string) => void process.stderr.write(t));
  // Before anything else: SIGUSR1 must never open Node's inspector (sandbox/signals.ts).
  ignoreUserSignals();
  try {
    if (argv[0] === '__builder__') {
      const { builderMain } = await import('../builder/builder-main.js');
      return await builderMain(argv.slice(1));
    }
    if (argv[0] === '__index__') {
      const { indexMain } = await import('../storage/index-main.js');
      return await indexMain(argv.slice(1));
    }
    const line = parseCommandLine(argv);
    const ctx = createContext({ ...init, globals: line.globals });
    return await dispatch(ctx, line);
  } catch (error) {
    const color = init.err ? false : useColor(process.stderr, init.env ?? process.env);
    const { text, exitCode } = renderError(error, color);
    err(text);
    return exitCode;
  }
}

async function dispatch(ctx: CliContext, line: CommandLine): Promise<number> {
  if (line.globals.version) {
    const { PACKAGE_VERSION, VAGGA_VERSION } = await import('../config/version-compare.js');
    ctx.out(`vagga ${PACKAGE_VERSION} (TypeScript implementation, compatible with Vagga ${VAGGA_VERSION})\n`);
    return 0;
  }
  if (line.globals.help) {
    const { globalHelp } = await import('./help.js');
    ctx.out(globalHelp(BUILTINS));
    return 0;
  }
  if (line.command === undefined) return printCommandGroups(ctx);
  if (!line.globals.runMulti && line.command.startsWith('_')) {
    const builtin = findBuiltin(line.command);
    if (builtin) {
      const call = builtinCall(ctx, builtin, line.args, BUILTINS);
      return call ? (await builtin.load()).run(ctx, call) : 0;
    }
    await checkUnderscoreCommand(ctx, line.command);
  }
  if (line.globals.runMulti) return runUserCommands(ctx, [line.command, ...line.args], []);
  return runUserCommands(ctx, [line.command], line.args);
}

/**
 * A name starting with `_` that is not a built-in must be a user command (hidden commands
 * start with `_` too); when it is neither, the error suggests the nearest built-in or
 * command (`vagga _buidl` -> `vagga _build`).
 */
async function checkUnderscoreCommand(ctx: CliContext, name: string): Promise<void> {
  const { config } = await ctx.project();
  const { commandNames, commandNotFound, lookupCommand } = await import('../user-commands/resolve.js');
  if (lookupCommand(config.commands, name)) return;
  throw commandNotFound(name, [...BUILTINS.map((b) => b.name), ...commandNames(config)]);
}

/** Bare `vagga`: the grouped command list on stderr, exit 127 (§2.13). */
async function printCommandGroups(ctx: CliContext): Promise<number> {
  const { config } = await ctx.project();
  const { formatCommandGroups } = await import('./listing.js');
  ctx.err(formatCommandGroups(config.commands));
  return ExitCode.noCommand;
}
