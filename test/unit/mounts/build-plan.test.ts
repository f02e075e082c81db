import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILDER_PATHS, planBuilderMounts, planStepMounts } from '../../../src/mounts/build-plan.js';

test('builder plan: host system ro, fixed /vagga paths, runtime dir outside /usr', () => {
  const plan = planBuilderMounts({
    rootfs: '/p/.vagga/.roots/.tmp.c/root', projectRoot: '/p', cacheDir: '/home/u/.cache/vagga',
    containerRoots: { z: '/roots/z', a: '/roots/a' }, bundleDir: '/opt/vagga/dist', runtimePath: '/opt/node/bin/node',
  });
  assert.deepEqual(plan, [
    { kind: 'bind', source: '/usr', dest: '/usr', readOnly: true },
    { kind: 'symlink', target: 'usr/bin', dest: '/bin' },
    { kind: 'symlink', target: 'usr/lib', dest: '/lib' },
    { kind: 'symlink', target: 'usr/lib64', dest: '/lib64' },
    { kind: 'symlink', target: 'usr/sbin', dest: '/sbin' },
    { kind: 'bind', source: '/etc', dest: '/etc', readOnly: true },
    { kind: 'dev', dest: '/dev' },
    { kind: 'proc', dest: '/proc' },
    { kind: 'bind', source: '/sys', dest: '/sys', readOnly: true },
    { kind: 'tmpfs', dest: '/tmp', mode: 0o1777 },
    { kind: 'bind', source: '/p/.vagga/.roots/.tmp.c/root', dest: BUILDER_PATHS.root, readOnly: false },
    { kind: 'bind', source: '/p', dest: '/work', readOnly: false },
    { kind: 'bind', source: '/home/u/.cache/vagga', dest: '/vagga/cache', readOnly: false },
    // Entries filled on the host that every other build trusts: read-only over the rw cache.
    ...['alpine', 'debian', 'downloads', 'git', 'oci', 'ubuntu'].map((e) => ({ kind: 'bind', source: `/home/u/.cache/vagga/${e}`, dest: `/vagga/cache/${e}`, readOnly: true })),
    { kind: 'bind', source: '/roots/a', dest: '/vagga/containers/a', readOnly: true },
    { kind: 'bind', source: '/roots/z', dest: '/vagga/containers/z', readOnly: true },
    { kind: 'bind', source: '/opt/vagga/dist', dest: '/vagga/bin', readOnly: true },
    { kind: 'bind', source: '/opt/node/bin', dest: '/opt/node/bin', readOnly: true },
  ]);
  const usrNode = planBuilderMounts({ rootfs: '/r', projectRoot: '/p', cacheDir: '/c', containerRoots: {}, bundleDir: '/b', runtimePath: '/usr/bin/node' });
  assert.equal(usrNode.at(-1)?.dest, '/vagga/bin');
});

test('step plan: writable root, /sys read-only (Vagga\'s builder has /sys), /work, /run tmpfs, no /tmp mount, caches in path order, nothing over resolv.conf/hosts (a step may replace them; issue 14)', () => {
  const plan = planStepMounts({ root: '/vagga/root', work: '/work', cacheBinds: { '/var/lib/apt/lists': '/vagga/cache/apt-lists', '/var/cache/apt': '/vagga/cache/apt' } });
  assert.deepEqual(plan, [
    { kind: 'bind', source: '/vagga/root', dest: '/', readOnly: false },
    { kind: 'dev', dest: '/dev' },
    { kind: 'proc', dest: '/proc' },
    { kind: 'bind', source: '/sys', dest: '/sys', readOnly: true },
    { kind: 'bind', source: '/work', dest: '/work', readOnly: false },
    { kind: 'tmpfs', dest: '/run', mode: 0o755 },
    { kind: 'bind', source: '/vagga/cache/apt', dest: '/var/cache/apt', readOnly: false, createSource: true },
    { kind: 'bind', source: '/vagga/cache/apt-lists', dest: '/var/lib/apt/lists', readOnly: false, createSource: true },
  ]);
  assert.ok(!plan.some((op) => op.dest === '/tmp'));
});
