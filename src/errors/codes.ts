/**
 * The one table of vagga's error codes: every expected failure (VaggaError) carries one of
 * these stable, dotted codes (`family.kebab-name`), and the table gives the exit status the
 * run ends with and a one-line meaning. Exit statuses are Vagga's (EXIT_CODES.rst, summarised
 * in shared/reference/vagga-inventory.md §2.10); README.md's "Exit codes" section lists this
 * table (scripts/error-codes-table.mjs; test/unit/errors/codes.test.ts checks it is in sync).
 * Code that must tell failures apart tests `err.code` (or its family, the part before the
 * dot), never the message text or the exit number.
 */

/** Exit codes that are part of Vagga's command-line contract. */
export const ExitCode = {
  ok: 0,
  /** `_version_hash`: the version cannot be computed before building. */
  versionUnknown: 29,
  /** Launcher-level failure: unknown command, build failed, uid map too small. */
  launcher: 121,
  /** Command-line argument error. */
  args: 122,
  /** Failure while preparing or running the sandbox (mounts, command not found). */
  sandbox: 124,
  /** Configuration not found, unparsable or invalid. */
  config: 126,
  /** No command given (the list is printed), or no such symlinked command. */
  noCommand: 127,
} as const;

/** One row of the table: the exit status and what the code means (one line, for README). */
export interface ErrorCodeInfo {
  exit: number;
  meaning: string;
}

const { versionUnknown, launcher, args, sandbox, config, noCommand } = ExitCode;

/** Every error code, grouped by family; `exit` is the process exit status. */
export const ERROR_CODES = {
  'config.not-found': { exit: config, meaning: 'No vagga.yaml in the current directory or any parent' },
  'config.unreadable': { exit: config, meaning: 'A configuration or included file cannot be read' },
  'config.syntax': { exit: config, meaning: 'YAML syntax, or YAML the configuration dialect does not accept (tags, anchors, keys, merges)' },
  'config.bad-include': { exit: config, meaning: 'An `!*Include` names no file or leaves the project directory' },
  'config.include-cycle': { exit: config, meaning: 'Included files include each other' },
  'config.invalid': { exit: config, meaning: 'A value has the wrong type or form' },
  'config.unknown-key': { exit: config, meaning: 'A mapping has keys its schema does not expect' },
  'config.missing-field': { exit: config, meaning: 'A required field is missing' },
  'config.bad-setting': { exit: config, meaning: 'A settings value is invalid, or not allowed in the file it is in' },
  'config.container-not-found': { exit: config, meaning: 'A container referenced by a step or command is not defined' },
  'config.container-cycle': { exit: config, meaning: 'Containers depend on each other in a loop' },
  'config.path-outside-project': { exit: config, meaning: 'A host path the configuration names resolves (symlinks followed) outside the project and the external volumes' },
  'config.duplicate-key': { exit: config, meaning: 'A key appears twice at the top level or among containers or commands' },
  'config.invalid-name': { exit: config, meaning: 'A container or command name vagga cannot store or call (empty, `/`, leading `.` or `-`)' },
  'config.missing-value': { exit: config, meaning: 'A container or command is declared without a value' },
  'config.not-utf8': { exit: config, meaning: 'A configuration file is not valid UTF-8' },
  'config.too-large': { exit: config, meaning: 'A configuration nests too deep or expands its aliases too far' },
  'config.minimum-vagga': { exit: config, meaning: 'The configuration asks for a newer Vagga (minimum-vagga)' },
  'config.env-name-invalid': { exit: config, meaning: 'A -e/--use-env or -E/--environ variable name is empty or contains `=`' },

  'args.bad-option': { exit: args, meaning: 'Unknown option, or an option without its value (or with one it does not take)' },
  'args.bad-positional': { exit: args, meaning: 'A positional argument is missing or unexpected' },
  'args.run-as-root': { exit: args, meaning: 'vagga refuses to run as root in a project owned by another user' },

  'command.not-found': { exit: launcher, meaning: 'No such command in vagga.yaml, and it is not an alias' },
  'command.not-supported': { exit: launcher, meaning: 'The command uses a feature this version cannot run yet' },
  'command.bad-options-doc': { exit: launcher, meaning: 'The command\'s `options` (docopt text) cannot be parsed' },
  'command.docopt-usage': { exit: launcher, meaning: 'The arguments do not match the command\'s `options` usage' },
  'command.no-children': { exit: noCommand, meaning: '!Supervise: no child is left after --only/--exclude' },
  'command.tcp-socket-invalid': { exit: launcher, meaning: 'A pass-tcp-socket address cannot be parsed' },
  'command.tcp-socket-unresolved': { exit: launcher, meaning: 'A pass-tcp-socket host name cannot be resolved' },
  'command.tcp-socket-failed': { exit: launcher, meaning: 'A pass-tcp-socket cannot be bound or listened on' },

  'network.bad-address': { exit: config, meaning: 'A `network:` child has a missing, malformed, duplicate or out-of-range `ip`, or a bad `hostname`' },
  'network.isolated-conflict': { exit: launcher, meaning: '`isolate-network` together with `network:` or `!BridgeCommand` children of a !Supervise' },
  'network.setup-failed': { exit: launcher, meaning: 'The namespaces of an isolated network (loopback up), or the bridge or partition of a networked !Supervise run, could not be set up' },
  'network.partition': { exit: 1, meaning: '`vagga _network`: unknown kind, unknown or duplicate node, or a node missing from `disjoint`' },

  'container.not-found': { exit: launcher, meaning: 'No container of that name in vagga.yaml' },
  'container.not-built': { exit: launcher, meaning: 'The container (or that version of it) is not built' },
  'container.no-index': { exit: launcher, meaning: '_verify: the container has no file index' },

  'version.unknown': { exit: versionUnknown, meaning: 'The container version cannot be known before building (an input is generated by a build)' },
  'version.bad-input': { exit: launcher, meaning: 'An input of the version hash is missing, unreadable or invalid' },
  'version.bad-filter': { exit: launcher, meaning: 'Invalid include/exclude rules or regular expressions of a copy step' },
  'version.unknown-step': { exit: launcher, meaning: 'A setup step has no definition (internal)' },

  'build.not-prepared': { exit: launcher, meaning: 'Internal: a container the run needs was not prepared before it (a bug; running never builds)' },
  'build.path-outside-root': { exit: launcher, meaning: 'A container path resolves outside the root being built' },
  'build.subdir-outside-archive': { exit: launcher, meaning: 'A `subdir` climbs out of the unpacked archive' },
  'build.failed': { exit: launcher, meaning: 'A container build failed (the message names the container and step)' },
  'build.step-failed': { exit: launcher, meaning: 'A command run by a setup step exited unsuccessfully' },
  'build.overlay': { exit: launcher, meaning: 'Mounting, unmounting or copying out the layers of the per-step build cache failed' },
  'build.layer-store': { exit: launcher, meaning: 'The per-step build cache (the layer store) could not be read or written' },
  'build.bad-step-option': { exit: launcher, meaning: 'A setup step parameter has a value the step does not accept' },
  'build.not-supported': { exit: launcher, meaning: 'A setup step or form of it is not supported yet' },
  'build.unsupported-distro': { exit: launcher, meaning: 'The step does not work on the active distribution' },
  'build.unsupported-arch': { exit: launcher, meaning: 'The distribution has no packages for this machine\'s architecture' },
  'build.no-distro': { exit: launcher, meaning: 'The step needs a distribution (or its suite and mirror), none is known' },
  'build.distro-already-set': { exit: launcher, meaning: 'A second distribution step in one container' },
  'build.not-first-step': { exit: launcher, meaning: 'A base step comes after other steps put files into the container' },
  'build.bad-alpine-version': { exit: launcher, meaning: 'An Alpine version that cannot be checked' },
  'build.bad-base': { exit: launcher, meaning: 'The base image lacks what the step needs (e.g. its codename)' },
  'build.base-missing': { exit: launcher, meaning: 'A cached base (tarball, apk.static) is missing from the cache' },
  'build.bootstrap-failed': { exit: launcher, meaning: 'Bootstrapping a base system (mmdebstrap) failed' },
  'build.unpack-failed': { exit: launcher, meaning: 'Unpacking a base tarball failed' },
  'build.no-mirror': { exit: launcher, meaning: 'No package mirror is configured or found on the host' },
  'build.bad-mirror': { exit: launcher, meaning: 'A mirror setting is not a usable URL' },
  'build.mirror-unreachable': { exit: launcher, meaning: 'The mirror cannot be reached or answers with an HTTP error' },
  'build.bad-mirror-content': { exit: launcher, meaning: 'The mirror lacks a file the step needs' },
  'build.bad-repo-name': { exit: launcher, meaning: 'A repository name cannot be parsed' },
  'build.bad-package-name': { exit: launcher, meaning: 'A package name is empty, has spaces or starts with `-`' },
  'build.key-fetch-failed': { exit: launcher, meaning: 'Repository signing keys cannot be received' },
  'build.bad-package-json': { exit: launcher, meaning: 'package.json cannot be read or has malformed dependencies' },
  'build.bad-url': { exit: launcher, meaning: 'A download URL has an unsupported scheme or is an absolute path' },
  'build.download-failed': { exit: launcher, meaning: 'A download failed' },
  'build.hash-mismatch': { exit: launcher, meaning: 'A download does not have the expected checksum' },
  'build.source-missing': { exit: launcher, meaning: 'A file or repository the step reads does not exist' },
  'build.subdir-not-found': { exit: launcher, meaning: 'The step\'s `subdir` is not in the archive or repository' },
  'build.archive-layout': { exit: launcher, meaning: 'The archive does not have the single top-level directory the step needs' },
  'build.bad-archive': { exit: launcher, meaning: 'An archive cannot be read' },
  'build.tar-failed': { exit: launcher, meaning: 'tar cannot be run or fails' },
  'build.image-pull-failed': { exit: launcher, meaning: 'An !OciImage image cannot be resolved or pulled (skopeo fails, or it was not pulled)' },
  'build.image-unpack-failed': { exit: launcher, meaning: 'umoci cannot unpack an !OciImage image into the root' },
  'build.image-pin-file': { exit: launcher, meaning: 'vagga-images.lock cannot be read or written' },
  'build.git-failed': { exit: launcher, meaning: 'A git operation of a !Git step failed' },
  'build.git-url-refused': { exit: launcher, meaning: 'A git url of `!SubConfig` uses a transport or scheme vagga does not allow (`ext::`, a scheme other than http(s), git, ssh)' },
  'build.git-revision-not-found': { exit: launcher, meaning: 'The requested git revision is not in the repository' },
  'build.not-a-directory': { exit: launcher, meaning: 'A path the step must create as a directory is something else' },
  'build.copy-from-container': { exit: launcher, meaning: '!Build cannot copy from its source container' },

  'sandbox.setup-failed': { exit: sandbox, meaning: 'bwrap could not set up the sandbox (mounts, namespaces)' },
  'sandbox.exec-failed': { exit: sandbox, meaning: 'The command (or init) could not be executed in the container' },
  'sandbox.too-many-fds': { exit: sandbox, meaning: 'More extra file descriptors than a sandbox can pass' },
  'sandbox.init-needs-dev': { exit: sandbox, meaning: 'A sandbox with an init has no /dev mount (internal)' },
  'sandbox.bad-mount': { exit: sandbox, meaning: 'A volume cannot be mounted as written (unknown volume, bad path, not built)' },
  'sandbox.mount-source-missing': { exit: sandbox, meaning: 'The host source of a mount does not exist' },
  'sandbox.mount-point-missing': { exit: sandbox, meaning: 'A mount point is missing in the read-only container root' },
  'sandbox.data-container': { exit: sandbox, meaning: 'Commands cannot run in a data container (data-dirs)' },
  'sandbox.program-not-found': { exit: sandbox, meaning: 'The command\'s program is not found in the container' },
  'sandbox.program-not-runnable': { exit: sandbox, meaning: 'The command\'s program exists but cannot be run (directory, not executable)' },
  'sandbox.environ-file-unreadable': { exit: sandbox, meaning: 'The container\'s environ-file cannot be read' },
  'sandbox.volume-name-invalid': { exit: sandbox, meaning: 'A !Persistent volume name is not a plain directory name' },
  'sandbox.volume-prepare-failed': { exit: sandbox, meaning: '!Persistent volumes cannot be created or given their owner' },
  'sandbox.transient-copy-failed': { exit: sandbox, meaning: 'The writable copy of a container cannot be made' },

  'userns.sysctl-disabled': { exit: launcher, meaning: 'The kernel does not let ordinary users create user namespaces' },
  'userns.helper-not-setuid': { exit: launcher, meaning: 'newuidmap/newgidmap is not setuid root' },
  'userns.bad-subid-file': { exit: launcher, meaning: '/etc/subuid or /etc/subgid has a malformed or wrong line' },
  'userns.no-subuid': { exit: launcher, meaning: 'Your user has no subordinate uid/gid range' },
  'userns.id-outside-range': { exit: launcher, meaning: 'The id map is outside the subordinate ranges of your user' },
  'userns.map-too-small': { exit: launcher, meaning: 'The subordinate ranges are too small for the ids the container needs' },
  'userns.map-failed': { exit: launcher, meaning: 'newuidmap/newgidmap failed for another reason' },
  'userns.single-id': { exit: launcher, meaning: 'A Debian build needs several ids, the user namespace has one' },

  'env.resource-fault': { exit: launcher, meaning: 'The system refused a resource: disk or quota full, too many open files, permission, read-only file system' },
  'env.args-too-big': { exit: launcher, meaning: 'A command\'s environment and arguments exceed the kernel\'s limit (E2BIG)' },
  'env.missing-tool': { exit: launcher, meaning: 'A host program vagga needs is not installed' },
  'env.missing-keyring': { exit: launcher, meaning: 'Archive signing keys needed for the build are not on the host' },
  'env.usr-not-merged': { exit: launcher, meaning: 'A host program is outside /usr (a merged-/usr host is needed)' },
  'env.no-bundle': { exit: launcher, meaning: 'Building needs the bundled vagga, but vagga runs from sources' },

  'network.bad-publish': { exit: args, meaning: '--publish is not HOST_PORT:CONTAINER_PORT (or PORT), or a host port is given twice, or --publish meets `network:` children' },
  'network.tun-unusable': { exit: launcher, meaning: '/dev/net/tun is missing or not readable and writable by the user, and pasta needs it (--publish, --network-outbound)' },
  'network.pasta-failed': { exit: launcher, meaning: 'pasta ended before it was ready (e.g. a published host port is in use)' },

  'storage.lock-failed': { exit: launcher, meaning: 'A lock file cannot be taken (flock failed)' },
  'storage.planted-link': { exit: launcher, meaning: 'A path vagga keeps in .vagga is a symlink or file the project shipped, not a directory vagga made' },
  'storage.not-writable': { exit: launcher, meaning: 'A storage or cache directory cannot be created or written' },
  'storage.remove-failed': { exit: launcher, meaning: 'A directory in the storage cannot be removed' },
  'storage.index-failed': { exit: launcher, meaning: 'The helper that indexes a built container failed' },
  'storage.size-failed': { exit: launcher, meaning: 'Measuring the size of stored containers (du in a user namespace) failed' },
  'storage.link-is-directory': { exit: launcher, meaning: 'A directory is where vagga keeps a symlink' },
  'storage.link-dangling': { exit: launcher, meaning: 'The storage link points to a directory that does not exist' },
  'storage.link-foreign': { exit: launcher, meaning: 'The linked storage directory belongs to another project' },
  'storage.no-free-subdir': { exit: launcher, meaning: 'No free storage subdirectory name is left for the project' },
  'storage.subdir-env-unset': { exit: launcher, meaning: 'The storage-subdir-from-env-var variable is empty or unset' },
  'storage.no-storage-dir': { exit: launcher, meaning: '`_hardlink --global` without the storage-dir setting' },

  'image.bad-args': { exit: args, meaning: '_pack_image: options that do not go together (an image format without -f, compression with --format)' },
  'image.bad-name': { exit: args, meaning: '_pack_image: the image name (--name, or the container name by default) is not a valid REPO:TAG' },
  'image.tar-failed': { exit: launcher, meaning: 'Packing the container root with tar inside the user namespace failed' },
  'image.archive-failed': { exit: launcher, meaning: 'Writing the image archive (compressor, oci-archive tar, skopeo for docker-archive) failed' },
  'image.output-exists': { exit: launcher, meaning: 'The OCI layout directory to write is not empty and not a layout' },
  'image.bad-cache-url': { exit: launcher, meaning: 'image-cache-url has an unsupported scheme or names an undefined external volume (a download warns and builds instead)' },
  'image.download-failed': { exit: launcher, meaning: 'Downloading an image-cache-url tarball failed (a build warns and builds instead)' },
  'image.unpack-failed': { exit: launcher, meaning: 'Unpacking a downloaded image inside the user namespace (tar, umoci) failed (a build warns and builds instead)' },
  'image.push-no-target': { exit: launcher, meaning: "_push_image without a push-image-script setting or a docker:// image-cache-url (Vagga's `You should specify 'push-image-script' setting`)" },
  'image.push-failed': { exit: launcher, meaning: '_push_image: the push-image-script failed' },

  'registry.bad-reference': { exit: args, meaning: 'A docker://HOST[:PORT]/REPO:TAG reference is malformed (e.g. an uppercase container name in the repository)' },
  'registry.unreachable': { exit: launcher, meaning: 'The registry cannot be reached (connection refused, DNS, TLS)' },
  'registry.denied': { exit: launcher, meaning: 'The registry refused the request (401/403) even after answering its auth challenge' },
  'registry.http-error': { exit: launcher, meaning: 'The registry answered a request with an unexpected HTTP status' },
  'registry.not-found': { exit: launcher, meaning: 'The registry has no image with that tag (a build falls back to building)' },
  'registry.digest-mismatch': { exit: launcher, meaning: 'A manifest or blob from the registry does not hash to its digest (or a layer to its diff_id); it is refused' },
  'registry.bad-manifest': { exit: launcher, meaning: 'The registry returned a document that is not an image manifest/config this client understands' },
  'registry.no-platform': { exit: launcher, meaning: 'An image index has no image for linux on this architecture' },

  'clean.bad-args': { exit: 1, meaning: '_clean: bad or missing options' },
  'clean.no-storage-dir': { exit: 2, meaning: '_clean --global without the storage-dir setting' },
  'clean.failed': { exit: 3, meaning: '_clean: removing something failed' },
  'init-storage-dir.bad-args': { exit: 1, meaning: '_init_storage_dir: bad options or storage subdirectory name' },
  'init-storage-dir.no-storage-dir': { exit: 2, meaning: '_init_storage_dir without the storage-dir setting' },
  'init-storage-dir.link-exists': { exit: 1, meaning: '_init_storage_dir: the project already links to another storage directory' },
  'completion.bad-args': { exit: 1, meaning: '_completion: bad options or unsupported shell' },
} satisfies Record<string, ErrorCodeInfo>;

/** A stable error code: a key of ERROR_CODES, `family.kebab-name`. */
export type ErrorCode = keyof typeof ERROR_CODES;

