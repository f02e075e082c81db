/** Host view of a mount plan and the mount point check (src/mounts/host-view.ts, mount-points.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locate, probePath } from '../../../src/mounts/host-view.js';
import { missingMountPoints } from '../../../src/mounts/mount-points.js';
import type { MountPlan } from '../../../src/mounts/types.js';
import { tempDir } from '../temp-dir.js';

function tree(): { root: string; project: string } {
  const root = tempDir('vagga-view-root-');
  const project = tempDir('vagga-view-work-');
  for (const d of ['proc', 'dev', 'work', 'tmp', 'run', 'etc', 'mnt/ok', 'usr/lib']) mkdirSync(join(root, d), { recursive: true });
  symlinkSync('/usr/lib', join(root, 'lib')); // absolute link: resolved inside the root
  writeFileSync(join(root, 'etc/resolv.conf'), '');
  writeFileSync(join(project, 'script'), '', { mode: 0o755 });
  return { root, project };
}

function plan(root: string, project: string, extra: MountPlan = []): MountPlan {
  return [
    { kind: 'bind', source: root, dest: '/', readOnly: true },
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    { kind: 'bind', source: project, dest: '/work', readOnly: false },
    { kind: 'tmpfs', dest: '/tmp', mode: 0o1777 },
    ...extra,
  ];
}

test('locate: the last mount at or above a path wins; sandbox-only mounts are virtual', () => {
  const { root, project } = tree();
  const p = plan(root, project);
  assert.deepEqual(locate(p, '/etc/x'), { kind: 'host', host: join(root, 'etc/x'), readOnly: true, op: p[0] });
  assert.equal((locate(p, '/work/a/b') as { host: string }).host, join(project, 'a/b'));
  assert.equal(locate(p, '/tmp/x')?.kind, 'virtual');
  assert.equal(locate(p, '/workshop')?.kind, 'host', '/workshop is not inside /work');
  assert.equal((locate(p, '/workshop') as { host: string }).host, join(root, 'workshop'));
});

test('probePath follows symlinks inside the view and crosses mounts', () => {
  const { root, project } = tree();
  const p = plan(root, project);
  assert.equal(probePath(p, '/lib').kind, 'dir');
  assert.equal(probePath(p, '/work/script').kind, 'file');
  assert.deepEqual(probePath(p, '/work/nope/x'), { kind: 'missing', at: '/work/nope' });
  assert.deepEqual(probePath(p, '/tmp/x'), { kind: 'unknown', at: '/tmp', reason: 'virtual' });
});

test('missing mount points on the read-only root are reported; writable parents are fine', () => {
  const { root, project } = tree();
  const ok = plan(root, project, [
    { kind: 'tmpfs', dest: '/mnt/ok' },
    { kind: 'dir', dest: '/mnt/ok/sub' }, // inside a tmpfs: bwrap creates it
    { kind: 'bind', source: project, dest: '/work/new-dir', readOnly: false }, // parent is the writable /work
    { kind: 'bind', source: '/etc/resolv.conf', dest: '/etc/resolv.conf', readOnly: true, optional: true },
    { kind: 'bind', source: '/nonexistent-host-file', dest: '/etc/missing.conf', readOnly: true, optional: true }, // skipped by bwrap
  ]);
  assert.deepEqual(missingMountPoints(ok), []);
  const bad = plan(root, project, [
    { kind: 'tmpfs', dest: '/mnt/missing' },
    { kind: 'bind', source: project, dest: '/srv/data/x', readOnly: true },
  ]);
  assert.deepEqual(missingMountPoints(bad).map((m) => [m.op.dest, m.missing]), [['/mnt/missing', '/mnt/missing'], ['/srv/data/x', '/srv']]);
});

test('a data container root without /proc and /dev fails the check', () => {
  const root = tempDir('vagga-view-data-');
  mkdirSync(join(root, 'etc'));
  const project = tempDir('vagga-view-work-');
  assert.deepEqual(missingMountPoints(plan(root, project)).map((m) => m.op.dest), ['/proc', '/dev', '/work', '/tmp']);
});
