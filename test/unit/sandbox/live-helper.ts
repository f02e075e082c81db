/**
 * Launcher used by live.test.ts (run as an ordinary user): runs one sandbox described by the
 * JSON in argv[2] and reports `PID <n>` first and `RESULT <json>` last on stderr; exits with
 * the sandbox status, or the VaggaError's exit code.
 */
import { existsSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeTreeInNamespace, runSandbox } from '../../../src/sandbox/bwrap.js';
import { runNested } from '../../../src/sandbox/nested.js';
import { idMappingFor } from '../../../src/sandbox/idmap.js';
import { planBuilderMounts, planStepMounts, BUILDER_PATHS } from '../../../src/mounts/build-plan.js';
import type { MountPlan } from '../../../src/mounts/types.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { signalReset } from '../../../src/runtime/signal-reset.js';
import { TRUSTED_CACHE_ENTRIES } from '../../../src/config/cache-name.js';

interface Job {
  mode: 'run' | 'builder' | 'nested' | 'rmtree';
  root: string;
  work: string;
  cmd: string;
  extraMounts?: MountPlan;
  init?: boolean;
  /** The command's argv instead of `/bin/sh -c cmd` (busybox's sh itself ignores SIGQUIT). */
  argv?: string[];
  /** Start the command through the run sandbox's signal reset (src/runtime/signal-reset.ts). */
  signalReset?: boolean;
}

const job = JSON.parse(process.argv[2]) as Job;
process.stderr.write(`PID ${process.pid}\n`);
const full = [{ start: 0, end: 65535 }];

/** Create work/tree (dir 0700 owned by inside uid 1000 with a file), then delete it. */
async function rmtree(): Promise<number> {
  const made = await runSandbox({
    mounts: [
      { kind: 'bind', source: job.root, dest: '/', readOnly: true },
      { kind: 'proc', dest: '/proc' },
      { kind: 'dev', dest: '/dev' },
      { kind: 'bind', source: job.work, dest: '/work', readOnly: false },
    ],
    argv: ['/bin/sh', '-c', 'mkdir -p /work/tree/sub && echo x > /work/tree/sub/f && chown -R 1000:1000 /work/tree && chmod 700 /work/tree/sub'],
    env: { PATH: '/bin' }, cwd: '/', idMapping: idMappingFor(full, full), allCaps: true, shareNet: true, init: false,
  });
  if (made.status !== 0) throw new Error(`could not create the tree: ${made.status}`);
  const tree = `${job.work}/tree`;
  const createdBy = statSync(`${tree}/sub`).uid;
  let hostRmFailed = false;
  try {
    rmSync(tree, { recursive: true });
  } catch {
    hostRmFailed = true;
  }
  if (!hostRmFailed) throw new Error('expected the host-side rm to fail');
  await removeTreeInNamespace(tree);
  const result = { status: 0, createdBy, removed: !existsSync(tree) };
  process.stderr.write(`RESULT ${JSON.stringify(result)}\n`);
  return 0;
}

async function main(): Promise<number> {
  if (job.mode === 'rmtree') return rmtree();
  if (job.mode === 'nested') {
    // Inside the builder sandbox: run a step in the root at /vagga/root.
    const r = await runNested({ mounts: planStepMounts({ root: BUILDER_PATHS.root, work: '/work', cacheBinds: {} }), argv: ['/bin/sh', '-c', job.cmd], env: { PATH: '/bin' }, cwd: '/work', input: 'from-stdin\n' });
    return r.status;
  }
  const modules = realpathSync('node_modules');
  // The builder plan mounts the trusted cache entries read-only over the cache: they must exist (run-builder.ts makes them).
  if (job.mode === 'builder') for (const entry of TRUSTED_CACHE_ENTRIES) mkdirSync(join(job.work, entry), { recursive: true });
  const mounts: MountPlan =
    job.mode === 'builder'
      ? [
          ...planBuilderMounts({ rootfs: job.root, projectRoot: job.work, cacheDir: job.work, containerRoots: {}, bundleDir: job.work, runtimePath: process.execPath }),
          { kind: 'bind', source: process.cwd(), dest: process.cwd(), readOnly: true },
          // node_modules may be a symlink out of the checkout (a git worktree sharing one).
          ...(modules.startsWith(`${process.cwd()}/`) ? [] : [{ kind: 'bind' as const, source: modules, dest: modules, readOnly: true }]),
        ]
      : [
          { kind: 'bind', source: job.root, dest: '/', readOnly: true },
          { kind: 'proc', dest: '/proc' },
          { kind: 'dev', dest: '/dev' },
          { kind: 'bind', source: job.work, dest: '/work', readOnly: false },
          { kind: 'tmpfs', dest: '/tmp', size: 100 << 20, mode: 0o1777 },
          ...(job.extraMounts ?? []),
        ];
  let argv =
    job.mode === 'builder'
      ? [process.execPath, '--import', 'tsx', 'test/unit/sandbox/live-helper.ts', JSON.stringify({ ...job, mode: 'nested' })]
      : job.argv ?? ['/bin/sh', '-c', job.cmd];
  if (job.signalReset) {
    const reset = signalReset();
    mounts.push(...reset.mounts);
    argv = [...reset.prefix, ...argv];
  }
  const r = await runSandbox({
    mounts, argv, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' }, cwd: job.mode === 'builder' ? process.cwd() : '/work',
    idMapping: idMappingFor(full, full), allCaps: job.mode === 'builder', shareNet: true, init: job.init ?? job.mode === 'run',
  });
  process.stderr.write(`RESULT ${JSON.stringify(r)}\n`);
  return r.status;
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`RESULT ${JSON.stringify({ error: (err as Error).name, message: (err as Error).message })}\n`);
    process.exit(err instanceof VaggaError ? err.exitCode : 70);
  },
);
