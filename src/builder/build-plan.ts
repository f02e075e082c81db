/**
 * The build plan (vagga-inventory.md §1.7 build modes, §2.3 build lifecycle): which
 * containers a command needs, in dependency order, and for each whether its published
 * version is reused or a new one is built, and why. Pure: no file system, no clock. What
 * the store holds and the version hashes are read beforehand (store-state.ts) and passed in
 * as ContainerFacts; the plan is carried out by applyBuildPlan (ensure-built.ts).
 *
 * Dependencies (`!Container`, `!Build`, `!SubConfig`: StepDef.dependsOn; the walk is
 * config/dependency-walk.ts, shared with the load-time check) are walked only
 * for containers that are built: a reused version needs nothing else, and its dependencies
 * are only used while building it.
 */
import type { BuildMode } from '../cli/global-options.js';
import type { Config, StepConfig } from '../config/model.js';
import { walkDependencies } from '../config/dependency-walk.js';
import { didYouMean } from '../errors/did-you-mean.js';
import { VaggaError } from '../errors/vagga-error.js';

/**
 * Why a container is reused or built: a structured value, so that a report ("why did it
 * rebuild") and later per-step cache keys can look at the details, not at a sentence.
 * - `reused`: the version the config hashes to is published (and, in the default mode,
 *   was built with the uid map the container gets now);
 * - `linked`: `--no-version-check`: whatever `.vagga/<name>` points to is used, unhashed;
 * - `missing`: no published version with this hash;
 * - `forced`: `_build --force` on this container (never on its dependencies);
 * - `uid-map-changed`: the version exists but its saved `uid_map` differs from the map the
 *   container gets now (`stored` and `wanted` in the kernel's `uid_map` text format);
 * - `version-unknown`: the version cannot be computed before building (a step such as
 *   `!YarnDependencies` before yarn.lock exists); it is computed
 *   after the build.
 */
export type BuildReason =
  | { kind: 'reused' }
  | { kind: 'linked' }
  | { kind: 'missing' }
  | { kind: 'forced' }
  | { kind: 'uid-map-changed'; stored: string; wanted: string }
  | { kind: 'version-unknown' };

/** One container of the plan. */
export interface PlannedContainer {
  name: string;
  /** Full (128-hex) version hash; undefined when unknown before the build (`version-unknown`) or not hashed (`linked`). */
  version: string | undefined;
  /** `reuse` the published version, or `build` a new one (under the build lock, which re-checks first). */
  action: 'reuse' | 'build';
  reason: BuildReason;
  /** Containers this one's setup needs (only for `build`): names, each planned earlier in the plan. */
  dependencies: string[];
  /** `linked` only: the host path `.vagga/<name>` resolves to. */
  rootfs?: string;
}

/**
 * A build plan: every container to make ready, dependencies before their dependents, each
 * once. `mode` says how reused versions are handled (the default mode touches `last_use`
 * and repoints `.vagga/<name>`; `--no-build` and `--no-version-check` only read).
 */
export interface BuildPlan {
  mode: BuildMode;
  containers: PlannedContainer[];
  /**
   * Containers the plan needs facts about that were not given (the dependencies of a
   * container to build): read them and plan again. Empty when the plan is complete.
   */
  needFacts: string[];
}

/** What the store holds for one container (read by store-state.ts). */
export interface StoredContainer {
  /** The version directory of the wanted version has its `root`. */
  versionExists: boolean;
  /** The `uid_map` saved with that version (kernel text format), if any. */
  uidMap?: string;
  /** The real path `.vagga/<name>` points to, when the link exists (read for `--no-version-check`). */
  linkedRoot?: string;
  /** Host path of `.vagga/<name>` (for messages). */
  linkPath: string;
}

/** Everything planBuild needs to know about one container, read beforehand. */
export interface ContainerFacts {
  /** Version hash; undefined when it cannot be known before building. Not read for `--no-version-check`. */
  version: string | undefined;
  store: StoredContainer;
  /** The uid map the container would get now (kernel text format); read only when `store.uidMap` is set. */
  wantedUidMap?: string;
}

/** A container reference made by a setup step (`!Container NAME`, `!Build { container }`, ...). */
export interface DependencyEdge {
  /** The container referenced. */
  name: string;
  /** The step referencing it (its position locates a loop). */
  step: StepConfig;
}

/** What to plan. */
export interface BuildRequest {
  config: Config;
  /** Containers to make ready in this order (the run's containers and its volume containers), without repeats. */
  targets: readonly string[];
  mode: BuildMode;
  /** `_build --force`: rebuild the targets (not their dependencies). */
  force?: boolean;
  /** The containers a container's setup steps reference, in step order (StepDef.dependsOn). */
  dependencies(name: string): DependencyEdge[];
}

/**
 * Plan making `request.targets` ready. Throws VaggaError: 121 for an unknown target
 * (listing the defined containers) or unknown dependency; with `--no-build` (121) for a
 * target whose version is not built; with `--no-version-check` (121) for a target without
 * `.vagga/<name>`; 126 when dependencies of containers to build form a loop (throwCycle).
 */
export function planBuild(request: BuildRequest, facts: Readonly<Record<string, ContainerFacts>>): BuildPlan {
  const { config, mode } = request;
  const plan: BuildPlan = { mode, containers: [], needFacts: [] };
  const seen = new Set<string>();
  const steps = new Map<string, PlannedContainer>();
  for (const target of request.targets) {
    walkDependencies(target, request.dependencies, {
      enter: (name, via) => {
        if (!Object.hasOwn(config.containers, name)) throw containerNotFound(name, via ? undefined : config);
        const known = facts[name];
        if (!known) {
          plan.needFacts.push(name);
          return false;
        }
        const step = decide(name, mode, via ? false : Boolean(request.force), known);
        steps.set(name, step);
        return step.action === 'build';
      },
      leave: (name, deps) => {
        const step = steps.get(name);
        if (!step) return;
        step.dependencies = deps;
        plan.containers.push(step);
      },
      cycle: throwCycle,
    }, seen);
  }
  if (plan.needFacts.length > 0) plan.containers = [];
  return plan;
}

/** Reuse or build one container, as its facts and the mode say. */
function decide(name: string, mode: BuildMode, force: boolean, facts: ContainerFacts): PlannedContainer {
  const step = (action: PlannedContainer['action'], reason: BuildReason): PlannedContainer =>
    ({ name, version: facts.version, action, reason, dependencies: [] });
  if (mode === 'no-version-check') {
    if (facts.store.linkedRoot === undefined) throw notBuilt(name, `is not built yet (no ${facts.store.linkPath})`, '--no-version-check');
    return { ...step('reuse', { kind: 'linked' }), version: undefined, rootfs: facts.store.linkedRoot };
  }
  if (mode === 'no-build') {
    if (facts.version === undefined || !facts.store.versionExists) {
      throw notBuilt(name, `version ${facts.version?.slice(0, 8) ?? '(unknown)'} is not built (--no-build given)`, '--no-build');
    }
    return step('reuse', { kind: 'reused' });
  }
  if (facts.version === undefined) return step('build', { kind: 'version-unknown' });
  if (force) return step('build', { kind: 'forced' });
  if (!facts.store.versionExists) return step('build', { kind: 'missing' });
  const stored = facts.store.uidMap;
  if (stored !== undefined && facts.wantedUidMap !== undefined && normalIdMap(stored) !== normalIdMap(facts.wantedUidMap)) {
    return step('build', { kind: 'uid-map-changed', stored, wanted: facts.wantedUidMap });
  }
  return step('reuse', { kind: 'reused' });
}

/** `uid_map` text with runs of blanks collapsed, for comparing a saved map with a rendered one. */
function normalIdMap(text: string): string {
  return text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).join('\n');
}

/** Every container `name`'s setup needs, transitively, dependencies first, `name` excluded. Throws 126 for a loop (throwCycle). */
export function dependencyOrder(name: string, dependencies: BuildRequest['dependencies']): string[] {
  const out: string[] = [];
  walkDependencies(name, dependencies, {
    enter: () => true,
    leave: (n) => { if (n !== name) out.push(n); },
    cycle: throwCycle,
  });
  return out;
}

/**
 * Throw 126 `Container "x" has cyclic dependency` (Vagga's line) for `loop` (walkDependencies:
 * the references of the loop, the closing one last); the hint locates the closing step:
 * `!Tag x in container "y" (file:line:col) closes the loop x -> ... -> x`.
 */
function throwCycle(loop: Array<{ from: string; edge: DependencyEdge }>): never {
  const { from, edge } = loop[loop.length - 1]!;
  const p = edge.step.pos;
  const names = [...loop.map((e) => e.from), edge.name].join(' -> ');
  throw new VaggaError(`Container ${JSON.stringify(edge.name)} has cyclic dependency`, {
    code: 'config.container-cycle',
    hint: `!${edge.step.tag} ${edge.name} in container ${JSON.stringify(from)} (${p.file}:${p.line}:${p.col}) closes the loop ${names}`,
  });
}

/** 121 `Container "x" not found`; for a target (config given) the hint lists the defined containers. */
function containerNotFound(name: string, config?: Config): VaggaError {
  return new VaggaError(`Container ${JSON.stringify(name)} not found`, {
    code: 'container.not-found',
    ...(config ? {
      hint: [
        didYouMean(name, Object.keys(config.containers), (n) => JSON.stringify(n)),
        `Containers defined: ${Object.keys(config.containers).sort().join(', ') || '(none)'}`,
      ].filter(Boolean).join('\n'),
    } : {}),
  });
}

/** 121 for a container a read-only build mode (`flag`) cannot use: `Container "x" <what>`. */
function notBuilt(name: string, what: string, flag: string): VaggaError {
  return new VaggaError(`Container ${JSON.stringify(name)} ${what}`, {
    code: 'container.not-built',
    hint: `Run without ${flag} (or \`vagga _build ${name}\`) to build it.`,
  });
}
