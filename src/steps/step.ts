/**
 * The setup-step contract. Each step tag (`!Text`, `!Sh`, `!Debian`, ...) is declared once,
 * in one file under src/steps/, by a StepDef that owns its schema, its contribution to
 * the version hash and its build. Semantics: shared/reference/vagga-inventory.md §1.4, §2.1.
 */
import type { Schema } from '../config/schema.js';
import type { Config, ContainerConfig, Settings, StepConfig } from '../config/model.js';
import type { Digest } from '../version/digest.js';
import type { MountPlan } from '../mounts/types.js';

/** What a step's `hash` may consult. All paths are host paths. */
export interface VersionContext {
  /** Absolute host path of the project root (seen as /work inside containers). */
  projectRoot: string;
  containers: Record<string, ContainerConfig>;
  /** Feed the setup steps of another container (each with its marker), for `!Container`/`!Build`. */
  inlineSteps(containerName: string, digest: Digest): void;
  /** Abort versioning: the version cannot be known before building (exit 29). */
  unknown(reason: string): never;
  /** Load another vagga.yaml by host path (for `!SubConfig`); absent: such versions are unknown. */
  readConfigFile?(hostPath: string): Config;
  /**
   * Host path of the root of container `name` built at its current version (for
   * `!SubConfig` from a container), or undefined when that version is not built or the
   * project's storage is not known here. Throws what versioning `name` throws.
   */
  builtRoot?(name: string): string | undefined;
  /** Host path of the user's cache dir (for `!SubConfig` from git); absent: such versions are unknown. */
  cacheDir?: string;
}

/** Host-side context for a step's `prepare` (runs before the builder sandbox starts). */
export interface PrepareContext {
  projectRoot: string;
  /** Host path of the shared cache dir (settings `cache-dir` or the user's cache dir). */
  cacheDir: string;
  settings: Settings;
  log: BuildLog;
  /** Abort signal: set when the user interrupts the build. */
  signal: AbortSignal;
  /** The container's setup steps before this one (set by the build's prepare phase). */
  precedingSteps?: readonly StepConfig[];
  /** Host roots of the containers built (or reused) before this one, by name (for `!SubConfig` from a container). */
  containerRoots?: Readonly<Record<string, string>>;
}

/**
 * What a running step is doing, for the live progress line (src/builder/progress.ts). Every
 * field is optional; a later update replaces the fields it names.
 */
export interface ProgressUpdate {
  /** One line: the current activity (e.g. `unpacking libc6`, a tool's last output line). */
  text?: string;
  /** Share done, 0..1, when known: drawn as a bar. */
  fraction?: number;
  /** A counter the tool reports: packages (apt/dpkg) or bytes (downloads); `total` when known. */
  count?: { done: number; total?: number; unit: 'packages' | 'bytes' };
}

/** Which output stream of a program a chunk comes from. */
export type OutputSource = 'stdout' | 'stderr';

/**
 * Messages of a build. `info` is status (shown on the live progress line, or as a line
 * when verbose), `warn` is always shown, `debug` only when verbose; all go to the build log.
 */
export interface BuildLog {
  info(message: string): void;
  warn(message: string): void;
  /** Verbose-only detail. */
  debug(message: string): void;
  /**
   * Raw output of a program a step runs (apt, mmdebstrap, a `!Sh` script): into the build
   * log, and to stderr only when verbose. `source` names the program's stream (lines are
   * put together per stream; default stdout). Absent (e.g. in tests): callers write to
   * stderr or debug-log it as before.
   */
  output?(chunk: string | Uint8Array, source?: OutputSource): void;
  /** Progress of the current step (downloads): the live line's bar and counter. */
  progress?(update: ProgressUpdate): void;
}

/**
 * Context of a step's `build`. The builder runs inside the container's user namespace as
 * root with all capabilities, so plain `node:fs` calls may create, chown and delete
 * anything under `root`. Paths are as the builder process sees them.
 */
export interface BuildContext {
  containerName: string;
  /** Absolute path of the root filesystem being built (writable). */
  root: string;
  /** The project directory (the container sees it at /work). */
  projectRoot: string;
  /** The shared cache directory (same content as PrepareContext.cacheDir). */
  cacheDir: string;
  settings: Settings;
  log: BuildLog;
  /** Environment for commands run by later steps; `!Env` adds to it. Starts with Vagga's build env (§2.6). */
  env: Record<string, string>;
  /** Per-build state shared between steps (e.g. the active distribution), keyed by owner. */
  state: Map<string, unknown>;
  /** Cache bind mounts for commands run from now on (`!CacheDirs`, apt caches): container path -> host cache subdir name. */
  cacheMounts: Map<string, string>;
  /** Paths re-applied when the build finishes (§2.6 "Finish"). */
  finish: { ensureDirs: string[]; emptyDirs: string[]; removePaths: string[]; hooks: Array<() => Promise<void>> };
  /** Root path of an already built container (for `!Container`, `!Build`). */
  containerRoot(name: string): string;
  /** Mount points of the container's declared `volumes` (for the `!EnsureDir` warning). */
  volumePaths?: readonly string[];
  /**
   * Setup steps of container `name` (a dependency of this build, e.g. the parent of a
   * `!Container` step), so its steps can be `replay`ed. Throws for other containers.
   */
  containerSteps?(name: string): StepConfig[];
  /**
   * Run argv inside the container root (chroot-like sandbox with /dev, /proc, /work,
   * /run, cache mounts and the host's resolv.conf), cwd `/work` unless given, as root.
   * Output goes to `log.output` (the build log), or to stderr when the log has none. Rejects with StepFailed on a non-zero exit.
   * `extraMounts` are applied after the standard ones (e.g. host tools for `!RunAs`);
   * `isolateNetwork` gives the command a network namespace with only `lo` (bwrap --unshare-net).
   */
  run(argv: string[], options?: {
    cwd?: string; env?: Record<string, string>; input?: string; extraMounts?: MountPlan; isolateNetwork?: boolean;
  }): Promise<void>;
}

/** A setup step type. P is the shape its schema produces. */
export interface StepDef<P = unknown> {
  /** Tag without `!`, e.g. `Text`. */
  tag: string;
  schema: Schema<P>;
  /**
   * True when `hash` reads nothing but the parameters (and, for `!Container`, the other
   * container's steps through VersionContext.inlineSteps): no project file, no other
   * config file. The config cache keeps versions only of containers made of such steps.
   */
  hashReadsOnlyParams?: boolean;
  /**
   * True when the parameters are a mapping keyed by the user's own names (paths, variable
   * names: `!Env`, `!Text`): build output shows those keys as written, not kebab-cased.
   */
  userKeyed?: boolean;
  /**
   * True when the step's build reads nothing of the project beyond what `hash` feeds: it
   * runs no program that sees `/work` (bootstraps, package installs by name, `!Env`,
   * `!Text`, ...). The per-step build cache (src/builder/layer-plan.ts) then shares its
   * layer with every project of the user that has the same steps; after any other step
   * the chain key includes the project's path. Absent or false: project-bound.
   */
  projectFree?(params: P): boolean;
  /** Feed the step's fields (after the `COMMAND\0Tag\0` marker, which the caller writes). */
  hash(params: P, digest: Digest, ctx: VersionContext): void;
  /** Containers this step needs built first (`!Container`, `!Build`). */
  dependsOn?(params: P): string[];
  /** Host-side work before the builder starts: downloads, base bootstraps (with caching). */
  prepare?(params: P, ctx: PrepareContext): Promise<void>;
  /** Apply the step to the root. Absent: the step is parsed but fails at build with "not supported yet". */
  build?(params: P, ctx: BuildContext): Promise<void>;
  /**
   * Re-establish the step's *context* without executing it, when a container inherits this
   * step through `!Container` (Vagga replays e.g. `!Env` values and the active distribution).
   */
  replay?(params: P, ctx: BuildContext): void;
}

/**
 * Every setup step type, by tag without `!`: created once by src/steps/registry.ts and
 * handed to config validation (as StepSchemas), versioning and building.
 */
export type StepRegistry = ReadonlyMap<string, StepDef<any>>;
