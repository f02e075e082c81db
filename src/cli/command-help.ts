/**
 * `vagga _help CMD`: what a user command does, from its declaration in vagga.yaml (Vagga
 * has no such built-in; `vagga CMD --help` still reaches the command itself). Pure text.
 */
import type { AnyCommandConfig, CommandConfig } from '../config/model.js';

/** How a command's `run` reads in the help: a shell script as written, an argv joined by spaces. */
function runText(run: string | string[]): string {
  return Array.isArray(run) ? run.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ') : run.trimEnd();
}

function indent(text: string, by = '    '): string {
  return text.trimEnd().split('\n').map((l) => (l ? `${by}${l}` : l)).join('\n');
}

function childLine(name: string, child: CommandConfig): string {
  return `    ${name} (container ${child.container}): ${runText(child.run).split('\n')[0]}`;
}

/**
 * The help of command `cmd` (ending with a newline): its name and aliases, description,
 * kind and container, what it runs, its arguments (the docopt `options` text, or whether it
 * accepts arguments), its prerequisites and, for `!Supervise`, its children.
 */
export function commandHelp(cmd: AnyCommandConfig): string {
  const out: string[] = [];
  out.push(cmd.aliases.length ? `${cmd.name} (aliases: ${cmd.aliases.join(', ')})` : cmd.name);
  if (cmd.description) out.push('', indent(cmd.description));
  out.push('');
  if (cmd.kind === 'Supervise') {
    out.push(`Kind: !Supervise (mode: ${cmd.mode})`, 'Children:');
    for (const [name, child] of Object.entries(cmd.children)) out.push(childLine(name, child));
  } else {
    out.push(`Kind: !${cmd.kind}`);
    if (cmd.kind === 'Command') out.push(`Container: ${cmd.container}`);
    const run = runText(cmd.run);
    out.push(run.includes('\n') ? `Runs:\n${indent(run)}` : `Runs: ${run}`);
  }
  if (cmd.options) out.push('', 'Options:', indent(cmd.options));
  else if (cmd.kind !== 'Supervise') {
    out.push(cmd.acceptsArguments ? 'Arguments: passed on to the program' : 'Arguments: none accepted');
  } else {
    out.push('Arguments: --only CHILD... / --exclude CHILD... select children');
  }
  if (cmd.prerequisites.length) out.push(`Prerequisites (run first): ${cmd.prerequisites.join(', ')}`);
  if (cmd.epilog) out.push('', cmd.epilog.trimEnd());
  return `${out.join('\n')}\n`;
}
