import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerConfig, Settings, Volume } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { comparePaths, planRunMounts, type RunPlanInput } from '../../../src/mounts/run-plan.js';
import { vaggaBinOps, vaggaBinScript, type VaggaBinFiles } from '../../../src/mounts/volumes-vagga-bin.js';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../temp-dir.js';

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

test('resolv/hosts: custom path, null, or the path itself a volume', () => {
  const tmpfs: Volume = { kind: 'Tmpfs', size: 1, mode: 0o755, subdirs: {}, files: {} };
  const plan = planRunMounts(input(container({ '/etc': tmpfs }, { resolvConfPath: '/state/resolv.conf', hostsFilePath: null })));
  const binds = plan.filter((op) => op.kind === 'bind' && op.source.startsWith('/etc/'));
  assert.deepEqual(binds, [{ kind: 'bind', source: '/etc/resolv.conf', dest: '/state/resolv.conf', readOnly: true, optional: true }]);
  const own = planRunMounts(input(container({ '/etc/resolv.conf': { kind: 'BindRO', path: '/work/r' }, '/etc/hosts/': { kind: 'BindRO', path: '/work/h' } })));
  assert.equal(own.filter((op) => op.kind === 'bind' && op.source.startsWith('/etc/')).length, 0);
});

test('resolv/hosts inside a volume are still bound there, after it (Vagga: skipped only when the path is itself a volume; its resolv-conf test)', () => {
  const tmpfs: Volume = { kind: 'Tmpfs', size: 1, mode: 0o755, subdirs: {}, files: {} };
  const plan = planRunMounts(input(container({ '/state': tmpfs }, { resolvConfPath: '/state/resolv.conf', hostsFilePath: '/state/hosts' })));
  const at = (dest: string) => plan.findIndex((op) => op.dest === dest);
  assert.ok(at('/state') >= 0 && at('/state') < at('/state/resolv.conf') && at('/state/resolv.conf') < at('/state/hosts'));
  assert.deepEqual(plan.slice(at('/state/resolv.conf')), [
    { kind: 'bind', source: '/etc/resolv.conf', dest: '/state/resolv.conf', readOnly: true, optional: true },
    { kind: 'bind', source: '/etc/hosts', dest: '/state/hosts', readOnly: true, optional: true },
  ]);
  const inEtc = planRunMounts(input(container({ '/etc': tmpfs })));
  assert.equal(inEtc.filter((op) => op.kind === 'bind' && op.source.startsWith('/etc/')).length, 2);
});

/** A root with a data dir, symlinks that try to leave it, and a project next to it. */
function rootTree(): { rootfs: string; projectRoot: string } {
  const rootfs = tempDir('vagga-plan-root-');
  const projectRoot = tempDir('vagga-plan-work-');
  for (const d of ['tmp', 'run', 'work', 'srv/data', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  symlinkSync('/srv/data', join(rootfs, 'abs'));
  symlinkSync('../../../../../../etc', join(rootfs, 'srv/up'));
  symlinkSync('/work/shared', join(rootfs, 'toproject'));
  mkdirSync(join(projectRoot, 'shared'));
  return { rootfs, projectRoot };
}

test('!BindRW/!BindRO /vagga/root/PATH bind the container\'s own PATH, read-only like the root (Vagga\'s generic tests: !BindRW /vagga/root/tmp)', () => {
  const { rootfs, projectRoot } = rootTree();
  const base = { ...input(container()), rootfs, projectRoot };
  const plan = planRunMounts({ ...base, container: container({ '/mnt/a': { kind: 'BindRW', path: '/vagga/root/srv/data' }, '/mnt/b': { kind: 'BindRO', path: '/vagga/root/srv' }, '/mnt/w': { kind: 'BindRW', path: '/vagga/root/work/shared' } }) });
  assert.deepEqual(plan.filter((op) => op.dest.startsWith('/mnt/')), [
    { kind: 'bind', source: join(rootfs, 'srv/data'), dest: '/mnt/a', readOnly: true },
    { kind: 'bind', source: join(rootfs, 'srv'), dest: '/mnt/b', readOnly: true },
    { kind: 'bind', source: join(projectRoot, 'shared'), dest: '/mnt/w', readOnly: false },
  ]);
  // `_run -W`: the root is a writable copy, so is a !BindRW of its paths (a !BindRO stays read-only).
  const writable = planRunMounts({ ...base, writableRoot: true, container: container({ '/mnt/a': { kind: 'BindRW', path: '/vagga/root/srv/data' }, '/mnt/b': { kind: 'BindRO', path: '/vagga/root/srv' } }) });
  assert.deepEqual(writable[0], { kind: 'bind', source: rootfs, dest: '/', readOnly: false });
  assert.deepEqual(writable.filter((op) => op.dest.startsWith('/mnt/')).map((op) => (op as { readOnly: boolean }).readOnly), [false, true]);
});

test('/vagga/root sources: symlinks are followed inside the container, never to the host (a hostile vagga.yaml or image)', () => {
  const { rootfs, projectRoot } = rootTree();
  const base = { ...input(container()), rootfs, projectRoot };
  const src = (path: string) => (planRunMounts({ ...base, container: container({ '/mnt': { kind: 'BindRW', path } }) }).find((op) => op.dest === '/mnt') as { source: string }).source;
  assert.equal(src('/vagga/root/abs'), join(rootfs, 'srv/data'));
  assert.equal(src('/vagga/root/srv/up'), join(rootfs, 'etc'), 'a relative link climbing out stops at the container root');
  assert.equal(src('/vagga/root/toproject'), join(projectRoot, 'shared'), 'an absolute link to /work is the project, as in the container');
  assert.equal(src('/vagga/root'), rootfs);
  assert.throws(() => src('/vagga/root/nope/x'), (e: VaggaError) => e.code === 'sandbox.bad-mount' && /\/nope does not exist in the container/.test(e.message));
  // /tmp is a fresh tmpfs in the sandbox: bwrap cannot bind it from the host.
  assert.throws(() => src('/vagga/root/tmp'), /\/tmp is on a mount that exists only inside the container/);
  // A volume mounted before this one (path order) is what the container shows there, with its read-only flag.
  const plan = planRunMounts({ ...base, container: container({ '/a': { kind: 'BindRO', path: '/work/shared' }, '/b': { kind: 'BindRW', path: '/vagga/root/a' } }) });
  assert.deepEqual(plan.find((op) => op.dest === '/b'), { kind: 'bind', source: join(projectRoot, 'shared'), dest: '/b', readOnly: true });
  assert.throws(() => src('/vagga/rootx'), /must be in \/work, \/volumes\/<name> or \/vagga\/root/);
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
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'BindRO', path: '/etc' } }))), /must be in \/work, \/volumes\/<name> or \/vagga\/root/);
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'BindRO', path: '/volumes/nope/a' } }))), /no external volume "nope"/);
  assert.throws(() => planRunMounts(input(container({ '/x': { kind: 'Snapshot', size: 1 } }))), /!Snapshot \/x: needs a statically linked busybox/);
  assert.throws(() => planRunMounts(input(container({ '/work': { kind: 'Empty' } }))), /hiding \/work/);
});

const VBIN: VaggaBinFiles = {
  bundleDir: '/opt/vagga/dist', bundleEntries: ['vagga.mjs', 'chunks', 'vagga.cjs', 'vagga-main.cjs'],
  runtime: '/usr/bin/node',
  loader: { name: 'ld-linux-x86-64.so.2', source: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
  libs: [
    { name: 'libstdc++.so.6', source: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30' },
    { name: 'libc.so.6', source: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
  ],
};

test('Persistent, Container and VaggaBin when their inputs are known', () => {
  const plan = planRunMounts({
    ...input(container({ '/db': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0 }, '/other': { kind: 'Container', name: 'o' } })),
    volumesDir: '/p/.vagga/.volumes', containerRoots: { o: '/roots/o' },
  });
  assert.deepEqual(plan.filter((op) => ['/db', '/other'].includes(op.dest)), [
    { kind: 'bind', source: '/p/.vagga/.volumes/db', dest: '/db', readOnly: false, createSource: true },
    { kind: 'bind', source: '/roots/o', dest: '/other', readOnly: true },
  ]);
});

test('VaggaBin: a read-only tmpfs with the bundle, the runtime, its libraries and loader, and a /bin/sh script starting them', () => {
  const plan = planRunMounts({ ...input(container({ '/mnt/vbin': { kind: 'VaggaBin' } })), vaggaBin: VBIN });
  const D = '/mnt/vbin';
  const script = [
    '#!/bin/sh',
    "# vagga (!VaggaBin): the host's JavaScript runtime, started by the host's dynamic loader",
    "# with the host's libraries, so it needs nothing from this container but /bin/sh.",
    `exec '${D}/.runtime/lib/ld-linux-x86-64.so.2' --library-path '${D}/.runtime/lib' '${D}/.runtime/node' '${D}/vagga.cjs' "$@"`,
    '',
  ].join('\n');
  assert.deepEqual(plan.filter((op) => op.dest === D || op.dest.startsWith(`${D}/`)), [
    { kind: 'tmpfs', dest: D, size: 1024 * 1024, mode: 0o755 },
    { kind: 'bind', source: '/opt/vagga/dist/chunks', dest: `${D}/chunks`, readOnly: true },
    { kind: 'bind', source: '/opt/vagga/dist/vagga-main.cjs', dest: `${D}/vagga-main.cjs`, readOnly: true },
    { kind: 'bind', source: '/opt/vagga/dist/vagga.cjs', dest: `${D}/vagga.cjs`, readOnly: true },
    { kind: 'bind', source: '/opt/vagga/dist/vagga.mjs', dest: `${D}/vagga.mjs`, readOnly: true },
    { kind: 'dir', dest: `${D}/.runtime`, mode: 0o755 },
    { kind: 'dir', dest: `${D}/.runtime/lib`, mode: 0o755 },
    { kind: 'bind', source: '/usr/bin/node', dest: `${D}/.runtime/node`, readOnly: true },
    { kind: 'bind', source: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', dest: `${D}/.runtime/lib/ld-linux-x86-64.so.2`, readOnly: true },
    { kind: 'bind', source: '/usr/lib/x86_64-linux-gnu/libc.so.6', dest: `${D}/.runtime/lib/libc.so.6`, readOnly: true },
    { kind: 'bind', source: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', dest: `${D}/.runtime/lib/libstdc++.so.6`, readOnly: true },
    { kind: 'file', dest: `${D}/vagga`, content: script, mode: 0o755 },
    { kind: 'remount-ro', dest: D },
  ]);
});

test('VaggaBin: paths are quoted for sh; a static runtime starts without a loader; bundle entries cannot take `vagga` or `.runtime`', () => {
  const D = "/it's here";
  assert.equal(vaggaBinScript(D, VBIN).split('\n')[3],
    `exec '/it'\\''s here/.runtime/lib/ld-linux-x86-64.so.2' --library-path '/it'\\''s here/.runtime/lib' '/it'\\''s here/.runtime/node' '/it'\\''s here/vagga.cjs' "$@"`);
  const ops = vaggaBinOps('/v', { ...VBIN, bundleEntries: ['vagga', '.runtime', 'vagga.cjs'], loader: undefined, libs: [] });
  assert.deepEqual(ops.filter((op) => op.kind === 'bind').map((op) => op.dest), ['/v/vagga.cjs', '/v/.runtime/node']);
  const file = ops.find((op) => op.kind === 'file');
  assert.equal(file?.kind === 'file' && file.content.split('\n')[3], `exec '/v/.runtime/node' '/v/vagga.cjs' "$@"`);
});

test('VaggaBin refused: without its input (not supported yet), and naming what the host lacks', () => {
  const c = container({ '/vb': { kind: 'VaggaBin' } });
  assert.throws(() => planRunMounts(input(c)), (e: VaggaError) => e.code === 'sandbox.bad-mount' && e.message === 'mount !VaggaBin is not supported yet');
  assert.throws(() => planRunMounts({ ...input(c), vaggaBin: { missing: "the host's `ldd` (Debian package libc-bin)" } }),
    (e: VaggaError) => e.code === 'sandbox.bad-mount' && e.message === "mount !VaggaBin is not supported here: the host's `ldd` (Debian package libc-bin)");
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
