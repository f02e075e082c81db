/** The text of `vagga --help` (global flags per inventory §1.7, built-ins per §1.8). */

/** Global usage, printed on stdout by `vagga -h`/`--help`. */
export const GLOBAL_HELP = `Usage: vagga [options] [COMMAND [ARGS...]]

Runs a command from vagga.yaml (or a built-in command) in its container, building the
container first when its configuration changed. Without a command, lists the commands.

Options:
  -V, --version               Print the version and exit
  -q, --quiet                 Less output (no build progress); also accepted after a
                              built-in's own options (\`_build C --force -q\`)
  -v, --verbose               More output (likewise)
  -E, --env, --environ NAME=VALUE
                              Set an environment variable for the command (repeatable);
                              a bare NAME drops a VAGGAENV_NAME forwarded from the host
  -e, --use-env NAME          Forward a host environment variable (repeatable)
  --no-build                  Do not build: use the version the config hashes to
  --no-version-check          Do not hash either: use whatever .vagga/<name> points to
  --no-prerequisites          Do not run the command's prerequisites
  --containers-only           Build the containers the commands need, run nothing
  --isolate-network, --no-network, --no-net
                              Run the commands with a loopback-only network
  --no-image-download         Never download prebuilt images (accepted; no effect yet)
  --ignore-owner-check        Run even if the project directory belongs to another user
                              (root is refused otherwise; others get a warning)
  -m, --run-multi             Every argument is a command: run them in order
  -h, --help                  This help

Built-in commands (each takes --help):
  _build CONTAINER [--force]          Build a container
  _run CONTAINER CMD [ARGS...]        Run an arbitrary command in a container
  _version_hash [-s] CONTAINER        Print a container's version hash
  _list [--containers] [--all]        List commands (or containers)
  _clean --tmp|--old|--unused|--transient|--everything [-n]
                                      Remove container versions and build leftovers
  _base_dir                           Print the project directory
  _relative_work_dir                  Print the current directory relative to the project

Exit codes: the command's own status (128+N when killed by signal N); 121 launcher or
build error; 122 bad arguments, or root in another user's project; 124 sandbox error;
126 configuration error; 127 no command given; 29 version not known before building
(_version_hash).
`;
