import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerConfig, Settings, Volume } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { comparePaths, planRunMounts, type RunPlanInput } from '../../../src/mounts/run-plan.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: { data: '/srv/data' } };

function container(volumes: Record<string, Volume> = {}, over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name: 'c', setup: [], environ: {}, volumes, uids: [], gids: [], autoClean: false, dataDirs: [],
    resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos: undefined as never, ...over,
  };
}

function input(c: ContainerConfig, commandVolumes: Record<string, Volume> = {}): RunPlanInput {
  return { container: c, rootfs: '/p/.vagga/.roots/c.1/root', projectRoot: '/p', commandVolumes, settings, cacheDir: '/cache' };
}

const MiB100 = 100 * 1024 * 1024;

test('defaults: ro root, proc, dev, /work, /tmp 1777, /run 0755 with shm 1777, resolv.conf and hosts', () => {
  assert.deepEqual(planRunMounts(input(container())), [
    { kind: 'bind', source: '/p/.vagga/.roots/c.1/root', dest: '/', readOnly: true },
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    { kind: 'bind', source: '/p', dest: '/work', readOnly: false },
    { kind: 'tmpfs', dest: '/tmp', size: MiB100, mode: 0o1777 },
    { kind: 'tmpfs', dest: '/run', size: MiB100, mode: 0o755 },
    { kind: 'dir', dest: '/run/shm', mode: 0o1777 },
    { kind: 'bind', source: '/etc/resolv.conf', dest: '/etc/resolv.conf', readOnly: true, optional: true },
    { kind: 'bind', source: '/etc/hosts', dest: '/etc/hosts', readOnly: true, optional: true },
  ]);
});

test('volumes in path order; command volumes override; /tmp volume replaces the default', () => {
  const plan = planRunMounts(
    input(
      container({
        '/var/lib/x': { kind: 'BindRO', path: '/work/x' },
        '/tmp': { kind: 'Tmpfs', size: 1024, mode: 0o700, subdirs: { b: { mode: 0o755 }, a: { mode: 0o700 } }, files: { 'f.txt': 'hi', empty: null } },
        '/var/cache': { kind: 'Empty' },
      }),
      { '/var/lib/x': { kind: 'BindRW', path: '/volumes/data/sub' } },
    ),
  );
  assert.deepEqual(plan.slice(4), [
    { kind: 'tmpfs', dest: '/run', size: MiB100, mode: 0o755 },
    { kind: 'dir', dest: '/run/shm', mode: 0o1777 },
    { kind: 'tmpfs', dest: '/tmp', size: 1024, mode: 0o700 },
    { kind: 'dir', dest: '/tmp/a', mode: 0o700 },
    { kind: 'dir', dest: '/tmp/b', mode: 0o755 },
    { kind: 'file', dest: '/tmp/empty', content: '', mode: 0o644 },
    { kind: 'file', dest: '/tmp/f.txt', content: 'hi', mode: 0o644 },
    { kind: 'tmpfs', dest: '/var/cache', size: 1, mode: 0o755 },
    { kind: 'remount-ro', dest: '/var/cache' },
    { kind: 'bind', source: '/srv/data/sub', dest: '/var/lib/x', readOnly: false },
    { kind: 'bind', source: '/etc/resolv.conf', dest: '/etc/resolv.conf', readOnly: true, optional: true },
    { kind: 'bind', source: '/etc/hosts', dest: '/etc/hosts', readOnly: true, optional: true },
  ]);
});

test('resolv/hosts: custom path, null, or covered by a volume', () => {
  const plan = planRunMounts(input(container({ '/etc': { kind: 'Tmpfs', size: 1, mode: 0o755, subdirs: {}, files: {} } }, { resolvConfPath: '/state/resolv.conf', hostsFilePath: null })));
  const binds = plan.filter((op) => op.kind === 'bind' && op.source.startsWith('/etc/'));
  assert.deepEqual(binds, [{ kind: 'bind', source: '/etc/resolv.conf', dest: '/state/resolv.conf', readOnly: true, optional: true }]);
  const covered = planRunMounts(input(container({ '/etc': { kind: 'Tmpfs', size: 1, mode: 0o755, subdirs: {}, files: {} } })));
  assert.equal(covered.filter((op) => op.kind === 'bind' && op.source.startsWith('/etc/')).length, 0);
});

test('CacheDir: bind of cacheDir/name with the source created; errors exit 124 with Vagga strings', () => {
  const plan = planRunMounts(input(container({ '/var/cache/pip': { kind: 'CacheDir', name: 'pip' } })));
  assert.deepEqual(plan.find((op) => op.dest === '/var/cache/pip'), { kind: 'bind', source: '/cache/pip', dest: '/var/cache/pip', readOnly: false, createSource: true });
  const err = (name: string, msg: string) =>
    assert.throws(() => planRunMounts(input(container({ '/c': { kind: 'CacheDir', name } }))), (e: unknown) => {
      assert.ok(e instanceof VaggaError);
      assert.equal(e.exitCode, 124);
      assert.equal(e.message, msg);
      return true;
    });
  err('', 'mount !CacheDir: path must not be empty');
  err('/cache', 'mount !CacheDir "/cache": path must not be absolute');
});

test('bind sources outside /work and /volumes, unknown external volumes and Snapshot are refused', () => {
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'BindRO', path: '/etc' } }))), /must be in \/work or \/volumes/);
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'BindRO', path: '/volumes/nope/a' } }))), /no external volume "nope"/);
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'Snapshot', size: 1 } }))), /!Snapshot \/x: needs a statically linked busybox/);
  assert.throws(() => planRunMounts(input(container({ '/work': { kind: 'Empty' } }))), /hiding \/work/);
});

test('Persistent, Container and VaggaBin when their inputs are known', () => {
  const plan = planRunMounts({
    ...input(container({ '/db': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0 }, '/other': { kind: 'Container', name: 'o' }, '/vbin': { kind: 'VaggaBin' } })),
    volumesDir: '/p/.vagga/.volumes', containerRoots: { o: '/roots/o' }, bundleDir: '/opt/vagga',
  });
  assert.deepEqual(plan.filter((op) => ['/db', '/other', '/vbin'].includes(op.dest)), [
    { kind: 'bind', source: '/p/.vagga/.volumes/db', dest: '/db', readOnly: false, createSource: true },
    { kind: 'bind', source: '/roots/o', dest: '/other', readOnly: true },
    { kind: 'bind', source: '/opt/vagga', dest: '/vbin', readOnly: true },
  ]);
});

test('comparePaths orders by components so parents come first', () => {
  assert.deepEqual(['/a-b', '/a/b', '/a', '/b'].sort(comparePaths), ['/a', '/a/b', '/a-b', '/b']);
});

test('a volume that cannot be mounted names where it is declared: file:line:col and the key (QA: run-time errors without a location)', () => {
  const pos = { file: '/p/vagga.yaml', line: 7, col: 9 };
  const c = container({ '/mnt': { kind: 'BindRO', path: '/volumes/home' } }, { volumePositions: { '/mnt': pos } });
  assert.throws(() => planRunMounts(input(c)), (e: VaggaError) =>
    e.code === 'sandbox.bad-mount' && e.message.startsWith('/p/vagga.yaml:7:9: mount "/volumes/home": there is no external volume "home"')
    && (e.hint ?? '').includes('.containers.c.volumes./mnt'));
});
