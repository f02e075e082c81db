/**
 * Vagga's global command line (inventory §1.7): `vagga [GLOBAL FLAGS] [COMMAND [ARGS...]]`.
 * Parsing stops at the first positional; everything after the command name is the command's.
 */
import { parseOptions, type OptionSpec } from './arg-parser.js';

/** How containers are made available before running (`--no-build`, `--no-version-check`). */
export type BuildMode = 'normal' | 'no-build' | 'no-version-check';

/** The parsed global flags. */
export interface GlobalOptions {
  version: boolean;
  help: boolean;
  /** 0 with `-q`, 1 normally, 2 with `-v` (the last of them wins). */
  verbosity: number;
  /** `-E NAME=VALUE` / `-E NAME` in command-line order. */
  setEnv: string[];
  /** `-e NAME` in command-line order. */
  useEnv: string[];
  buildMode: BuildMode;
  noPrerequisites: boolean;
  containersOnly: boolean;
  isolateNetwork: boolean;
  /** `-p`/`--publish HOST:CONTAINER` in command-line order (beyond Vagga; src/network/ports.ts). */
  publish: string[];
  /** `--network-outbound`: an isolated network with outbound access (beyond Vagga; src/network/). */
  networkOutbound: boolean;
  noImageDownload: boolean;
  ignoreOwnerCheck: boolean;
  /** `-m`: every positional is a user command name, run in order. */
  runMulti: boolean;
}

/** Result of parsing the process arguments. */
export interface CommandLine {
  globals: GlobalOptions;
  /** The command name (built-in or user), undefined for a bare `vagga`. */
  command?: string;
  /** Arguments after the command name (with `-m`: the other command names). */
  args: string[];
}

/** Vagga's global flags (inventory §1.7), in `vagga --help` order. */
export const GLOBAL_SPECS: readonly OptionSpec[] = [
  { names: ['-V', '--version'], key: 'version', kind: 'flag' },
  { names: ['-h', '--help'], key: 'help', kind: 'flag' },
  { names: ['-q', '--quiet'], key: 'quiet', kind: 'flag' },
  { names: ['-v', '--verbose'], key: 'verbose', kind: 'flag' },
  { names: ['-E', '--env', '--environ'], key: 'setEnv', kind: 'list' },
  { names: ['-e', '--use-env'], key: 'useEnv', kind: 'list' },
  { names: ['--no-build'], key: 'noBuild', kind: 'flag' },
  { names: ['--no-version-check'], key: 'noVersionCheck', kind: 'flag' },
  { names: ['--no-prerequisites'], key: 'noPrerequisites', kind: 'flag' },
  { names: ['--containers-only'], key: 'containersOnly', kind: 'flag' },
  { names: ['--isolate-network', '--no-network', '--no-net'], key: 'isolateNetwork', kind: 'flag' },
  { names: ['-p', '--publish'], key: 'publish', kind: 'list' },
  { names: ['--network-outbound'], key: 'networkOutbound', kind: 'flag' },
  { names: ['--no-image-download'], key: 'noImageDownload', kind: 'flag' },
  { names: ['--ignore-owner-check'], key: 'ignoreOwnerCheck', kind: 'flag' },
  { names: ['-m', '--run-multi'], key: 'runMulti', kind: 'flag' },
];

/**
 * Parse the global flags of `argv` (process.argv without node and script). Pure.
 * Throws VaggaError 122 on an unknown flag or a missing value. `-q`/`-v` together:
 * the one written last wins.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values: v, positionals, seen } = parseOptions(argv, GLOBAL_SPECS);
  let verbosity = 1;
  for (const key of seen) {
    if (key === 'quiet') verbosity = 0;
    else if (key === 'verbose') verbosity = 2;
  }
  const globals: GlobalOptions = {
    version: v.version as boolean,
    help: v.help as boolean,
    verbosity,
    setEnv: v.setEnv as string[],
    useEnv: v.useEnv as string[],
    buildMode: v.noVersionCheck ? 'no-version-check' : v.noBuild ? 'no-build' : 'normal',
    noPrerequisites: v.noPrerequisites as boolean,
    containersOnly: v.containersOnly as boolean,
    isolateNetwork: v.isolateNetwork as boolean,
    publish: v.publish as string[],
    networkOutbound: v.networkOutbound as boolean,
    noImageDownload: v.noImageDownload as boolean,
    ignoreOwnerCheck: v.ignoreOwnerCheck as boolean,
    runMulti: v.runMulti as boolean,
  };
  const [command, ...args] = positionals;
  return { globals, command, args };
}
