/**
 * The validated configuration model: what vagga.yaml (plus mixins and settings) means.
 * Field names are Vagga's, camelCased. Semantics: shared/reference/vagga-inventory.md §1.2-§1.6.
 */
import type { Pos } from './qnode.js';

/** An inclusive id range inside the container, e.g. `0-65535` -> {start: 0, end: 65535}. */
export interface IdRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** One setup step: its tag (without `!`), the validated parameters and where it was written. */
export interface StepConfig {
  tag: string;
  /** The step's own parameter shape, owned by its StepDef in src/steps/. */
  params: unknown;
  pos: Pos;
}

export type Volume =
  | { kind: 'Tmpfs'; size: number; mode: number; subdirs: Record<string, { mode: number }>; files: Record<string, string | null> }
  | { kind: 'BindRW'; path: string }
  | { kind: 'BindRO'; path: string }
  | { kind: 'Empty' }
  | { kind: 'VaggaBin' }
  | { kind: 'CacheDir'; name: string }
  | { kind: 'Snapshot'; size: number; ownerUid?: number; ownerGid?: number; container?: string }
  | { kind: 'Container'; name: string }
  | { kind: 'Persistent'; name: string; ownerUid: number; ownerGid: number; initCommand?: string };

/**
 * A container's `image:` section (not in Vagga): what an image exported by `vagga
 * _pack_image --format oci|docker` runs (OCI image config fields). Not part of the version
 * hash: the root is the same whatever the image runs.
 */
export interface ContainerImageConfig {
  /** OCI `Entrypoint`; a string was written as shell form (`/bin/sh -c TEXT`). */
  entrypoint?: string[];
  /** OCI `Cmd`; a string was written as shell form (`/bin/sh -c TEXT`). */
  cmd?: string[];
  /** OCI `WorkingDir` (`work-dir`), absolute. */
  workDir?: string;
  /** OCI `User`: `uid[:gid]` or a name the image's /etc/passwd knows. */
  user?: string;
  /** OCI `ExposedPorts` keys: `8080/tcp`, `53/udp`. */
  exposedPorts: string[];
  /** OCI `Labels`. */
  labels: Record<string, string>;
}

/** A container definition (§1.3). */
export interface ContainerConfig {
  name: string;
  setup: StepConfig[];
  environ: Record<string, string>;
  environFile?: string;
  volumes: Record<string, Volume>;
  /** Where each volume's mount point key was written (for messages); absent when unknown. */
  volumePositions?: Record<string, Pos>;
  uids: IdRange[];
  gids: IdRange[];
  autoClean: boolean;
  imageCacheUrl?: string;
  dataDirs: string[];
  /** null: do not bind the host file at run time. */
  resolvConfPath: string | null;
  hostsFilePath: string | null;
  defaultShell: string[];
  /** `image:` (not in Vagga): the config of exported images; absent when not written. */
  image?: ContainerImageConfig;
  pos: Pos;
}

/** Fields every command kind has (§1.6). */
export interface CommonCommandFields {
  name: string;
  description?: string;
  banner?: string;
  bannerDelay?: number;
  epilog?: string;
  aliases: string[];
  group?: string;
  prerequisites: string[];
  /** Docopt usage text. */
  options?: string;
  expectInotifyLimit?: number;
  symlinkName?: string;
  isolateNetwork: boolean;
  passTcpSocket?: string;
  tags: string[];
  pos: Pos;
}

export type WriteMode = 'read-only' | 'transient-hard-link-copy';
export type Pid1Mode = 'wait' | 'wait-all-children' | 'exec';

/** `!Command`: one process in one container. */
export interface CommandConfig extends CommonCommandFields {
  kind: 'Command';
  container: string;
  /** A string runs through the shell; a list is an argv. */
  run: string | string[];
  /** Default: false for a string `run`, true for a list. */
  acceptsArguments: boolean;
  environ: Record<string, string>;
  workDir?: string;
  volumes: Record<string, Volume>;
  /** Where each volume's mount point key was written (for messages); absent when unknown. */
  volumePositions?: Record<string, Pos>;
  pid1mode: Pid1Mode;
  writeMode: WriteMode;
  userId: number;
  groupId: number;
  externalUserId?: number;
  supplementaryGids: number[];
  network?: { ip?: string; hostname?: string; ports: Record<string, number> };
  /** True for a `!BridgeCommand` child of `!Supervise` (network testing); never set on top-level commands. */
  bridge?: boolean;
  /** Supervise children only, beyond Vagga: restart policy (absent for `restart: never`, the default). */
  restart?: RestartPolicy;
  /** Supervise children only, beyond Vagga: readiness check (`ready-when`, `ready-timeout`); absent when not set. */
  ready?: ReadyCheck;
  /** Supervise children only, beyond Vagga: `wait-for`, children that must be ready before this one starts (default empty). */
  waitFor?: string[];
}

/**
 * A `!Supervise` child's readiness check (not in Vagga), `ready-when:` with exactly one probe:
 *  - `{tcp: PORT}`: a process of the child's own sandbox listens on TCP PORT (a listener of
 *    another program on the host does not count; src/supervise/ready.ts);
 *  - `{command: CMD}`: CMD (a string run by the container's shell, or an argv list) exits 0
 *    when run in a short-lived sandbox of the child's container, with its volumes and
 *    environment (src/supervise/run.ts).
 * Probes repeat every `interval` seconds until one passes; the child that is not ready within
 * `ready-timeout` seconds (default 30) fails the run like a child failure.
 */
export interface ReadyCheck {
  /** `tcp: PORT`. */
  tcpPort?: number;
  /** `command: CMD`: a shell string or an argv. */
  command?: string | string[];
  /** `interval`, seconds between probes (default 0.1 for tcp, 1 for command). */
  interval: number;
  /** `timeout`, seconds one command probe may run before it is killed and counts as failed (default 10). */
  probeTimeout: number;
  /** `ready-timeout`, seconds. */
  timeout: number;
}

/**
 * A `!Supervise` child's `restart` (not in Vagga): restart it when it ends (`always`) or ends
 * with a non-zero status (`on-failure`), at most `limit` times per run, waiting `delay`
 * seconds before the first restart and twice as long before each next one (at most 60 s).
 */
export interface RestartPolicy {
  when: 'on-failure' | 'always';
  /** `restart-limit` (default 5). */
  limit: number;
  /** `restart-delay`, seconds (default 1). */
  delay: number;
}

/** `!Supervise`: several children run together (§1.6, §2.9). */
export interface SuperviseConfig extends CommonCommandFields {
  kind: 'Supervise';
  mode: 'stop-on-failure' | 'wait-all-successful';
  killUnresponsiveAfter: number;
  children: Record<string, CommandConfig>;
}

/** `!CapsuleCommand` (experimental in Vagga): parsed, not run yet. */
export interface CapsuleCommandConfig extends CommonCommandFields {
  kind: 'CapsuleCommand';
  run: string | string[];
  workDir?: string;
  environ: Record<string, string>;
  acceptsArguments: boolean;
  uids: IdRange[];
  gids: IdRange[];
}

export type AnyCommandConfig = CommandConfig | SuperviseConfig | CapsuleCommandConfig;

/** A loaded project configuration. */
export interface Config {
  /** Absolute path of the project root (the directory holding vagga.yaml or .vagga/). */
  projectRoot: string;
  /** Absolute path of the main config file. */
  mainFile: string;
  /** Every file read to produce this config (main, mixins, includes): used for cache keys. */
  files: string[];
  minimumVagga?: string;
  containers: Record<string, ContainerConfig>;
  commands: Record<string, AnyCommandConfig>;
  /** Non-fatal problems found while loading (printed in verbose mode). */
  warnings: string[];
}

/** Merged user and project settings (§1.9); only keys this version uses are typed. */
export interface Settings {
  /** Mirror URL for `!Debian` bootstraps and apt sources; default: the host's apt sources. */
  debianMirror?: string;
  ubuntuMirror?: string;
  /** Base URL of Launchpad-style PPA archives for `!UbuntuPPA` (`<base>/<user>/<ppa>/ubuntu`); no default. */
  ubuntuPpaMirror?: string;
  alpineMirror?: string;
  /** Shared cache directory; default `$XDG_CACHE_HOME/vagga` (or `~/.cache/vagga`). */
  cacheDir?: string;
  /** `storage-dir`: keep containers in `<storageDir>/<project subdir>` (`.vagga/.lnk` points there). */
  storageDir?: string;
  /** `storage-subdir-from-env-var`: name of the variable giving the subdir name under storageDir. */
  storageSubdirFromEnvVar?: string;
  /** `build-cache` (user settings only): false builds every container without the per-step cache. */
  buildCache?: boolean;
  /** `build-cache-max-size` (user settings only): bytes the layer store may keep; the least recently used layers go first. */
  buildCacheMaxSize?: number;
  /** `push-image-script` (user settings only): the shell script `vagga _push_image` runs (src/image/cache/push.ts). */
  pushImageScript?: string;
  /** `insecure-registries` (user settings only): registries (HOST or HOST:PORT) spoken to over plain HTTP besides loopback. */
  insecureRegistries?: string[];
  /** `index-all-images` (user settings only): Vagga's condition for hard-link-identical-files (roots are always indexed here). */
  indexAllImages?: boolean;
  /** `hard-link-identical-files` (user settings only, with indexAllImages): link a new version's files with other versions' identical ones. */
  hardLinkIdenticalFiles?: boolean;
  /** `hard-link-between-projects` (user settings only, with storageDir): the same across all projects of the storage dir. */
  hardLinkBetweenProjects?: boolean;
  /** `disable-auto-clean` (user settings only): ignore the containers' `auto-clean`. */
  disableAutoClean?: boolean;
  buildLockWait: boolean;
  proxyEnvVars: boolean;
  propagateEnviron: string[];
  environ: Record<string, string>;
  externalVolumes: Record<string, string>;
}
