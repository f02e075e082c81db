/**
 * Finding user commands by name or alias (inventory §1.6 `aliases`: a real command with
 * the same name wins over an alias).
 */
import type { AnyCommandConfig, Config } from '../config/model.js';
import { didYouMean } from '../errors/did-you-mean.js';
import { VaggaError } from '../errors/vagga-error.js';

/**
 * The command called `name`: a command of that name, else the first command (in sorted
 * name order) listing `name` among its aliases. Undefined when there is none.
 */
export function lookupCommand(commands: Record<string, AnyCommandConfig>, name: string): AnyCommandConfig | undefined {
  if (Object.hasOwn(commands, name)) return commands[name];
  for (const key of Object.keys(commands).sort()) {
    if (commands[key].aliases.includes(name)) return commands[key];
  }
  return undefined;
}

/** Like lookupCommand, but throws commandNotFound (121) when there is no such command. */
export function resolveCommand(config: Config, name: string): AnyCommandConfig {
  const cmd = lookupCommand(config.commands, name);
  if (!cmd) throw commandNotFound(name, commandNames(config));
  return cmd;
}

/** Every name a command can be called by: command names, then aliases. */
export function commandNames(config: Config): string[] {
  return [...Object.keys(config.commands), ...Object.values(config.commands).flatMap((c) => c.aliases)];
}

/**
 * VaggaError 121 `Command "x" not found and is not an alias` (Vagga's text); the hint
 * suggests the nearest of `known` (command names, aliases, built-ins) when one is close.
 */
export function commandNotFound(name: string, known: Iterable<string>): VaggaError {
  const suggestion = didYouMean(name, known, (n) => `\`vagga ${n}\``);
  return new VaggaError(`Command ${JSON.stringify(name)} not found and is not an alias`, {
    code: 'command.not-found',
    hint: [suggestion, 'Run `vagga` without arguments to see the list of commands.'].filter(Boolean).join('\n'),
  });
}

/**
 * Direct prerequisites of a command, for orderWithPrerequisites: its own `prerequisites`
 * and, for `!Supervise`, those of every child (Vagga collects them too). [] when unknown.
 */
export function prerequisitesOf(config: Config, name: string): string[] {
  const cmd = Object.hasOwn(config.commands, name) ? config.commands[name] : undefined;
  if (!cmd) return [];
  if (cmd.kind !== 'Supervise') return cmd.prerequisites;
  const out = [...cmd.prerequisites];
  for (const child of Object.keys(cmd.children).sort()) out.push(...cmd.children[child].prerequisites);
  return out;
}
