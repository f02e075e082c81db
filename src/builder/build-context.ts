/**
 * The BuildContext handed to setup steps inside the builder (src/steps/step.ts). Commands
 * run in a nested sandbox over the root being built (src/sandbox/nested.ts) with the mount
 * plan of src/mounts/build-plan.ts planStepMounts: root at /, /dev, /proc, /work, /run and
 * the cache binds registered so far (`!CacheDirs`, apt); the host's resolv.conf and hosts
 * are lent to the root's own files while a command runs (lendNetworkFiles).
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** `content` written to `path` through a temp file renamed over it (a hard-linked inode elsewhere is never changed). */
function replaceFile(path: string, content: Buffer, mode: number): void {
  const tmp = join(dirname(path), `.vagga-${process.pid}.tmp`);
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

/**
 * Lend the host's `/etc/resolv.conf` and `/etc/hosts` (as the builder sees them, under
 * `hostEtc`) to the root being built while a step's command runs, so that it resolves
 * names; returns the function that takes them back. Vagga copies the host's files into
 * `root/etc` (regular files a step may change or replace, e.g. `ln -sfn /state/resolv.conf
 * /etc/resolv.conf` in its resolv-conf test; a symlink there is left alone), and the finish
 * phase empties them. Here the copy is also undone after each command when the file still
 * holds exactly the host's text, so the host's files are never kept in the root or in a
 * cached layer; what a step wrote there (other text, a symlink, a removal) stays. A missing
 * file is created empty first (the finish phase makes it anyway). Paths are resolved inside
 * the root (symlinks followed inside it), again before taking the files back. A host file
 * that cannot be read is not lent.
 */
export function lendNetworkFiles(root: string, hostEtc = '/etc'): () => void {
  mkdirSync(inRoot(root, '/etc'), { recursive: true, mode: 0o755 });
  const lent: Array<{ file: string; original: Buffer; host: Buffer; mode: number }> = [];
  for (const name of ['resolv.conf', 'hosts']) {
    const file = `/etc/${name}`;
    const path = inRoot(root, file, { followLast: false });
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) writeFileSync(path, '', { mode: 0o644 });
    else if (!st.isFile()) continue;
    let host: Buffer;
    try {
      host = readFileSync(join(hostEtc, name));
    } catch {
      continue;
    }
    const original = st ? readFileSync(path) : Buffer.alloc(0);
    if (original.equals(host)) continue;
    const mode = st ? st.mode & 0o7777 : 0o644;
    replaceFile(path, host, mode);
    lent.push({ file, original, host, mode });
  }
  return () => {
    for (const { file, original, host, mode } of lent) {
      // Resolved again: the command may have made /etc a symlink meanwhile.
      const path = inRoot(root, file, { followLast: false });
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st?.isFile() || !readFileSync(path).equals(host)) continue;
      replaceFile(path, original, mode);
    }
  };
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
    ...(spec.volumePaths ? { volumePaths: spec.volumePaths } : {}),
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
      const mounts = [...planStepMounts({ root: spec.root, work: spec.work, cacheBinds }), ...(options.extraMounts ?? [])];
      const giveBack = lendNetworkFiles(spec.root);
      let result;
      try {
        result = await runner({
          mounts,
          argv,
          env: { ...ctx.env, ...options.env },
          cwd: options.cwd ?? '/work',
          input: options.input,
          ...(options.isolateNetwork ? { shareNet: false } : {}),
          ...(log.output ? { output: (chunk: Buffer, source: 'stdout' | 'stderr') => log.output!(chunk, source) } : {}),
        });
      } finally {
        giveBack();
      }
      if (result.status !== 0) throw new StepFailedError(argv, result.status, result.signal);
    },
  };
  return ctx;
}
