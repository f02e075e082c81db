/**
 * Container version hash (vagga-inventory.md §2.1): BLAKE2b-512 over the container's
 * `uids` and `gids` ranges, then each setup step's marker `COMMAND\0<Tag>\0` and fields
 * (owned by the step's StepDef), then `data_dirs` when non-empty. `!Container` and friends
 * inline another container's steps (each with its own marker) through VersionContext.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import { readSubConfigFile } from '../config/subconfig.js';
import type { StepRegistry, VersionContext } from '../steps/step.js';
import { Digest } from './digest.js';
import { VersionInputError, VersionUnknownError, containerNotFound } from './errors.js';

export { VersionUnknownError } from './errors.js';

export interface ContainerVersion {
  /** 128 lowercase hex chars. */
  hash: string;
  /** What was hashed, when requested (`--debug-versioning`). */
  trace?: string[];
}

/** Options of containerVersion. */
export interface VersionOptions {
  /** Record a human-readable trace of every field fed (`_version_hash --debug-versioning`). */
  trace?: boolean;
  /**
   * Load another vagga.yaml (host path) for `!SubConfig`; default: parse it with the
   * config loader's dialect and the registry's step schemas (config/subconfig.ts).
   */
  readConfigFile?: (hostPath: string) => Config;
  /**
   * `<base>/.roots` of the project (storage/layout.ts projectLayout): where `!SubConfig`
   * from a container finds that container's built root. Absent: such versions are unknown.
   */
  rootsDir?: string;
  /** The user's cache dir (storage/layout.ts cacheDirPath), for `!SubConfig` from git. Absent: such versions are unknown. */
  cacheDir?: string;
  /** Containers whose versions are being computed (the outer ones), to refuse loops. Internal. */
  versioning?: readonly string[];
}

/**
 * Compute the version of container `name`, each step hashed by its definition in `steps`
 * (the step registry). Throws VersionUnknownError (exit 29) when an
 * input is missing before building (e.g. a `!Depends` path that does not exist yet),
 * VaggaError (121) `Container "x" not found` for an unknown container (also when inlined),
 * VaggaError (126) `Container "x" has cyclic dependency` if inlining loops, and
 * VaggaError (121) for a step tag without a definition or invalid hash inputs.
 */
export function containerVersion(steps: StepRegistry, config: Config, name: string, options: VersionOptions = {}): ContainerVersion {
  const container = config.containers[name];
  if (!container) throw containerNotFound(name, Object.keys(config.containers));
  const digest = new Digest({ trace: options.trace });
  digest.note(`container ${name}`);
  digest.ranges('uids', container.uids);
  digest.ranges('gids', container.gids);
  hashSteps(steps, container.setup, digest, versionContext(steps, config, name, options), name);
  if (container.dataDirs.length > 0) digest.list('data_dirs', container.dataDirs);
  const trace = digest.trace;
  const hash = digest.hex();
  return trace ? { hash, trace } : { hash };
}

/** One setup step's own contribution to the version hash (its marker and fields). */
export interface StepDigest {
  tag: string;
  /** 128-hex BLAKE2b-512 of exactly the bytes the step feeds into the container version. */
  hash: string;
  /** What was fed (Digest trace lines, file contents as size and short digest). */
  trace: string[];
}

/**
 * The digest of each setup step of container `name` on its own (marker, fields, the files
 * it reads, inlined containers' steps), in step order: the inputs of the per-step build
 * cache's chain keys (src/builder/layer-plan.ts) and of `_build --explain`. The container
 * version (containerVersion) is the same bytes fed into one digest after the uid/gid ranges.
 * Throws what containerVersion throws.
 */
export function containerStepDigests(steps: StepRegistry, config: Config, name: string, options: VersionOptions = {}): StepDigest[] {
  const container = config.containers[name];
  if (!container) throw containerNotFound(name, Object.keys(config.containers));
  const ctx = versionContext(steps, config, name, options);
  return container.setup.map((step) => {
    const digest = new Digest({ trace: true });
    hashSteps(steps, [step], digest, ctx, name);
    const trace = digest.trace!;
    return { tag: step.tag, hash: digest.hex(), trace };
  });
}

/** The VersionContext for hashing container `name`'s steps (inlining with a loop check). */
function versionContext(steps: StepRegistry, config: Config, name: string, options: VersionOptions): VersionContext {
  const stack: string[] = [name];
  const ctx: VersionContext = {
    projectRoot: config.projectRoot,
    containers: config.containers,
    inlineSteps(other, d) {
      if (stack.includes(other)) {
        throw new VaggaError(`Container ${JSON.stringify(other)} has cyclic dependency`, { code: 'config.container-cycle' });
      }
      const c = config.containers[other];
      if (!c) throw containerNotFound(other, Object.keys(config.containers));
      d.note(`  (steps of container ${other})`);
      stack.push(other);
      try {
        hashSteps(steps, c.setup, d, ctx, other);
      } finally {
        stack.pop();
      }
    },
    unknown(reason): never {
      throw new VersionUnknownError(reason);
    },
    readConfigFile: options.readConfigFile ?? ((hostPath) => readSubConfigFile(steps, hostPath)),
    builtRoot(other) {
      if (options.rootsDir === undefined) return undefined;
      const outer = [...(options.versioning ?? []), name];
      if (outer.includes(other)) {
        throw new VaggaError(`Container ${JSON.stringify(other)} has cyclic dependency`, { code: 'config.container-cycle' });
      }
      const hash = containerVersion(steps, config, other, { ...options, trace: false, versioning: outer }).hash;
      const root = join(options.rootsDir, `${other}.${hash.slice(0, 8)}`, 'root');
      return existsSync(root) ? root : undefined;
    },
  };
  if (options.cacheDir !== undefined) ctx.cacheDir = options.cacheDir;
  return ctx;
}

/**
 * Feed each step's marker and fields (by its definition in `registry`). Throws VaggaError
 * (121) for a tag the registry does not know (the loader should have rejected it earlier). A step's VersionInputError is
 * rethrown naming the step's real tag, its vagga.yaml position and `container` (whose
 * steps these are).
 */
export function hashSteps(registry: StepRegistry, steps: readonly StepConfig[], digest: Digest, ctx: VersionContext, container = '?'): void {
  for (const step of steps) {
    const def = registry.get(step.tag);
    if (!def) throw new VaggaError(`Step !${step.tag} has no definition`, { code: 'version.unknown-step' });
    digest.marker(step.tag);
    try {
      def.hash(step.params, digest, ctx);
    } catch (e) {
      if (e instanceof VersionInputError) throw e.locate({ tag: step.tag, ...step.pos, container });
      throw e;
    }
  }
}
