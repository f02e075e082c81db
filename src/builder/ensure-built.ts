/**
 * Build lifecycle (vagga-inventory.md §2.3), in three parts:
 *  - read the facts: each container's version (with the config cache's versions first) and
 *    what the store holds (store-state.ts);
 *  - plan (build-plan.ts, pure): which containers to reuse or build, dependencies first;
 *  - apply the plan (applyBuildPlan, here): a reused version gets its `last_use` touched and
 *    `.vagga/<name>` fixed; a container to build:
 *     1. take the build lock `.roots/.tmp.<name>.lock` (waiting, with one message, while
 *        another vagga builds it) and check again: the other process may have built it;
 *     2. start from a fresh `.tmp.<name>/root` (a leftover from a crashed build is deleted,
 *        inside a namespace if it holds subuid-owned files), run every step's host-side
 *        `prepare`, then the builder sandbox (src/builder/run-builder.ts); both print
 *        through a BuildProgress and log programs' output to `.tmp.<name>/build.log`
 *        (src/builder/host-output.ts, progress.ts, build-log.ts);
 *     3. on success write `uid_map`/`gid_map`, rename `.tmp.<name>` to `<name>.<8hex>`, touch
 *        `last_use`, repoint `.vagga/<name>`, log `Container <name> (<8hex>) built in N seconds.`;
 *     4. after a build in cached layers, with the `build-cache-max-size` setting: trim the
 *        build cache to it, keeping the layers just used (cache-budget.ts).
 *
 * On failure or interruption nothing published changes: the previous version and its link
 * stay. The failed `.tmp.<name>` dir is kept for inspection; the next build of the
 * container (or `vagga _clean --tmp`) removes it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildMode } from '../cli/global-options.js';
import type { Config, ContainerConfig, IdRange, Settings, StepConfig } from '../config/model.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { IdMapping } from '../sandbox/types.js';
import type { PrepareContext, StepDef } from '../steps/step.js';
import {
  buildLockPath, cacheDirFor, projectLayout, versionStorage, tmpBuildDir, VERSION_FILES, versionDir, versionRoot, type ProjectLayout,
} from '../storage/layout.js';
import { acquireLock } from '../storage/lock.js';
import { removeStaleCacheTemps } from '../storage/cache-temps.js';
import { formatIdMap, publishVersion, updateContainerLink, writeIdMaps } from '../storage/publish.js';
import { touchLastUse } from '../storage/last-use.js';
import { removeTree } from '../storage/remove.js';
import { makeStorageDir, storageDirError } from '../storage/storage-dirs.js';
import { ensureStorageBase } from '../storage/storage-link.js';
import { shortHash } from '../version/digest.js';
import { customNetworkFiles, type BuilderResult } from './builder-spec.js';
import { BuildFailedError } from './errors.js';
import { openHostOutput, stderrTerminal, type TerminalInfo } from './host-output.js';
import { prepareSteps } from './prepare.js';
import type { BuilderRunInput } from './run-builder.js';
import { stepLocation, stepSummary } from './step-text.js';
import { ignoreUserSignals } from '../sandbox/signals.js';
import { dependencyOrder, planBuild, type BuildPlan, type BuildRequest, type ContainerFacts, type PlannedContainer } from './build-plan.js';
import { readLinkedRecord, readStoredContainer } from './store-state.js';
import { compareSteps, rebuildLine, type RecordedStep, type VersionRecord } from './explain.js';
import { writeFile } from 'node:fs/promises';
import { buildSettingsKey, planLayers, type LayerPlan } from './layer-plan.js';
import type { StepDigest } from '../version/container-version.js';
import { planImageCache } from '../image/cache/plan.js';

export interface BuildOptions {
  /** Rebuild even if the version exists (`_build --force`). */
  force?: boolean;
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
  /** `_build --no-cache`: run every setup step; the new layers replace the cached ones. */
  noCache?: boolean;
  /** `--no-image-download`: never use the containers' `image-cache-url`. */
  noImageDownload?: boolean;
}

export interface BuiltContainer {
  name: string;
  /** 128-hex version hash; undefined for a `--no-version-check` container (not hashed). */
  hash: string | undefined;
  /** Host path of the container's root filesystem: `<base>/.roots/<name>.<short>/root`. */
  rootfs: string;
}

/** The collaborators of the lifecycle; tests replace the sandbox-bound ones. */
export interface BuildDeps {
  /** The container's version hash, or undefined when it cannot be known before building (exit 29 case). */
  version(config: Config, name: string, settings?: Settings): string | undefined;
  /**
   * Each setup step's own version digest (containerStepDigests), or undefined when one cannot be known before building.
   * `settings` (both): where built containers and the cache are, for `!SubConfig` from a container or git (absent: unknown).
   */
  stepDigests?(config: Config, name: string, settings?: Settings): StepDigest[] | undefined;
  idMapping(uids: IdRange[], gids: IdRange[]): IdMapping;
  stepDef(tag: string): StepDef<any> | undefined;
  runBuilder(input: BuilderRunInput): Promise<BuilderResult>;
  cacheDir(settings: Settings): string;
  /** Progress and messages (stderr). */
  write(text: string): void;
  now(): number;
  /** What stderr can show (live progress lines, colours); absent: plain lines. */
  terminal?: TerminalInfo;
  /**
   * The `build-cache-max-size` budget after a successful build in cached layers: trim the
   * layer store in `cacheDir` to `budget` bytes, keeping `stack` (the build's layers);
   * absent: no trimming. Default: cache-budget.ts applyCacheBudget.
   */
  trimBuildCache?(cacheDir: string, budget: number, stack: string[], verbosity: number): Promise<void>;
  /**
   * After a successful build or download, before it is published: link the new version's
   * files with identical ones of other versions when the settings ask for it
   * (`hard-link-identical-files`, src/storage/link-identical.ts linkAfterBuild). Never throws.
   * Absent: nothing is linked.
   */
  linkIdentical?(input: { settings: Settings; layout: ProjectLayout; name: string; buildDir: string; finalDir: string }): Promise<void>;
  /** Loads the image-cache download (default: src/image/cache/fetch-image.ts); tests replace it. */
  imageCache?: () => Promise<Pick<typeof import('../image/cache/fetch-image.js'), 'fetchCachedImage'>>;
}

/** The real collaborators (loaded on first use: the version, step registry and builder modules). */
export async function defaultBuildDeps(): Promise<BuildDeps> {
  const [{ containerVersion, containerStepDigests }, { idMappingFor }, { STEP_DEFS }, { runBuilder }, { applyCacheBudget }] = await Promise.all([
    import('../version/container-version.js'),
    import('../sandbox/idmap.js'),
    import('../steps/registry.js'),
    import('./run-builder.js'),
    import('./cache-budget.js'),
  ]);
  return {
    version(config, name, settings) {
      try {
        return containerVersion(STEP_DEFS, config, name, settings ? versionStorage(config.projectRoot, settings) : {}).hash;
      } catch (err) {
        if (err instanceof VaggaError && err.code === 'version.unknown') return undefined;
        throw err;
      }
    },
    stepDigests(config, name, settings) {
      try {
        return containerStepDigests(STEP_DEFS, config, name, settings ? versionStorage(config.projectRoot, settings) : {});
      } catch (err) {
        if (err instanceof VaggaError && err.code === 'version.unknown') return undefined;
        throw err;
      }
    },
    idMapping: idMappingFor,
    stepDef: (tag) => STEP_DEFS.get(tag),
    runBuilder: (input) => runBuilder(input),
    cacheDir: (settings) => cacheDirFor(settings),
    write: (text) => { process.stderr.write(text); },
    now: () => Date.now(),
    terminal: stderrTerminal(),
    trimBuildCache: (cacheDir, budget, stack, verbosity) => applyCacheBudget(cacheDir, budget, stack, verbosity, (t) => { process.stderr.write(t); }),
    linkIdentical: async (input) => {
      if (!input.settings.indexAllImages || !input.settings.hardLinkIdenticalFiles) return;
      const { linkAfterBuild } = await import('../storage/link-identical.js');
      await linkAfterBuild({ ...input, write: (t) => { process.stderr.write(t); } });
    },
  };
}

/**
 * Make sure container `name` (and, when it is built, every container it is built from) is
 * ready at its current version in the default build mode: resolveBuildPlan, then
 * applyBuildPlan, with the collaborators `deps`. Build progress goes to stderr. Throws
 * BuildFailedError (121) when a step fails or the build is interrupted (the previously
 * published version stays intact), VaggaError 121 for an unknown container, 126 for a loop.
 */
export async function ensureBuiltWith(deps: BuildDeps, config: Config, settings: Settings, name: string, options: BuildOptions): Promise<BuiltContainer> {
  const plan = await resolveBuildPlan(deps, config, settings, { targets: [name], mode: 'normal', force: options.force });
  return (await applyBuildPlan(deps, plan, config, settings, options))[name]!;
}

/** What resolveBuildPlan plans: BuildRequest without the config and the dependency lookup. */
export interface ResolveOptions {
  targets: readonly string[];
  mode: BuildMode;
  force?: boolean;
  /** Versions known already (the config cache's); others are computed (BuildDeps.version). */
  knownVersions?: Readonly<Record<string, string>>;
  /** The version of a container not in knownVersions (default: BuildDeps.version). */
  version?(name: string): string | undefined;
  /** Compare saved uid maps with the current ones (default true; false skips BuildDeps.idMapping). */
  checkUidMaps?: boolean;
}

/**
 * Read the facts (versions, store state: store-state.ts) of the containers the plan needs
 * and plan (build-plan.ts planBuild), reading the facts of dependencies as the plan asks for
 * them. In the default mode the storage base is checked first (`.vagga/.lnk`, storage-link.ts)
 * so that a copied project does not silently run (and rebuild) the original's containers.
 * Throws what planBuild and the version computation throw.
 */
export async function resolveBuildPlan(deps: BuildDeps, config: Config, settings: Settings, options: ResolveOptions): Promise<BuildPlan> {
  const layout = projectLayout(config.projectRoot, settings);
  const request: BuildRequest = {
    config, targets: options.targets, mode: options.mode, force: options.force,
    dependencies: (name) => dependencyEdges(containerOf(config, name).setup, deps.stepDef),
  };
  const version = options.version ?? ((name: string) => deps.version(config, name, settings));
  const facts: Record<string, ContainerFacts> = {};
  for (let round = 0; ; round++) {
    const plan = planBuild(request, facts);
    if (plan.needFacts.length === 0) return plan;
    // After the first plan has checked that the targets exist.
    if (round === 0 && options.mode === 'normal') ensureStorageBase(layout, settings);
    for (const name of plan.needFacts) {
      if (options.mode === 'no-version-check') {
        facts[name] = { version: undefined, store: readStoredContainer(layout, name, undefined, true) };
        continue;
      }
      const hash = options.knownVersions?.[name] ?? version(name);
      facts[name] = { version: hash, store: readStoredContainer(layout, name, hash) };
      if (facts[name].store.uidMap !== undefined && options.checkUidMaps !== false) {
        const container = containerOf(config, name);
        facts[name].wantedUidMap = formatIdMap(deps.idMapping(container.uids, container.gids).uids);
      }
    }
  }
}

function containerOf(config: Config, name: string): ContainerConfig {
  const container = config.containers[name];
  if (!container) throw new VaggaError(`Container ${JSON.stringify(name)} not found`, { code: 'container.not-found' });
  return container;
}

/** The containers `steps` reference (StepDef.dependsOn), in step order, with the referencing step. */
function dependencyEdges(steps: StepConfig[], stepDef: BuildDeps['stepDef']): ReturnType<BuildRequest['dependencies']> {
  return steps.flatMap((step) => (stepDef(step.tag)?.dependsOn?.(step.params) ?? []).map((name) => ({ name, step })));
}

/** Setup steps of every container `name` depends on, transitively (for `replay`), dependencies first. */
export function dependencySteps(config: Config, name: string, stepDef: BuildDeps['stepDef']): Record<string, StepConfig[]> {
  const order = dependencyOrder(name, (n) => dependencyEdges(containerOf(config, n).setup, stepDef));
  return Object.fromEntries(order.map((dep) => [dep, containerOf(config, dep).setup]));
}

/** Reuse a published version: touch `last_use`, fix `.vagga/<name>`. */
async function reuse(layout: ProjectLayout, name: string, hash: string): Promise<BuiltContainer> {
  touchLastUse(versionDir(layout, name, hash));
  await updateContainerLink(layout, name, hash);
  return { name, hash, rootfs: versionRoot(layout, name, hash) };
}

/** Under the build lock: plan container `name` at version `hash` again from fresh store facts (`reuse` when another process built it). */
function recheck(config: Config, layout: ProjectLayout, name: string, hash: string, mapping: IdMapping): PlannedContainer['action'] {
  const store = readStoredContainer(layout, name, hash);
  const facts: ContainerFacts = { version: hash, store, wantedUidMap: formatIdMap(mapping.uids) };
  return planBuild({ config, targets: [name], mode: 'normal', dependencies: () => [] }, { [name]: facts }).containers[0]!.action;
}

/**
 * Carry out `plan` (build-plan.ts) in its order: `linked` and `--no-build` containers are
 * used as they are; reused versions get `last_use` touched and their link fixed; the others
 * are built (buildContainer), each with the roots of its dependencies built or reused before
 * it. Returns every planned container by name. Throws BuildFailedError (121) when a build
 * fails or is interrupted (containers built before it stay published), VaggaError for
 * storage problems.
 */
export async function applyBuildPlan(
  deps: BuildDeps, plan: BuildPlan, config: Config, settings: Settings, options: BuildOptions,
): Promise<Record<string, BuiltContainer>> {
  const layout = projectLayout(config.projectRoot, settings);
  const done: Record<string, BuiltContainer> = {};
  for (const step of plan.containers) {
    if (step.reason.kind === 'linked') {
      done[step.name] = { name: step.name, hash: undefined, rootfs: step.rootfs! };
    } else if (step.action === 'reuse') {
      done[step.name] = plan.mode === 'no-build'
        ? { name: step.name, hash: step.version, rootfs: versionRoot(layout, step.name, step.version!) }
        : await reuse(layout, step.name, step.version!);
    } else {
      const containerRoots = dependencyRoots(deps, config, settings, layout, step.name, done);
      done[step.name] = await buildContainer(deps, config, settings, layout, step, containerRoots, options);
    }
  }
  return done;
}

/**
 * The roots the build of `name` may read: every container built or reused before it in
 * this plan (its direct dependencies among them), and the other containers it depends on
 * transitively when built at their current version. A `!SubConfig` from a container, inherited
 * through `!Container` from a reused parent (whose own dependencies the plan does not walk),
 * replays from that container's root. Missing ones are left out (the step then says so).
 */
function dependencyRoots(
  deps: BuildDeps, config: Config, settings: Settings, layout: ProjectLayout, name: string, done: Record<string, BuiltContainer>,
): Record<string, string> {
  const roots: Record<string, string> = Object.fromEntries(Object.values(done).map((c) => [c.name, c.rootfs]));
  for (const dep of Object.keys(dependencySteps(config, name, deps.stepDef))) {
    if (dep === name || roots[dep] !== undefined) continue;
    let hash: string | undefined;
    try {
      hash = deps.version(config, dep, settings);
    } catch {
      continue; // not versionable now: the step that needs it reports the missing root
    }
    if (hash !== undefined && existsSync(versionRoot(layout, dep, hash))) roots[dep] = versionRoot(layout, dep, hash);
  }
  return roots;
}

/**
 * The error for a failed build: message `Build of container "<name>" failed at step i/n !Tag
 * (<file>:<line>): <what>`; hint = the builder's hint, then (unless interrupted) "Fix the
 * step and run the command again.", then where the partial build stays — each on its own
 * line(s), since a hint such as a `usermod` command spans lines (rendered one `hint:` per line).
 */
function failureError(layout: ProjectLayout, name: string, result: BuilderResult, projectRoot: string): BuildFailedError {
  const where = result.step
    ? ` at step ${result.step.index}/${result.step.total} !${result.step.tag} (${stepLocation(result.step.pos, projectRoot)})`
    : result.phase === 'finish' ? ' while finishing the root' : '';
  const what = result.message ?? 'unknown error';
  const tmp = tmpBuildDir(layout, name);
  const rel = tmp.startsWith(`${projectRoot}/`) ? tmp.slice(projectRoot.length + 1) : tmp;
  const message = `Build of container "${name}" failed${where}: ${what}`;
  const hint = [
    result.hint,
    result.interrupted ? undefined : 'Fix the step and run the command again.',
    `The previously built version (if any) is unchanged; the partial build stays in ${rel} until the next build or \`vagga _clean --tmp\`.`,
  ].filter(Boolean).join('\n');
  return new BuildFailedError(message, hint);
}

/**
 * Run `fn` (the builder) and make sure the build dir `buildDir` still exists afterwards:
 * when it vanished (e.g. `vagga _clean --everything` from another shell removed it while
 * the build was running), throw BuildFailedError (121) saying so, whatever `fn` returned or
 * threw (typically ENOENT copying timings.log into it).
 */
export async function vanishedCheck<T>(buildDir: string, name: string, fn: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    if (!existsSync(join(buildDir, 'root'))) throw vanishedError(buildDir, name, err);
    throw err;
  }
  if (!existsSync(join(buildDir, 'root'))) throw vanishedError(buildDir, name);
  return value;
}

function vanishedError(buildDir: string, name: string, cause?: unknown): BuildFailedError {
  const err = new BuildFailedError(
    `Build of container "${name}" failed: its build directory ${buildDir} was removed while the build was running`,
    'Another process (e.g. `vagga _clean`) deleted it. Run the command again to rebuild.');
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause });
  return err;
}

/**
 * The line saying why container `name` is rebuilt: which step of `current` differs from the
 * version `.vagga/<name>` points to and how (explain.ts). Undefined without a recorded
 * version or when the steps are the same (rebuilt for another reason).
 */
function whyRebuild(layout: ProjectLayout, name: string, current: RecordedStep[]): string | undefined {
  const previous = readLinkedRecord(layout, name);
  if (previous === undefined) return undefined;
  return rebuildLine(name, compareSteps(previous.steps, current), current);
}

/**
 * Publish the finished `buildDir` as version `hash` of container `name` (with its version
 * data when `recorded`), auto-cleaning older versions when `autoClean`, and print
 * `Container NAME (SHORT) built|downloaded in N seconds.` at verbosity >= 1. Returns the
 * version dir. Errors: those of publishVersion.
 */
async function publishAndSay(
  deps: BuildDeps, layout: ProjectLayout,
  v: { name: string; hash: string; buildDir: string; recorded: RecordedStep[] | undefined; started: number; verbosity: number; how: 'built' | 'downloaded'; settings: Settings },
  autoClean: boolean,
): Promise<string> {
  if (v.recorded !== undefined) await writeVersionRecord(v.buildDir, { container: v.name, version: v.hash, steps: v.recorded });
  await deps.linkIdentical?.({ settings: v.settings, layout, name: v.name, buildDir: v.buildDir, finalDir: versionDir(layout, v.name, v.hash) });
  const dir = await publishVersion(layout, v.name, v.hash, v.buildDir, { autoClean, write: deps.write });
  if (v.verbosity >= 1) {
    const secs = Math.round((deps.now() - v.started) / 100) / 10;
    deps.write(`Container ${v.name} (${shortHash(v.hash)}) ${v.how} in ${secs} seconds.\n`);
  }
  return dir;
}

/** Write the version data into the build dir (published with the root). A failure only costs the explanation later. */
async function writeVersionRecord(buildDir: string, record: VersionRecord): Promise<void> {
  try {
    await writeFile(join(buildDir, VERSION_FILES.steps), `${JSON.stringify(record)}\n`);
  } catch {
    // e.g. a full disk: the build itself reports what fails next.
  }
}

/** Each setup step's version digest and how the build shows it, or undefined when not known before building. */
export function recordedSteps(deps: Pick<BuildDeps, 'stepDigests' | 'stepDef'>, config: Config, name: string, settings?: Settings): RecordedStep[] | undefined {
  const digests = deps.stepDigests?.(config, name, settings);
  if (digests === undefined) return undefined;
  const setup = containerOf(config, name).setup;
  return digests.map((d, i) => ({ ...d, summary: stepSummary(setup[i]!, deps.stepDef(setup[i]!.tag)) }));
}

/**
 * The per-step cache plan of container `name` (layer-plan.ts) from its step `digests`:
 * uncached when the `build-cache` setting is off or a step's version is unknown before
 * building (`digests` undefined).
 */
export function layerPlanFor(deps: BuildDeps, config: Config, settings: Settings, name: string, mapping: IdMapping, digests: StepDigest[] | undefined): LayerPlan {
  if (settings.buildCache === false) return { cached: false, reason: 'the build-cache setting is off' };
  if (digests === undefined) return { cached: false, reason: 'a step\'s version is known only after building' };
  const container = containerOf(config, name);
  return planLayers({
    steps: container.setup,
    stepHashes: digests.map((d) => d.hash),
    stepDef: deps.stepDef,
    uidMap: formatIdMap(mapping.uids),
    gidMap: formatIdMap(mapping.gids),
    ranges: `${container.uids.map((r) => `${r.start}-${r.end}`).join(',')}/${container.gids.map((r) => `${r.start}-${r.end}`).join(',')}`,
    dataDirs: container.dataDirs,
    networkFiles: customNetworkFiles(container),
    projectRoot: config.projectRoot,
    arch: process.arch,
    buildSettings: buildSettingsKey(settings),
  });
}

/**
 * The chain key of the finish layer container `name` is made of at its current version
 * when it is built in the build cache's layers (layerSpecFor); undefined when its plan is
 * uncached (setting off, a version known only after building, a temporary-mount step).
 * Pure apart from `deps`' version computations.
 */
export function finishLayerKey(deps: BuildDeps, config: Config, settings: Settings, name: string): string | undefined {
  const container = containerOf(config, name);
  const spec = layerSpecFor(deps, config, settings, name, deps.idMapping(container.uids, container.gids), deps.stepDigests?.(config, name, settings));
  return spec.cached ? spec.layers.finishKey : undefined;
}

/**
 * The layer keys a build of container `name` gets (layerPlanFor), with the finish key of
 * the parent when the first step is `!Container X` and X is built in layers with the same
 * uid and gid maps (so the child stacks on X's layers).
 */
function layerSpecFor(
  deps: BuildDeps, config: Config, settings: Settings, name: string, mapping: IdMapping, digests: StepDigest[] | undefined,
): { cached: false } | { cached: true; layers: { keys: string[]; finishKey: string; parentFinishKey?: string } } {
  const plan = layerPlanFor(deps, config, settings, name, mapping, digests);
  if (!plan.cached) return { cached: false };
  const layers: { keys: string[]; finishKey: string; parentFinishKey?: string } = { keys: plan.keys, finishKey: plan.finishKey };
  const first = containerOf(config, name).setup[0];
  if (first?.tag === 'Container' && typeof first.params === 'string') {
    const parent = containerOf(config, first.params);
    const parentMapping = deps.idMapping(parent.uids, parent.gids);
    const sameMaps = formatIdMap(parentMapping.uids) === formatIdMap(mapping.uids) && formatIdMap(parentMapping.gids) === formatIdMap(mapping.gids);
    const parentPlan = sameMaps ? layerPlanFor(deps, config, settings, first.params, parentMapping, deps.stepDigests?.(config, first.params, settings)) : undefined;
    if (parentPlan?.cached) layers.parentFinishKey = parentPlan.finishKey;
  }
  return { cached: true, layers };
}

/**
 * Build planned container `step` (action `build`) under its build lock: warn about a
 * changed uid map, wait for the lock, re-check (another vagga may have built the version
 * meanwhile: then it is reused), build into `.tmp.<name>`, publish and link it.
 * `containerRoots`: the roots of its dependencies.
 */
async function buildContainer(
  deps: BuildDeps, config: Config, settings: Settings, layout: ProjectLayout, step: PlannedContainer,
  containerRoots: Record<string, string>, options: BuildOptions,
): Promise<BuiltContainer> {
  const { name } = step;
  const container = containerOf(config, name);
  const mapping = deps.idMapping(container.uids, container.gids);
  let hash = step.version;
  if (step.reason.kind === 'uid-map-changed') {
    deps.write(`Warning: container ${name} (${shortHash(hash!)}) was built with a different uid map; rebuilding it\n`);
  }
  makeStorageDir(layout.rootsDir);
  const lock = await acquireLock(buildLockPath(layout, name), {
    onWait: () => deps.write(`Other process is doing a build (.tmp.${name}). Waiting...\n`),
  });
  const abort = new AbortController();
  let interruptedBy: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interruptedBy = sig;
    abort.abort(new Error(`interrupted by ${sig}`));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  // SIGUSR1/SIGUSR2 do not stop a build (and never open Node's inspector); see sandbox/signals.ts.
  ignoreUserSignals();
  try {
    if (hash !== undefined && step.reason.kind !== 'forced' && recheck(config, layout, name, hash, mapping) === 'reuse') {
      return await reuse(layout, name, hash);
    }
    const started = deps.now();
    const recorded = recordedSteps(deps, config, name, settings);
    if (options.verbosity >= 1 && recorded !== undefined) {
      const line = whyRebuild(layout, name, recorded);
      if (line !== undefined) deps.write(`${line}\n`);
    }
    const buildDir = tmpBuildDir(layout, name);
    if (existsSync(buildDir)) {
      if (options.verbosity >= 2) deps.write(`Removing the leftover ${buildDir}\n`);
      await removeTree(buildDir);
    }
    await mkdir(join(buildDir, 'root'), { recursive: true, mode: 0o755 }).catch((err: unknown) => { throw storageDirError(err, buildDir); });

    // image-cache-url (image/cache/): a prebuilt root replaces the build; any failure warns and builds.
    const cachePlan = planImageCache({
      template: container.imageCacheUrl,
      containerName: name,
      version: hash,
      forced: step.reason.kind === 'forced' || options.noCache === true,
      noImageDownload: options.noImageDownload === true,
      projectRoot: layout.projectRoot,
      externalVolumes: settings.externalVolumes,
    });
    if (!cachePlan.use && cachePlan.warning) {
      deps.write(`Warning: ${cachePlan.warning}. Will build it locally...\n`);
    }
    if (cachePlan.use && hash !== undefined) {
      const { fetchCachedImage } = await (deps.imageCache ?? (() => import('../image/cache/fetch-image.js')))();
      if (options.verbosity >= 2) deps.write(`Trying the image cache: ${cachePlan.url}\n`);
      const fetched = await fetchCachedImage({
        name, url: cachePlan.url, source: cachePlan.source, buildDir, idMapping: mapping,
        insecureRegistries: settings.insecureRegistries, signal: abort.signal, write: deps.write,
      });
      if (fetched && !interruptedBy) {
        await writeIdMaps(buildDir, mapping);
        const dir = await publishAndSay(deps, layout, { name, hash, buildDir, recorded, started, verbosity: options.verbosity, how: 'downloaded', settings },
          container.autoClean && !settings.disableAutoClean);
        return { name, hash, rootfs: join(dir, 'root') };
      }
      if (interruptedBy) {
        throw failureError(layout, name, { ok: false, phase: 'setup', interrupted: true, message: `The build was interrupted (${interruptedBy})` }, layout.projectRoot);
      }
    }

    const cacheDir = deps.cacheDir(settings);
    // Temp files of killed runs (their writer gone, their lock free): cache-temps.ts.
    removeStaleCacheTemps(cacheDir, (path) => {
      if (options.verbosity >= 2) deps.write(`Removing the leftover ${path}\n`);
    });
    const output = openHostOutput({
      buildDir, projectRoot: layout.projectRoot, verbosity: options.verbosity, terminal: deps.terminal, write: deps.write, now: deps.now,
    });
    const prepareCtx: PrepareContext = { projectRoot: layout.projectRoot, cacheDir, settings, log: output.log, signal: abort.signal, containerRoots };
    let result: BuilderResult;
    try {
      result = await prepareSteps(container.setup, prepareCtx, deps.stepDef, output.progress);
    } finally {
      output.close();
    }
    const prepared = deps.now();
    if (result.ok && interruptedBy) {
      result = { ok: false, phase: 'setup', interrupted: true, message: `The build was interrupted (${interruptedBy})` };
    }
    const layers = layerSpecFor(deps, config, settings, name, mapping, recorded);
    if (result.ok) {
      await writeIdMaps(buildDir, mapping);
      result = await vanishedCheck(buildDir, name, () => deps.runBuilder({
        name,
        steps: container.setup,
        containers: dependencySteps(config, name, deps.stepDef),
        settings,
        projectRoot: layout.projectRoot,
        cacheDir,
        buildDir,
        containerRoots,
        dataDirs: container.dataDirs,
        networkFiles: customNetworkFiles(container),
        volumePaths: Object.keys(container.volumes),
        ...(layers.cached ? { layers: { ...layers.layers, noCache: options.noCache ?? false } } : {}),
        idMapping: mapping,
        verbosity: options.verbosity,
        ...(deps.terminal ? { terminal: { tty: deps.terminal.tty, colour: deps.terminal.colour } } : {}),
        logPath: output.logPath,
        timingsHead: [`${((prepared - started) / 1000).toFixed(2).padStart(8)}s ${((prepared - started) / 1000).toFixed(2).padStart(8)}s  Prepare`],
      }));
    }
    if (result.ok && interruptedBy) {
      result = { ok: false, phase: 'setup', interrupted: true, message: `The build was interrupted (${interruptedBy})` };
    }
    if (!result.ok) throw failureError(layout, name, result, layout.projectRoot);

    if (hash === undefined) {
      hash = deps.version(config, name, settings);
      if (hash === undefined) {
        throw new BuildFailedError(`Internal Error: Can't version even after build (container "${name}")`,
          'Run `vagga _version_hash --debug-versioning ' + name + '` to see which input is missing.');
      }
    }
    const dir = await publishAndSay(deps, layout, { name, hash, buildDir, recorded, started, verbosity: options.verbosity, how: 'built', settings },
      container.autoClean && !settings.disableAutoClean);
    if (result.layerStack && settings.buildCacheMaxSize !== undefined && deps.trimBuildCache) {
      await deps.trimBuildCache(cacheDir, settings.buildCacheMaxSize, result.layerStack, options.verbosity);
    }
    return { name, hash, rootfs: join(dir, 'root') };
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    await lock.release();
  }
}
