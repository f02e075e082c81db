/**
 * The capsule of a !CapsuleCommand (src/runtime/capsule.ts, capsule-cwd.ts) and the in-place
 * id mapping of the vagga inside it (src/sandbox/idmap.ts): pure planning.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capsuleCacheDir, capsuleSettings, capsuleSpec, type CapsuleInput } from '../../../src/runtime/capsule.js';
import { capsuleHostCwd } from '../../../src/runtime/capsule-cwd.js';
import { idMappingFor, maxIdMapping, throughParentMap, type IdHost } from '../../../src/sandbox/idmap.js';
import type { Settings } from '../../../src/config/model.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

function input(over: Partial<CapsuleInput> = {}): CapsuleInput {
  return {
    projectRoot: '/home/u/proj',
    cacheDir: '/home/u/.cache/vagga',
    externalVolumes: {},
    bundleDir: '/opt/vagga/dist',
    bundleFile: 'vagga.cjs',
    runtimePath: '/usr/bin/node',
    argv: ['vagga'],
    env: { FOO: 'bar' },
    cwd: '/work/sub',
    settingsJson: '{}',
    idMapping: { uids: [{ inside: 0, outside: 1000, count: 1 }], gids: [{ inside: 0, outside: 1000, count: 1 }] },
    ...over,
  };
}

test('capsule: host /usr, /work and the project at its own path, the bundle and vagga, the cache; root with all capabilities', () => {
  const spec = capsuleSpec(input({ storageBase: '/srv/storage/proj-1', externalVolumes: { data: '/srv/data', bad: '/etc' } }));
  const binds = spec.mounts.filter((m) => m.kind === 'bind').map((m) => `${m.source}->${m.dest}${m.readOnly ? ' ro' : ''}`);
  assert.deepEqual(binds, [
    '/usr->/usr ro', '/sys->/sys ro', '/etc/hosts->/etc/hosts ro', '/etc/resolv.conf->/etc/resolv.conf ro',
    '/home/u/proj->/work', '/opt/vagga/dist->/vagga/bundle ro',
    '/home/u/proj->/home/u/proj', '/home/u/.cache/vagga->/home/u/.cache/vagga', '/srv/storage/proj-1->/srv/storage/proj-1', '/srv/data->/srv/data',
  ]);
  assert.ok(spec.mounts.some((m) => m.kind === 'symlink' && m.dest === '/vagga/bin/vagga' && m.target === '/vagga/bundle/vagga.cjs'));
  assert.equal(spec.allCaps, true);
  assert.equal(spec.cwd, '/work/sub');
  assert.equal(spec.env.FOO, 'bar');
  assert.equal(spec.env._VAGGA_IN_CAPSULE, '1');
  assert.equal(spec.env._VAGGA_CAPSULE_PROJECT, '/home/u/proj');
  assert.equal(spec.env.HOME, '/tmp');
  assert.ok(spec.env.PATH!.startsWith('/vagga/bin:'));
});

test('capsule: a runtime outside /usr is bound and on PATH; a host path over the view\'s own is not bound', () => {
  const spec = capsuleSpec(input({ runtimePath: '/opt/node/bin/node', cacheDir: '/usr/cache', projectRoot: '/tmp/p' }));
  const dests = spec.mounts.filter((m) => m.kind === 'bind').map((m) => m.dest);
  assert.ok(dests.includes('/opt/node/bin'));
  assert.ok(!dests.includes('/usr/cache'), 'a cache under /usr is not bound over the host /usr');
  assert.ok(dests.includes('/tmp/p'), 'under /tmp: bound on the capsule\'s tmpfs');
  assert.ok(spec.env.PATH!.endsWith(':/opt/node/bin'));
});

test('capsule settings: host paths kept, unset keys left out (JSON is YAML)', () => {
  const json = JSON.parse(capsuleSettings({ ...settings, storageDir: '/srv/s', debianMirror: '<debian-mirror setting>' }, '/c'));
  assert.equal(json['cache-dir'], '/c');
  assert.equal(json['storage-dir'], '/srv/s');
  assert.equal(json['debian-mirror'], '<debian-mirror setting>');
  assert.equal('ubuntu-mirror' in json, false);
});

test('capsule cwd: /work and below move to the host path, only inside a capsule', () => {
  const env = { _VAGGA_IN_CAPSULE: '1', _VAGGA_CAPSULE_PROJECT: '/home/u/proj' };
  assert.equal(capsuleHostCwd('/work', env), '/home/u/proj');
  assert.equal(capsuleHostCwd('/work/a/b', env), '/home/u/proj/a/b');
  assert.equal(capsuleHostCwd('/workshop', env), undefined);
  assert.equal(capsuleHostCwd('/work', { _VAGGA_CAPSULE_PROJECT: '/home/u/proj' }), undefined);
  assert.equal(capsuleHostCwd('/work', { ...env, _VAGGA_CAPSULE_PROJECT: 'rel' }), undefined);
});

test('through the parent map: ids of the capsule become host ids, split where the map splits', () => {
  const proc = '         0       1000          1\n         1     100000      65535\n';
  assert.deepEqual(throughParentMap([{ inside: 0, outside: 0, count: 1 }, { inside: 1, outside: 1, count: 100 }], proc), [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 100 },
  ]);
  assert.deepEqual(throughParentMap([{ inside: 0, outside: 0, count: 3 }], proc), [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 2 },
  ]);
});

test('in a capsule, root without subid files maps in place, in host ids; outside a capsule it does not', () => {
  const proc = '         0       1000          1\n         1     100000      65535\n';
  const capsule: IdHost = { inCapsule: true, uid: 0, gid: 0, userName: '0', subuid: null, subgid: null, procUidMap: proc, procGidMap: proc, warn: () => {} };
  const m = idMappingFor([{ start: 0, end: 65535 }], [{ start: 0, end: 65535 }], capsule);
  assert.equal(m.inPlace, true);
  assert.deepEqual(m.uids, [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 100000, count: 65535 }]);
  assert.equal(maxIdMapping(capsule).inPlace, true);
  const plainRoot = idMappingFor([{ start: 0, end: 65535 }], [{ start: 0, end: 65535 }], { ...capsule, inCapsule: false });
  assert.equal(plainRoot.inPlace, undefined);
  assert.throws(() => idMappingFor([{ start: 0, end: 70000 }], [{ start: 0, end: 65535 }], capsule), /too small|allowed/i);
});

test('capsule cache: one per project, under the user cache dir, never the user cache dir itself', () => {
  const a = capsuleCacheDir('/home/u/.cache/vagga', '/home/u/a');
  assert.match(a, /^\/home\/u\/\.cache\/vagga\/capsules\/[0-9a-f]{16}$/);
  assert.notEqual(a, capsuleCacheDir('/home/u/.cache/vagga', '/home/u/b'));
  assert.equal(a, capsuleCacheDir('/home/u/.cache/vagga', '/home/u/a'));
});
