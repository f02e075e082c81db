/**
 * A BuildContext over temp dirs whose `run` records argv/env/cwd/mounts instead of running
 * anything (the live checks are in test/e2e/npm.test.ts). `onRun` may act like the command
 * (write files into the root) or fail it (throw StepFailedError).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext } from '../../../src/steps/step.js';
import type { MountPlan } from '../../../src/mounts/types.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { removeTempTree, tempDir } from '../temp-dir.js';

export interface RecordedRun {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  extraMounts?: MountPlan;
}

export interface FakeBuild extends BuildContext {
  runs: RecordedRun[];
  warnings: string[];
  infos: string[];
  cleanup(): void;
}

/** A fresh context; `distro` (default Debian bookworm) is made active unless null. */
export function fakeBuild(opts: { distro?: { name: string; suite?: string } | null; onRun?: (r: RecordedRun, ctx: FakeBuild) => void } = {}): FakeBuild {
  const base = tempDir('vlang-');
  const root = join(base, 'root');
  const work = join(base, 'work');
  const cacheDir = join(base, 'cache');
  for (const d of [root, work, cacheDir]) mkdirSync(d);
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 }); // every distribution root has /tmp
  const runs: RecordedRun[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  const ctx: FakeBuild = {
    containerName: 'test',
    root,
    projectRoot: work,
    cacheDir,
    settings: { debianMirror: 'http://mirror.example/debian', buildLockWait: false, proxyEnvVars: false, propagateEnviron: [], environ: {}, externalVolumes: {} },
    log: { info: (m) => infos.push(m), debug() {}, warn: (m) => warnings.push(m) },
    env: { PATH: '/usr/bin:/bin' },
    state: new Map(),
    cacheMounts: new Map(),
    finish: { ensureDirs: [], emptyDirs: [], removePaths: [], hooks: [] },
    containerRoot: (n) => { throw new Error(`no container ${n}`); },
    async run(argv, options = {}) {
      const r: RecordedRun = { argv, env: { ...ctx.env, ...options.env }, cwd: options.cwd, extraMounts: options.extraMounts };
      runs.push(r);
      opts.onRun?.(r, ctx);
    },
    runs,
    warnings,
    infos,
    cleanup: () => removeTempTree(base),
  };
  const distro = opts.distro === undefined ? { name: 'debian', suite: 'bookworm' } : opts.distro;
  if (distro !== null) activateDistro(ctx, { ...distro, mirror: 'http://mirror.example/debian' });
  return ctx;
}

/** The argv of the recorded runs that are not apt/apk commands. */
export function toolRuns(ctx: FakeBuild): RecordedRun[] {
  return ctx.runs.filter((r) => !['apt-get', 'apt-mark', 'apk'].includes(r.argv[0]!));
}

/** Packages passed to `apt-get install` runs, one list per run. */
export function aptInstalls(ctx: FakeBuild): string[][] {
  return ctx.runs.filter((r) => r.argv[0] === 'apt-get' && r.argv[1] === 'install').map((r) => r.argv.filter((a, i) => i > 1 && !a.startsWith('-') && r.argv[i - 1] !== '-o'));
}
