/**
 * Host side of the builder: write the spec into a scratch dir under the cache dir, start
 * `vagga __builder__` in the builder sandbox (src/mounts/build-plan.ts planBuilderMounts:
 * user namespace with the container's uid map, all capabilities, stdout sent to stderr,
 * stdin /dev/null) and read back its result. The scratch dir is removed afterwards; its
 * timings.log and index are copied into the build dir first, and its build.log appended to
 * the build dir's (which holds the prepare phase's output, src/builder/build-log.ts). Scratch dirs of builds that were killed
 * before removing theirs are removed when the next build starts.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LAYER_STORE_ENTRY, TRUSTED_CACHE_ENTRIES } from '../config/cache-name.js';
import { BUILDER_PATHS, planBuilderMounts } from '../mounts/build-plan.js';
import { runSandbox } from '../sandbox/bwrap.js';
import type { IdMapping, SandboxResult, SandboxSpec } from '../sandbox/types.js';
import { VERSION_FILES } from '../storage/layout.js';
import { pidAlive } from '../storage/pid-alive.js';
import { buildEnv } from './build-env.js';
import { bundleLocation } from './bundle-path.js';
import { decodeSpecJson, encodeSpecJson, SCRATCH_FILES, type BuilderResult, type BuilderSpec } from './builder-spec.js';
import type { StepConfig, Settings } from '../config/model.js';

/** Re-exported for callers of the builder (src/storage/pid-alive.ts). */
export { pidAlive };

/** Everything needed to run one builder. Paths are host paths. */
export interface BuilderRunInput {
  name: string;
  steps: StepConfig[];
  /** Setup steps of the (transitive) dependencies, for replay. */
  containers: Record<string, StepConfig[]>;
  settings: Settings;
  projectRoot: string;
  cacheDir: string;
  /** The `.tmp.<name>` dir; the root is its `root/` subdir. */
  buildDir: string;
  /** Built dependencies: name -> host rootfs. */
  containerRoots: Record<string, string>;
  idMapping: IdMapping;
  verbosity: number;
  /** Lines written to timings.log before the builder's own (e.g. the prepare time). */
  timingsHead: string[];
  /** The container's `data-dirs`, if any. */
  dataDirs?: string[];
  /** The container's custom resolv/hosts paths (builder-spec.ts customNetworkFiles), if any. */
  networkFiles?: string[];
  /** Mount points of the container's `volumes`, if any (BuilderSpec.volumePaths). */
  volumePaths?: string[];
  /** Chain keys of a build in cached layers (layer-plan.ts); absent: no build cache. */
  layers?: { keys: string[]; finishKey: string; noCache: boolean; parentFinishKey?: string };
  /** How the builder renders progress on our stderr (BuilderSpec.terminal); absent: plain lines. */
  terminal?: { tty: boolean; colour: boolean };
  /** The build log as shown to the user: `<buildDir>/build.log`, relative to the project when inside it. */
  logPath?: string;
}

/** Starts the sandbox; replaceable in tests. */
export type SandboxRunner = (spec: SandboxSpec) => Promise<SandboxResult>;

/** The builder-visible spec for `input` (pure). `scratchName` is the scratch dir's basename. */
export function builderSpecFor(input: BuilderRunInput, scratchName: string, hostEnv: NodeJS.ProcessEnv): BuilderSpec {
  const containerRoots: Record<string, string> = {};
  for (const name of Object.keys(input.containerRoots)) containerRoots[name] = `${BUILDER_PATHS.containers}/${name}`;
  return {
    containerName: input.name,
    steps: input.steps,
    containers: input.containers,
    settings: input.settings,
    env: buildEnv(input.settings, hostEnv),
    verbosity: input.verbosity,
    hostProjectRoot: input.projectRoot,
    root: BUILDER_PATHS.root,
    work: BUILDER_PATHS.work,
    cacheDir: BUILDER_PATHS.cache,
    containerRoots,
    scratchDir: `${BUILDER_PATHS.cache}/.builds/${scratchName}`,
    ...(input.dataDirs?.length ? { dataDirs: input.dataDirs } : {}),
    ...(input.networkFiles?.length ? { networkFiles: input.networkFiles } : {}),
    ...(input.volumePaths?.length ? { volumePaths: input.volumePaths } : {}),
    ...(input.layers ? { layers: { storeDir: `${BUILDER_PATHS.cache}/${LAYER_STORE_ENTRY}`, ...input.layers } } : {}),
    ...(input.terminal ? { terminal: input.terminal } : {}),
    ...(input.logPath ? { hostLogPath: input.logPath } : {}),
  };
}

/** Env of the builder process itself (node inside the sandbox): clean, plus proxies. */
function builderProcessEnv(settings: Settings, hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env = buildEnv(settings, hostEnv);
  if (hostEnv.TERM) env.TERM = hostEnv.TERM;
  return env;
}

/**
 * The pid in a scratch dir name `<container>.<pid>.<6 random chars>` (mkdtemp's suffix), or
 * undefined for any other name. Container names may contain dots; the pid is the field
 * before the suffix.
 */
export function scratchDirPid(entry: string): number | undefined {
  const m = /^.+\.(\d+)\.[A-Za-z0-9]{6}$/.exec(entry);
  return m ? Number(m[1]) : undefined;
}

/**
 * Remove the scratch dirs in `<cache>/.builds` that a build killed before its cleanup left
 * behind: those whose pid is not alive (this process's own are kept, as are names that are
 * not scratch dirs). Returns the names removed. Errors removing one are ignored (the next
 * build tries again); a missing `buildsDir` is fine.
 */
export async function removeStaleScratchDirs(buildsDir: string, isAlive: (pid: number) => boolean = pidAlive): Promise<string[]> {
  let entries: string[];
  try {
    entries = readdirSync(buildsDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = scratchDirPid(entry);
    if (pid === undefined || pid === process.pid || isAlive(pid)) continue;
    try {
      await rm(join(buildsDir, entry), { recursive: true, force: true });
      removed.push(entry);
    } catch { /* e.g. permissions: left for `vagga _clean` or a later build */ }
  }
  return removed;
}

/**
 * Copy timings.log and the index from the scratch dir into the build dir and append the
 * builder's build.log to the build dir's; returns the fs error instead of throwing.
 */
function keepBuildLogs(scratch: string, buildDir: string): unknown {
  try {
    const log = join(scratch, SCRATCH_FILES.buildLog);
    if (existsSync(log)) appendFileSync(join(buildDir, VERSION_FILES.buildLog), readFileSync(log));
    const timings = join(scratch, SCRATCH_FILES.timings);
    if (existsSync(timings)) copyFileSync(timings, join(buildDir, VERSION_FILES.timings));
    const index = join(scratch, SCRATCH_FILES.index);
    if (existsSync(index)) copyFileSync(index, join(buildDir, SCRATCH_FILES.index));
    return undefined;
  } catch (err) {
    return err;
  }
}

/**
 * Run the builder for `input` and return its result. A builder that ends without writing a
 * result (killed, crashed, sandbox setup failure) yields a failed result saying so.
 * Throws only for errors starting the sandbox (MissingToolError, SandboxError, ...).
 */
export async function runBuilder(input: BuilderRunInput, runner: SandboxRunner = runSandbox, hostEnv: NodeJS.ProcessEnv = process.env): Promise<BuilderResult> {
  const bundle = bundleLocation(hostEnv);
  const buildsDir = join(input.cacheDir, '.builds');
  mkdirSync(buildsDir, { recursive: true });
  for (const entry of TRUSTED_CACHE_ENTRIES) mkdirSync(join(input.cacheDir, entry), { recursive: true });
  await removeStaleScratchDirs(buildsDir);
  const scratch = await mkdtemp(join(buildsDir, `${input.name}.${process.pid}.`));
  try {
    const spec = builderSpecFor(input, basename(scratch), hostEnv);
    writeFileSync(join(scratch, SCRATCH_FILES.spec), encodeSpecJson(spec));
    writeFileSync(join(scratch, SCRATCH_FILES.timings), input.timingsHead.map((l) => `${l}\n`).join(''));
    const sandbox: SandboxSpec = {
      mounts: planBuilderMounts({
        rootfs: join(input.buildDir, 'root'),
        projectRoot: input.projectRoot,
        cacheDir: input.cacheDir,
        containerRoots: input.containerRoots,
        bundleDir: bundle.dir,
        runtimePath: bundle.runtime,
      }),
      argv: [bundle.runtime, `${BUILDER_PATHS.bin}/${bundle.file}`, '__builder__', `${spec.scratchDir}/${SCRATCH_FILES.spec}`],
      env: builderProcessEnv(input.settings, hostEnv),
      cwd: BUILDER_PATHS.work,
      idMapping: input.idMapping,
      allCaps: true,
      shareNet: true,
      init: true,
      stdout: 'stderr',
      stdin: 'null',
    };
    const outcome = await runner(sandbox);
    const resultPath = join(scratch, SCRATCH_FILES.result);
    // A failure to keep the logs (e.g. a full disk) must not hide the build's own failure:
    // it is reported only when the build succeeded.
    const logError = keepBuildLogs(scratch, input.buildDir);
    if (existsSync(resultPath)) {
      const result = decodeSpecJson<BuilderResult>(readFileSync(resultPath, 'utf8'));
      if (result.ok && logError !== undefined) throw logError;
      if (result.ok && outcome.status !== 0) {
        return { ok: false, phase: 'finish', message: `The builder reported success but exited with status ${outcome.status}` };
      }
      return result;
    }
    const killed = outcome.signal !== undefined || outcome.status > 128;
    return {
      ok: false,
      phase: 'setup',
      interrupted: killed,
      message: killed
        ? `The builder was killed (status ${outcome.status}${outcome.signal ? `, ${outcome.signal}` : ''})`
        : `The builder exited with status ${outcome.status} without reporting a result`,
      hint: killed ? 'Run the command again to restart the build.' : 'See the messages above; run with -v for more detail.',
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
