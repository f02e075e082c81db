import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import type { SandboxSpec } from '../../../src/sandbox/types.js';
import { planRunMounts } from '../../../src/mounts/run-plan.js';
import { SNAPSHOT_SHELL, SNAPSHOT_STAGE } from '../../../src/mounts/volumes-snapshot.js';
import { command, fakeProject } from '../cli/fake-project.js';

const HASH = '0123abcd'.repeat(16);

/** Project with container `c` built (root with /usr/bin/true, /snap, /db, /other) and commands using volumes. */
function builtProject(): { dir: string; root: string; project: Project } {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-vrun-'));
  const root = join(dir, '.vagga/.roots/c.0123abcd/root');
  for (const d of ['usr/bin', 'snap', 'db', 'other', 'proc', 'dev', 'work', 'tmp', 'run', 'etc']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'usr/bin/true'), '', { mode: 0o755 });
  for (const f of ['etc/resolv.conf', 'etc/hosts', 'snap/f']) writeFileSync(join(root, f), '');
  symlinkSync('.roots/c.0123abcd/root', join(dir, '.vagga/c'));
  const db = { '/db': { kind: 'Persistent' as const, name: 'db', ownerUid: 0, ownerGid: 0, initCommand: 'init' } };
  const project = fakeProject({
    snap: command({ name: 'snap', run: ['true', 'x'], volumes: { '/snap': { kind: 'Snapshot', size: 10 } } }),
    other: command({ name: 'other', run: ['true'], volumes: { '/other': { kind: 'Container', name: 'o' } } }),
    init: command({ name: 'init', run: ['true'], volumes: db }),
    use: command({ name: 'use', run: ['true'], volumes: db }),
  });
  project.config.projectRoot = dir;
  project.versions = { c: HASH };
  return { dir, root, project };
}

async function vagga(argv: string[], project: Project, statuses: number[] = []) {
  const specs: SandboxSpec[] = [];
  let stderr = '';
  const status = await runCli(argv, {
    cwd: project.config.projectRoot,
    env: { HOME: '/home/u' },
    out: () => {},
    err: (t) => { stderr += t; },
    loadProject: async () => project,
    sandboxDeps: {
      planRunMounts,
      idMappingFor: () => ({ uids: [{ inside: 0, outside: process.getuid!(), count: 1 }], gids: [{ inside: 0, outside: process.getgid!(), count: 1 }] }),
      runSandbox: async (spec) => {
        specs.push(spec);
        return { status: statuses.shift() ?? 0 };
      },
      cacheDir: '/cache',
      volumes: {
        snapshotShell: '/host/busybox',
      },
    },
  });
  return { status, specs, stderr };
}

test('a !Snapshot command starts through the busybox prelude with staging binds', async () => {
  const { dir, root, project } = builtProject();
  try {
    const r = await vagga(['snap'], project);
    assert.equal(r.status, 0, r.stderr);
    const [spec] = r.specs;
    assert.deepEqual(spec.argv.slice(0, 3), [SNAPSHOT_SHELL, 'sh', '-c']);
    assert.deepEqual(spec.argv.slice(4), ['vagga-snapshot', '/usr/bin/true', 'x']);
    assert.match(spec.argv[3], /\$B cp -a '\/dev\/\.vagga-snapshot\/0\/\.' '\/snap'/);
    assert.ok(spec.mounts.some((op) => op.kind === 'bind' && op.source === join(root, 'snap') && op.dest === `${SNAPSHOT_STAGE}/0` && op.readOnly));
    assert.ok(spec.mounts.some((op) => op.kind === 'bind' && op.source === '/host/busybox' && op.dest === SNAPSHOT_SHELL));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a !Container volume: the container is prepared (prepare phase) and bound read-only', async () => {
  const { dir, project } = builtProject();
  project.config.containers.o = { ...project.config.containers.c, name: 'o' };
  project.versions = { ...project.versions, o: HASH };
  const oroot = join(dir, '.vagga/.roots/o.0123abcd/root');
  mkdirSync(oroot, { recursive: true });
  symlinkSync('.roots/o.0123abcd/root', join(dir, '.vagga/o'));
  try {
    const r = await vagga(['other'], project);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.specs[0].mounts.some((op) => op.kind === 'bind' && op.source === oroot && op.dest === '/other' && op.readOnly));
    assert.equal(r.specs[0].argv[0], '/usr/bin/true');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('_run: a container volume of the container is prepared with it before the run; the run itself never builds', async () => {
  const { dir, project } = builtProject();
  project.config.containers.c.volumes = { '/other': { kind: 'Container', name: 'o' } };
  project.config.containers.o = { ...project.config.containers.c, name: 'o', volumes: {} };
  project.versions = { ...project.versions, o: HASH };
  const oroot = join(dir, '.vagga/.roots/o.0123abcd/root');
  mkdirSync(oroot, { recursive: true });
  symlinkSync('.roots/o.0123abcd/root', join(dir, '.vagga/o'));
  try {
    const r = await vagga(['_run', 'c', 'true'], project);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.specs[0].mounts.some((op) => op.kind === 'bind' && op.source === oroot && op.dest === '/other' && op.readOnly));
    // Without the root prepared, runInContainer fails instead of building.
    const { runInContainer } = await import('../../../src/runtime/run-in-container.js');
    await assert.rejects(runInContainer(project, {
      container: project.config.containers.c, rootfs: join(dir, '.vagga/.roots/c.0123abcd/root'), argv: ['true'], searchPath: '/usr/bin',
      env: {}, cwd: '/work', commandVolumes: {}, isolateNetwork: false,
    }, { planRunMounts, runSandbox: async () => ({ status: 0 }), idMappingFor: () => ({ uids: [], gids: [] }) }), /container "o" mounted by a volume was not prepared/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('!Persistent init-command: runs first; its failure stops the run and leaves no volume; success publishes it', async () => {
  const { dir, project } = builtProject();
  const vdir = join(dir, '.vagga/.volumes');
  try {
    const failed = await vagga(['use'], project, [5]);
    assert.equal(failed.status, 5);
    assert.equal(failed.specs.length, 1, 'only the init command ran');
    assert.ok(failed.specs[0].mounts.some((op) => op.kind === 'bind' && op.source === join(vdir, '.tmp.db') && op.dest === '/db'));
    assert.deepEqual(readdirSync(vdir).filter((n) => !n.endsWith('.lock')), []);
    const ok = await vagga(['use'], project);
    assert.equal(ok.status, 0);
    assert.equal(ok.specs.length, 2, 'init, then use');
    assert.ok(existsSync(join(vdir, 'db')));
    assert.ok(ok.specs[1].mounts.some((op) => op.kind === 'bind' && op.source === join(vdir, 'db') && op.dest === '/db'));
    const again = await vagga(['use'], project);
    assert.equal(again.specs.length, 1, 'no init once the volume exists');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
