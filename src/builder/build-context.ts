/**
 * The BuildContext handed to setup steps inside the builder (src/steps/step.ts). Commands
 * run in a nested sandbox over the root being built (src/sandbox/nested.ts) with the mount
 * plan of src/mounts/build-plan.ts planStepMounts: root at /, /dev, /proc, /work, /run,
 * the host resolv.conf/hosts and the cache binds registered so far (`!CacheDirs`, apt).
 */
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext, BuildLog } from '../steps/step.js';
import { cacheEntryPath } from '../config/cache-name.js';
import { inContainerRoot, RootPathError } from '../steps/root-path.js';
import { planStepMounts } from '../mounts/build-plan.js';
import { runNested, type NestedSpec } from '../sandbox/nested.js';
import type { SandboxResult } from '../sandbox/types.js';
import type { BuilderSpec } from './builder-spec.js';
import { StepFailedError } from './errors.js';

/** Runs a nested sandbox; replaceable in tests. */
export type NestedRunner = (spec: NestedSpec) => Promise<SandboxResult>;

/**
 * A container path (absolute, e.g. `/var/cache`) under the root being built, symlinks
 * followed inside the root (src/steps/root-path.ts inContainerRoot).
 */
export const inRoot = inContainerRoot;

/**
 * Make sure `etc/resolv.conf` and `etc/hosts` exist in the root (empty when created): the
 * step sandbox binds the host's files over them, and bwrap needs an existing mount point.
 * Symlinks there are left alone.
 */
export function ensureNetworkFiles(root: string): void {
  mkdirSync(inRoot(root, '/etc'), { recursive: true, mode: 0o755 });
  for (const file of ['/etc/resolv.conf', '/etc/hosts']) {
    const path = inRoot(root, file, { followLast: false });
    let present = true;
    try { lstatSync(path); } catch { present = false; }
    if (!present) writeFileSync(path, '', { mode: 0o644 });
  }
}

/**
 * Create the context for one build from the builder spec. `run` creates each registered
 * cache dir (`<cache>/<name>`) and its mount point in the root on demand, sends the
 * program's output to `log.output` when the log has one (the build log), and rejects with
 * StepFailedError on a non-zero status.
 */
export function createBuildContext(spec: BuilderSpec, log: BuildLog, runner: NestedRunner = runNested): BuildContext {
  const ctx: BuildContext = {
    containerName: spec.containerName,
    root: spec.root,
    projectRoot: spec.work,
    cacheDir: spec.cacheDir,
    settings: spec.settings,
    log,
    env: { ...spec.env },
    state: new Map(),
    cacheMounts: new Map(),
    finish: { ensureDirs: [], emptyDirs: [], removePaths: [], hooks: [] },
    containerRoot(name: string): string {
      const root = spec.containerRoots[name];
      if (root === undefined) throw new Error(`container "${name}" is not available to this build (not a dependency)`);
      return root;
    },
    containerSteps(name: string) {
      const steps = spec.containers[name];
      if (steps === undefined) throw new Error(`container "${name}" is not available to this build (not a dependency)`);
      return steps;
    },
    async run(argv, options = {}) {
      const cacheBinds: Record<string, string> = {};
      for (const [containerPath, name] of ctx.cacheMounts) {
        // Checked again here (the schema refuses these already): a cache name never leaves
        // the cache dir nor names an entry other builds trust.
        const entry = cacheEntryPath(spec.cacheDir, name);
        if ('problem' in entry) throw new RootPathError(entry.problem);
        const hostDir = entry.path;
        mkdirSync(hostDir, { recursive: true });
        mkdirSync(inRoot(spec.root, containerPath), { recursive: true });
        cacheBinds[containerPath] = hostDir;
      }
      ensureNetworkFiles(spec.root);
      const mounts = [...planStepMounts({ root: spec.root, work: spec.work, cacheBinds }), ...(options.extraMounts ?? [])];
      const result = await runner({
        mounts,
        argv,
        env: { ...ctx.env, ...options.env },
        cwd: options.cwd ?? '/work',
        input: options.input,
        ...(options.isolateNetwork ? { shareNet: false } : {}),
        ...(log.output ? { output: (chunk: Buffer, source: 'stdout' | 'stderr') => log.output!(chunk, source) } : {}),
      });
      if (result.status !== 0) throw new StepFailedError(argv, result.status, result.signal);
    },
  };
  return ctx;
}
