/**
 * Turning a command's `run` and the user's extra arguments into an argv (inventory §1.6
 * `run`/`accepts-arguments`, §1.3 `default-shell`).
 */
import { VaggaError } from '../errors/vagga-error.js';

/** The parts of a command that decide its argv. */
export interface RunSpec {
  name: string;
  run: string | readonly string[];
  acceptsArguments: boolean;
  description?: string;
}

/** What the user's extra arguments mean for a command. */
export type ArgsVerdict = { kind: 'run'; args: string[] } | { kind: 'help'; text: string };

/**
 * Check the extra arguments a user gave to a command. Without `accepts-arguments` only
 * `-h`/`--help` is allowed (prints the usage); anything else is VaggaError 122
 * `Unexpected argument "<arg>"` (Vagga's argparse reports `Unexpected argument`).
 */
export function checkArguments(cmd: RunSpec, args: readonly string[]): ArgsVerdict {
  if (cmd.acceptsArguments || args.length === 0) return { kind: 'run', args: [...args] };
  if (args[0] === '-h' || args[0] === '--help') {
    const text = `Usage:\n    vagga ${cmd.name}\n` + (cmd.description ? `\n${cmd.description.replace(/\n?$/, '\n')}` : '');
    return { kind: 'help', text };
  }
  throw new VaggaError(`Unexpected argument ${JSON.stringify(args[0])}`, {
    code: 'args.bad-positional',
    hint: `Command "${cmd.name}" does not accept arguments; set \`accepts-arguments: true\` in its definition to pass them.`,
  });
}

/**
 * The argv to start, before the program lookup. A string `run` goes through the shell:
 * `/bin/sh -c <run> --` + args, or the container's `default-shell` with every `$cmdline`
 * element replaced by the script, then the args. A list `run` is the argv, args appended.
 */
export function commandArgv(run: string | readonly string[], args: readonly string[], defaultShell: readonly string[] = []): string[] {
  if (typeof run === 'string') {
    const shell = defaultShell.length > 0 ? defaultShell.map((a) => (a === '$cmdline' ? run : a)) : ['/bin/sh', '-c', run, '--'];
    return [...shell, ...args];
  }
  return [...run, ...args];
}
