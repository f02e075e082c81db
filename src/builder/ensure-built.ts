/**
 * Build lifecycle (vagga-inventory.md §2.3):
 *  1. build the containers this one depends on (`!Container`, `!Build`: StepDef.dependsOn);
 *  2. compute the version; if `.roots/<name>.<8hex>` exists (and was built with the same
 *     uid map) and no --force: touch `last_use`, fix `.vagga/<name>`, done;
 *  3. take the build lock `.roots/.tmp.<name>.lock` (waiting, with one message, while
 *     another vagga builds it) and check again: the other process may have built it;
 *  4. start from a fresh `.tmp.<name>/root` (a leftover from a crashed build is deleted,
 *     inside a namespace if it holds subuid-owned files), run every step's host-side
 *     `prepare`, then the builder sandbox (src/builder/run-builder.ts);
 *  5. on success write `uid_map`/`gid_map`, rename `.tmp.<name>` to `<name>.<8hex>`, touch
 *     `last_use`, repoint `.vagga/<name>`, log `Container <name> (<8hex>) built in N seconds.`
 *
 * On failure or interruption nothing published changes: the previous version and its link
 * stay. The failed `.tmp.<name>` dir is kept for inspection; the next build of the
 * container (or `vagga _clean --tmp`) removes it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, ContainerConfig, IdRange, Settings, StepConfig } from '../config/model.js';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';
import type { IdMapping } from '../sandbox/types.js';
import type { BuildLog, PrepareContext, StepDef } from '../steps/step.js';
import {
  buildLockPath, cacheDirFor, projectLayout, tmpBuildDir, versionDir, versionRoot, type ProjectLayout,
} from '../storage/layout.js';
import { acquireLock } from '../storage/lock.js';
import { removeStaleCacheTemps } from '../storage/cache-temps.js';
import { idMapChanged, publishVersion, touchLastUse, updateContainerLink, writeIdMaps } from '../storage/publish.js';
import { removeTree } from '../storage/remove.js';
import { makeStorageDir, storageDirError } from '../storage/storage-dirs.js';
import { ensureStorageBase } from '../storage/storage-link.js';
import { shortHash } from '../version/digest.js';
import { stderrLog } from './build-context.js';
import type { BuilderResult } from './builder-spec.js';
import { BuildFailedError } from './errors.js';
import { prepareSteps } from './prepare.js';
import type { BuilderRunInput } from './run-builder.js';
import { stepLocation } from './step-text.js';
import { ignoreUserSignals } from '../sandbox/signals.js';

export interface BuildOptions {
  /** Rebuild even if the version exists (`_build --force`). */
  force?: boolean;
  /** 0 quiet, 1 normal, 2 verbose. */
  verbosity: number;
}

export interface BuiltContainer {
  name: string;
  /** 128-hex version hash. */
  hash: string;
  /** Host path of the container's root filesystem: `<base>/.roots/<name>.<short>/root`. */
  rootfs: string;
}

/** The collaborators of the lifecycle; tests replace the sandbox-bound ones. */
export interface BuildDeps {
  /** The container's version hash, or undefined when it cannot be known before building (exit 29 case). */
  version(config: Config, name: string): string | undefined;
  idMapping(uids: IdRange[], gids: IdRange[]): IdMapping;
  stepDef(tag: string): StepDef<any> | undefined;
  runBuilder(input: BuilderRunInput): Promise<BuilderResult>;
  cacheDir(settings: Settings): string;
  /** Progress and messages (stderr). */
  write(text: string): void;
  now(): number;
}

async function defaultDeps(): Promise<BuildDeps> {
  const [{ containerVersion }, { idMappingFor }, { stepDef }, { runBuilder }] = await Promise.all([
    import('../version/container-version.js'),
    import('../sandbox/idmap.js'),
    import('../steps/registry.js'),
    import('./run-builder.js'),
  ]);
  return {
    version(config, name) {
      try {
        return containerVersion(config, name).hash;
      } catch (err) {
        if (err instanceof VaggaError && err.exitCode === ExitCode.versionUnknown) return undefined;
        throw err;
      }
    },
    idMapping: idMappingFor,
    stepDef,
    runBuilder: (input) => runBuilder(input),
    cacheDir: (settings) => cacheDirFor(settings),
    write: (text) => { process.stderr.write(text); },
    now: () => Date.now(),
  };
}

/**
 * Make sure container `name` (and every container it depends on) is built at its current
 * version: build into `.vagga/.roots/.tmp.<name>` under a lock, publish atomically and
 * point `.vagga/<name>` at it. Build progress goes to stderr. Throws VaggaError (121) when
 * a step fails or the build is interrupted; the previously published version stays intact.
 */
export async function ensureBuilt(config: Config, settings: Settings, name: string, options: BuildOptions): Promise<BuiltContainer> {
  return ensureBuiltWith(await defaultDeps(), config, settings, name, options);
}

function containerOf(config: Config, name: string): ContainerConfig {
  const container = config.containers[name];
  if (!container) throw new VaggaError(`Container ${JSON.stringify(name)} not found`, { exitCode: ExitCode.launcher });
  return container;
}

/** Names of the containers `steps` need built first, in step order, without repeats. */
export function directDependencies(steps: StepConfig[], stepDef: BuildDeps['stepDef']): string[] {
  const out: string[] = [];
  for (const step of steps) {
    for (const dep of stepDef(step.tag)?.dependsOn?.(step.params) ?? []) if (!out.includes(dep)) out.push(dep);
  }
  return out;
}

/** Setup steps of every container `name` depends on, transitively (for `replay`). */
export function dependencySteps(config: Config, name: string, stepDef: BuildDeps['stepDef']): Record<string, StepConfig[]> {
  const out: Record<string, StepConfig[]> = {};
  const visit = (n: string) => {
    for (const dep of directDependencies(containerOf(config, n).setup, stepDef)) {
      if (dep in out) continue;
      out[dep] = containerOf(config, dep).setup;
      visit(dep);
    }
  };
  visit(name);
  return out;
}

/** Reuse an existing version when possible: touch it, fix the link. */
async function reuse(deps: BuildDeps, layout: ProjectLayout, name: string, hash: string, mapping: IdMapping): Promise<BuiltContainer | undefined> {
  const dir = versionDir(layout, name, hash);
  if (!existsSync(join(dir, 'root'))) return undefined;
  if (await idMapChanged(dir, mapping)) {
    deps.write(`Warning: container ${name} (${shortHash(hash)}) was built with a different uid map; rebuilding it\n`);
    return undefined;
  }
  await touchLastUse(dir);
  await updateContainerLink(layout, name, hash);
  return { name, hash, rootfs: versionRoot(layout, name, hash) };
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

/** ensureBuilt with explicit collaborators (see BuildDeps). `chain`: containers being built above this one. */
export async function ensureBuiltWith(
  deps: BuildDeps, config: Config, settings: Settings, name: string, options: BuildOptions, chain: string[] = [],
): Promise<BuiltContainer> {
  if (chain.includes(name)) {
    throw new VaggaError(`Container ${JSON.stringify(name)} has cyclic dependency`, { exitCode: ExitCode.config });
  }
  const container = containerOf(config, name);
  const containerRoots: Record<string, string> = {};
  for (const dep of directDependencies(container.setup, deps.stepDef)) {
    const built = await ensureBuiltWith(deps, config, settings, dep, { verbosity: options.verbosity }, [...chain, name]);
    containerRoots[dep] = built.rootfs;
  }

  const layout = projectLayout(config.projectRoot, settings);
  const mapping = deps.idMapping(container.uids, container.gids);
  let hash = deps.version(config, name);
  // storage-dir: `.vagga/.lnk` (storage/storage-link.ts); checked before reusing a version
  // so that a copied project does not silently run (and rebuild) the original's containers.
  ensureStorageBase(layout, settings);
  if (hash !== undefined && !options.force) {
    const reused = await reuse(deps, layout, name, hash, mapping);
    if (reused) return reused;
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
    if (hash !== undefined && !options.force) {
      const reused = await reuse(deps, layout, name, hash, mapping);
      if (reused) return reused;
    }
    const started = deps.now();
    const buildDir = tmpBuildDir(layout, name);
    if (existsSync(buildDir)) {
      if (options.verbosity >= 2) deps.write(`Removing the leftover ${buildDir}\n`);
      await removeTree(buildDir);
    }
    await mkdir(join(buildDir, 'root'), { recursive: true, mode: 0o755 }).catch((err: unknown) => { throw storageDirError(err, buildDir); });

    const cacheDir = deps.cacheDir(settings);
    // Temp files of killed runs (their writer gone, their lock free): cache-temps.ts.
    removeStaleCacheTemps(cacheDir, (path) => {
      if (options.verbosity >= 2) deps.write(`Removing the leftover ${path}\n`);
    });
    const log: BuildLog = stderrLog(options.verbosity, deps.write);
    const prepareCtx: PrepareContext = { projectRoot: layout.projectRoot, cacheDir, settings, log, signal: abort.signal };
    let result = await prepareSteps(container.setup, prepareCtx, deps.stepDef);
    const prepared = deps.now();
    if (result.ok && interruptedBy) {
      result = { ok: false, phase: 'setup', interrupted: true, message: `The build was interrupted (${interruptedBy})` };
    }
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
        idMapping: mapping,
        verbosity: options.verbosity,
        timingsHead: [`${((prepared - started) / 1000).toFixed(2).padStart(8)}s ${((prepared - started) / 1000).toFixed(2).padStart(8)}s  Prepare`],
      }));
    }
    if (result.ok && interruptedBy) {
      result = { ok: false, phase: 'setup', interrupted: true, message: `The build was interrupted (${interruptedBy})` };
    }
    if (!result.ok) throw failureError(layout, name, result, layout.projectRoot);

    if (hash === undefined) {
      hash = deps.version(config, name);
      if (hash === undefined) {
        throw new BuildFailedError(`Internal Error: Can't version even after build (container "${name}")`,
          'Run `vagga _version_hash --debug-versioning ' + name + '` to see which input is missing.');
      }
    }
    const dir = await publishVersion(layout, name, hash, buildDir, {
      autoClean: container.autoClean && !settings.disableAutoClean,
      write: deps.write,
    });
    if (options.verbosity >= 1) {
      const secs = Math.round((deps.now() - started) / 100) / 10;
      deps.write(`Container ${name} (${shortHash(hash)}) built in ${secs} seconds.\n`);
    }
    return { name, hash, rootfs: join(dir, 'root') };
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    await lock.release();
  }
}
