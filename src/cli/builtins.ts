/**
 * The registry of built-in commands (names starting with `_`, inventory §1.8): each one
 * declared once, here, with its usage and options (builtin-spec.ts says what is generated
 * from them). Each built-in's implementation lives in its own module under ./builtins/ and
 * is loaded only when used, so the start-up import graph stays tiny; this module holds
 * only data. Adding a built-in: an entry here and its module under ./builtins/.
 */
import type { BuiltinModule, BuiltinSpec } from './builtin-spec.js';
// `_run` is on the start-up hot path (`vagga _run C true` is benchmarked against bare bwrap):
// imported statically so the whole path is loaded in one go instead of chained lazy imports.
import * as runBuiltin from './builtins/run.js';

/** A built-in: its declaration and how to load its implementation. */
export interface BuiltinEntry extends BuiltinSpec {
  load(): Promise<BuiltinModule>;
}

const CONTAINER = { name: 'CONTAINER', complete: 'container', missing: 'Container name expected' } as const;

/** What `_create_netns` and `_destroy_netns` share: Vagga's options, accepted and ignored. */
const NETNS_SPEC = {
  options: [
    { flags: ['--dry-run'], key: 'dryRun', help: 'Accepted for compatibility' },
    { flags: ['--no-iptables'], key: 'noIptables', help: 'Accepted for compatibility' },
  ],
  positionals: [],
  optionsAfterPositionals: true,
  load: () => import('./builtins/netns.js'),
} satisfies Partial<BuiltinEntry>;

/** Every built-in, in the order `_list --all` and `vagga --help` print the listed ones. */
export const BUILTINS: readonly BuiltinEntry[] = [
  {
    name: '_build',
    summary: 'Build a container',
    listed: true,
    description: 'Build a container (and the containers it is built from).',
    options: [
      { flags: ['--force'], key: 'force', help: 'Rebuild even if the current version is already built' },
      { flags: ['--no-cache'], key: 'noCache', help: 'Rebuild running every setup step (the build cache is refreshed, not read)' },
      { flags: ['--explain'], key: 'explain', help: 'Do not build: compare the current steps with the built version\nand say which changed and which the build cache holds' },
    ],
    positionals: [CONTAINER],
    optionsAfterPositionals: true,
    load: () => import('./builtins/build.js'),
  },
  {
    name: '_run',
    summary: 'Run arbitrary command, optionally building container',
    listed: true,
    description: 'Run an arbitrary command in a container, building the container first if needed.',
    options: [{ flags: ['-W', '--writeable', '--writable'], key: 'writeable', help: 'Run on a throwaway writable (hard-linked) copy of the container\n(--writable: the spelling of Vagga\'s completion)' }],
    positionals: [
      CONTAINER,
      { name: 'COMMAND', complete: 'none', missing: 'Command to run expected' },
      { name: 'ARGS', complete: 'none', rest: true },
    ],
    load: async () => runBuiltin,
  },
  {
    name: '_clean',
    summary: 'Clean containers and build artifacts',
    listed: true,
    description: 'Clean containers and build artifacts.\nVersions used by a running command are never removed.',
    options: [
      { flags: ['--tmp', '--tmp-folders'], key: 'tmp', help: 'Remove temporary build folders (.roots/.tmp*)' },
      { flags: ['--old', '--old-containers'], key: 'old', help: 'Remove versions not linked from .vagga/<name>' },
      { flags: ['--unused'], key: 'unused', help: 'Remove versions the current vagga.yaml does not hash to' },
      {
        flags: ['--at-least'], key: 'atLeast', value: 'DURATION',
        help: 'With --unused: instead remove versions not used for DURATION;\nwith --cache: only layers not used for DURATION (e.g. 10days, 2h, 1h30min)',
      },
      { flags: ['--transient'], key: 'transient', help: 'Remove leftovers of writable (transient) runs' },
      { flags: ['--everything'], key: 'everything', help: 'Remove all containers and the storage dir\n(not the build cache: it is shared by your projects)' },
      { flags: ['--cache'], key: 'cache', help: "Remove the build cache's layers (per user, all projects;\nthe next builds run every step again)" },
      {
        flags: ['--global'], key: 'global',
        help: 'Clean every project under the storage-dir setting\n(with --tmp, --unused --at-least, --transient)',
      },
      { flags: ['-n', '--dry-run'], key: 'dryRun', help: 'Only print what would be removed' },
    ],
    positionals: [],
    optionsAfterPositionals: true,
    errorCode: 'clean.bad-args',
    load: () => import('./builtins/clean.js'),
  },
  {
    name: '_list',
    summary: 'List of built-in commands',
    listed: true,
    description: 'List the commands of this project\n(names starting with `_` only with --all/--hidden).',
    options: [
      { flags: ['--containers'], key: 'containers', help: 'Show containers instead of commands' },
      { flags: ['-A', '--all'], key: 'all', help: 'Show all commands, including hidden and built-in ones' },
      { flags: ['--builtin'], key: 'builtin', help: 'Accepted for compatibility (no effect)', complete: false },
      { flags: ['--hidden'], key: 'hidden', help: 'Show hidden commands (names starting with `_`)' },
      { flags: ['--zsh'], key: 'zsh', help: 'Print `name:description` (zsh completion format)' },
      { flags: ['--no-aliases'], key: 'noAliases', help: 'Do not show command aliases' },
      { flags: ['-v', '--verbose'], key: 'verbose', help: 'Accepted for compatibility' },
    ],
    positionals: [],
    optionsAfterPositionals: true,
    load: () => import('./builtins/list.js'),
  },
  {
    name: '_base_dir',
    summary: 'Display a directory which contains vagga.yaml',
    listed: true,
    description: 'Display the directory which contains vagga.yaml (the project root).',
    options: [],
    positionals: [],
    ignoreExtraArgs: true,
    load: () => import('./builtins/base-dir.js'),
  },
  {
    name: '_relative_work_dir',
    summary: 'Display a relative path from the current working directory to the directory containing vagga.yaml',
    listed: true,
    description: 'Display the relative path from the directory containing vagga.yaml\nto the current one.',
    options: [],
    positionals: [],
    ignoreExtraArgs: true,
    load: () => import('./builtins/relative-work-dir.js'),
  },
  {
    name: '_version_hash',
    summary: 'Print the version hash of a container',
    listed: true,
    description: 'Print the version hash of a container\n(what its root directory name is derived from).',
    options: [
      { flags: ['-s', '--short'], key: 'short', help: 'Print only the first 8 hex digits' },
      { flags: ['--debug-versioning'], key: 'debug', help: 'Print what was hashed (stderr)' },
      { flags: ['--dump-version-data'], key: 'dump', help: 'Same as --debug-versioning' },
    ],
    positionals: [CONTAINER],
    optionsAfterPositionals: true,
    load: () => import('./builtins/version-hash.js'),
  },
  {
    name: '_init_storage_dir',
    summary: 'Initialize the storage dir of this project (storage-dir setting)',
    listed: true,
    description: "Use <storage-dir>/NAME as this project's container storage\n(needs the storage-dir setting).",
    options: [{ flags: ['--allow-multiple'], key: 'multi', help: 'Do not write the back-link: several checkouts may share NAME' }],
    positionals: [{ name: 'NAME', complete: 'none', missing: 'Storage subdirectory name expected' }],
    optionsAfterPositionals: true,
    errorCode: 'init-storage-dir.bad-args',
    load: () => import('./builtins/init-storage-dir.js'),
  },
  {
    name: '_verify',
    summary: 'Check that a built container is unchanged since its build',
    listed: true,
    description: "Check that a built container's files are unchanged since it was built.",
    options: [],
    positionals: [CONTAINER],
    optionsAfterPositionals: true,
    load: () => import('./builtins/verify.js'),
  },
  {
    name: '_hardlink',
    summary: 'Hard-link identical files across built containers',
    listed: true,
    description: 'Hard-link identical files at one path of different containers of this project.',
    options: [{ flags: ['--global'], key: 'global', help: 'All projects of the storage dir (storage-dir setting)' }],
    positionals: [],
    optionsAfterPositionals: true,
    load: () => import('./builtins/hardlink.js'),
  },
  {
    name: '_build_shell',
    summary: 'Run a shell that can read and fix the files of built containers',
    listed: true,
    description: [
      'Run an interactive shell (the host\'s /bin/sh) as root of a user namespace',
      'holding all your subordinate ids (/etc/subuid, /etc/subgid), so files of',
      'container roots owned by them can be read, changed or removed. The project is',
      'at /work (the shell starts in your directory there), its container storage at',
      '/vagga/base, the cache at /vagga/cache. Commands may be piped in:',
      '  echo \'ls -l /vagga/base/.roots\' | vagga _build_shell',
    ].join('\n'),
    options: [],
    positionals: [],
    ignoreExtraArgs: true,
    load: () => import('./builtins/build-shell.js'),
  },
  {
    name: '_pack_image',
    summary: 'Pack a container into an image (tar, OCI or Docker archive)',
    listed: true,
    description: [
      'Build the container if needed, then write its root: a tar archive (to stdout',
      'or -f FILE, optionally compressed), or with --format an image that podman,',
      'docker and skopeo load (the image config comes from the container\'s',
      '`environ` and `image:` section). An image has one layer per setup step when',
      'the build cache holds the container\'s layers, so a rebuilt container shares',
      'its unchanged layers with the old image. A relative -f is under the project',
      'root.',
    ].join('\n'),
    options: [
      { flags: ['-f', '--file'], key: 'file', value: 'PATH', help: 'Write to PATH instead of stdout (with --format oci: the layout directory)' },
      { flags: ['-z', '--gzip'], key: 'gzip', help: 'Compress the tar with gzip' },
      { flags: ['-j', '--bzip2'], key: 'bzip2', help: 'Compress the tar with bzip2' },
      { flags: ['-J', '--xz'], key: 'xz', help: 'Compress the tar with xz' },
      { flags: ['--zstd'], key: 'zstd', help: 'Compress the tar with zstd' },
      { flags: ['--format'], key: 'format', value: 'FORMAT', help: 'tar (default), oci (a layout directory), oci-archive\nor docker (docker-archive, for `docker load`/`podman load`)' },
      { flags: ['--name'], key: 'name', value: 'REPO:TAG', help: 'Name of the image (default vagga/CONTAINER:SHORT_HASH)' },
      { flags: ['--squash'], key: 'squash', help: 'One image layer for the whole root (default: one per\ncached build step when the build cache holds them)' },
    ],
    positionals: [CONTAINER],
    optionsAfterPositionals: true,
    errorCode: 'image.bad-args',
    load: () => import('./builtins/pack-image.js'),
  },
  {
    name: '_push_image',
    summary: 'Push a container to its image cache (push-image-script or a registry)',
    listed: true,
    description: [
      'Build the container if needed, then push it: with the push-image-script',
      'setting, pack the root as $image_path (tar.xz) and run the script (with',
      '$container_name and $short_hash); otherwise, when the container\'s',
      'image-cache-url is docker://HOST[:PORT]/REPO:TAG, push it there as an OCI image.',
    ].join('\n'),
    options: [],
    positionals: [CONTAINER],
    optionsAfterPositionals: true,
    load: () => import('./builtins/push-image.js'),
  },
  {
    name: '_help',
    summary: 'Describe a command: its container, options and prerequisites',
    listed: true,
    description: [
      'Describe a command of this project: its description, container, what it runs,',
      'the arguments it takes (its `options` text), its prerequisites and, for',
      '!Supervise, its children. With the name of a built-in, print its --help.',
      '(`vagga CMD --help` is passed on to the command itself.)',
    ].join('\n'),
    options: [],
    positionals: [{ name: 'COMMAND', complete: 'command', missing: 'Command name expected' }],
    load: () => import('./builtins/help.js'),
  },
  {
    name: '_compgen',
    summary: 'Shell completion backend',
    listed: false,
    description: 'Print the completion candidates for the words typed before the cursor\nand the partial word after `--`.',
    options: [],
    positionals: [{ name: 'WORDS', complete: 'none', rest: true }],
    rawArgs: true,
    load: () => import('./builtins/compgen.js'),
  },
  {
    name: '_completion',
    summary: 'Print a bash or zsh completion script',
    listed: true,
    description: [
      'Print a shell completion script for vagga.',
      '  bash: vagga _completion bash --install',
      '        (writes ~/.local/share/bash-completion/completions/vagga,',
      '        which bash-completion loads on demand)',
      '  zsh:  vagga _completion zsh > ~/.zfunc/_vagga',
      '        (with fpath+=(~/.zfunc) before compinit in ~/.zshrc)',
    ].join('\n'),
    options: [{ flags: ['--install'], key: 'install', help: "bash: write the script to bash-completion's user directory" }],
    optionsAfterPositionals: true,
    positionals: [{ name: 'SHELL', complete: ['bash', 'zsh'], missing: 'Shell name expected: bash or zsh' }],
    errorCode: 'completion.bad-args',
    load: () => import('./builtins/completion.js'),
  },
  {
    name: '_create_netns',
    summary: 'Not needed: networked !Supervise runs make their own network',
    listed: true,
    description: "Kept for Vagga's scripts; does nothing. The children of a !Supervise\nwith `network:` get their network from namespaces the run creates for\nitself (no sudo, nothing to set up or tear down).",
    ...NETNS_SPEC,
  },
  {
    name: '_destroy_netns',
    summary: 'Not needed: networked !Supervise runs remove their own network',
    listed: true,
    description: "Kept for Vagga's scripts; does nothing (see _create_netns).",
    ...NETNS_SPEC,
  },
  {
    name: '_capsule',
    summary: 'Build and run containers from inside a !CapsuleCommand',
    listed: true,
    description: [
      'Used inside a !CapsuleCommand (the capsule sets _VAGGA_IN_CAPSULE=1):',
      '  vagga _capsule build [--force] NAME',
      '  vagga _capsule run NAME CMD [ARGS...]',
      '  vagga _capsule script [--sha256 HASH] [--refresh] URL [ARGS...]',
      '  vagga _capsule download [--sha256 HASH] [--refresh] URL',
    ].join('\n'),
    options: [],
    positionals: [{ name: 'ARGS', complete: ['build', 'run', 'script', 'download'], rest: true }],
    rawArgs: true,
    load: () => import('./builtins/capsule.js'),
  },
  {
    name: '_network',
    summary: 'Split the network of a running !Supervise into partitions',
    listed: true,
    description: 'Used inside the children of a !Supervise with `network:` children\n(`vagga _network fullmesh|isolate|disjoint|split|run ...`); there it is\nanswered by the running vagga. On the host it only explains that.',
    options: [],
    positionals: [{ name: 'ARGS', complete: ['fullmesh', 'isolate', 'disjoint', 'split'], rest: true }],
    rawArgs: true,
    load: () => import('./builtins/netns.js'),
  },
];

/** The built-in called `name`, if any. */
export function findBuiltin(name: string): BuiltinEntry | undefined {
  return BUILTINS.find((b) => b.name === name);
}
