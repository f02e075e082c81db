/**
 * The text of `vagga --help`: the global flags (inventory §1.7) and the built-ins meant for
 * users (§1.8), the latter generated from their declarations (builtins.ts).
 */
import { formatRows, synopsis, type BuiltinSpec } from './builtin-spec.js';

const HEAD = `Usage: vagga [options] [COMMAND [ARGS...]]

Runs a command from vagga.yaml (or a built-in command) in its container,
building the container first when its configuration changed. Without a
command, lists the commands.

Options:
  -V, --version             Print the version and exit
  -q, --quiet               Less output (no build progress); also accepted
                            after a built-in's own options (\`_build C -q\`)
  -v, --verbose             More output (likewise)
  -E, --env, --environ NAME=VALUE
                            Set an environment variable for the command
                            (repeatable); a bare NAME drops a VAGGAENV_NAME
                            forwarded from the host
  -e, --use-env NAME        Forward a host environment variable (repeatable)
  --no-build                Do not build: use the version the config hashes to
  --no-version-check        Do not hash either: use what .vagga/<name> points to
  --no-prerequisites        Do not run the command's prerequisites
  --containers-only         Build the containers the commands need, run nothing
  --isolate-network, --no-network, --no-net
                            Run the commands with a loopback-only network
                            (a !Supervise's children share one)
  -p, --publish HOST_PORT:CONTAINER_PORT
                            Isolate the network and publish a TCP port on
                            the host's 127.0.0.1 (repeatable; needs pasta)
  --network-outbound        Isolate the network but let it connect out
                            (needs pasta)
  --no-image-download       Never download prebuilt images (image-cache-url)
  --ignore-owner-check      Run even if the project directory belongs to
                            another user (root is refused otherwise; others
                            get a warning)
  -m, --run-multi           Every argument is a command: run them in order
  -h, --help                This help
`;

const TAIL = `Exit codes: the command's own status (128+N when killed by signal N);
121 launcher or build error; 122 bad arguments, or root in another user's
project; 124 sandbox error; 126 configuration error; 127 no command given;
29 version not known before building (_version_hash).
`;

/**
 * Global usage, printed on stdout by `vagga -h`/`--help`: the options, then every built-in
 * of `builtins` that is `listed`, as `name synopsis` and its summary. Pure.
 */
export function globalHelp(builtins: readonly BuiltinSpec[]): string {
  const rows = builtins.filter((b) => b.listed).map((b): [string, string] => [[b.name, synopsis(b)].filter(Boolean).join(' '), b.summary]);
  return `${HEAD}\nBuilt-in commands (each takes --help):\n${formatRows(rows, 34)}\n${TAIL}`;
}
