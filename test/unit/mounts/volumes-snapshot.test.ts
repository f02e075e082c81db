import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ContainerConfig, Settings, Volume } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { planRunMounts, planSnapshotCopies, runVolumes, type RunPlanInput } from '../../../src/mounts/run-plan.js';
import {
  insideId, isStaticElf, shellQuote, snapshotArgv, snapshotPrelude, SNAPSHOT_SHELL, SNAPSHOT_STAGE, type HostStat,
} from '../../../src/mounts/volumes-snapshot.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

function container(volumes: Record<string, Volume>): ContainerConfig {
  return {
    name: 'c', setup: [], environ: {}, volumes, uids: [], gids: [], autoClean: false, dataDirs: [],
    resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [], pos: undefined as never,
  };
}

// Host view: rootfs /r (own container), /o (other container); subuid base 100000 for inside 1+.
const files: Record<string, HostStat> = {
  '/r/etc': { uid: 1001, gid: 1001, mode: 0o755, isDirectory: true },
  '/r/home/h': { uid: 100999, gid: 100999, mode: 0o700, isDirectory: true },
  '/o/data': { uid: 100004, gid: 100004, mode: 0o750, isDirectory: true },
  '/r/data': { uid: 100049, gid: 1001, mode: 0o711, isDirectory: true },
  '/r/file': { uid: 1001, gid: 1001, mode: 0o644, isDirectory: false },
};
const idMapping = {
  uids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
  gids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
};

function input(volumes: Record<string, Volume>, commandVolumes: Record<string, Volume> = {}): RunPlanInput {
  return {
    container: container(volumes), rootfs: '/r', projectRoot: '/p', commandVolumes, settings, cacheDir: '/cache',
    snapshotShell: '/usr/bin/busybox', containerRoots: { other: '/o' }, idMapping, stat: (p) => files[p],
  };
}

test('insideId translates host ids through the map; unmapped ids show as 65534', () => {
  assert.equal(insideId(1001, idMapping.uids), 0);
  assert.equal(insideId(100000, idMapping.uids), 1);
  assert.equal(insideId(100999, idMapping.uids), 1000);
  assert.equal(insideId(5, idMapping.uids), 65534);
});

test('Snapshot: tmpfs with the mount point mode, staged read-only source, busybox bound once', () => {
  const vols: Record<string, Volume> = {
    '/home/h': { kind: 'Snapshot', size: 4096 },
    '/etc': { kind: 'Snapshot', size: 1024, ownerUid: 7 },
  };
  const plan = planRunMounts(input(vols));
  const snapOps = plan.filter((op) => op.dest.startsWith(SNAPSHOT_STAGE) || op.dest === '/etc' || op.dest === '/home/h' || op.dest === SNAPSHOT_SHELL);
  assert.deepEqual(snapOps, [
    { kind: 'bind', source: '/r/etc', dest: `${SNAPSHOT_STAGE}/0`, readOnly: true },
    { kind: 'tmpfs', dest: '/etc', size: 1024, mode: 0o755 },
    { kind: 'bind', source: '/r/home/h', dest: `${SNAPSHOT_STAGE}/1`, readOnly: true },
    { kind: 'tmpfs', dest: '/home/h', size: 4096, mode: 0o700 },
    { kind: 'bind', source: '/usr/bin/busybox', dest: SNAPSHOT_SHELL, readOnly: true },
  ]);
  // /etc is a volume: the host resolv.conf/hosts are not bound over it.
  assert.equal(plan.some((op) => op.kind === 'bind' && op.source === '/etc/hosts'), false);
  assert.deepEqual(planSnapshotCopies(input(vols)), [
    { dest: '/etc', stage: `${SNAPSHOT_STAGE}/0`, uid: 0, gid: 0, mode: 0o755, ownerUid: 7, size: 1024 },
    { dest: '/home/h', stage: `${SNAPSHOT_STAGE}/1`, uid: 1000, gid: 1000, mode: 0o700, size: 4096 },
  ]);
});

test('Snapshot of another container: source from its root, owner and mode from our mount point', () => {
  const plan = planRunMounts(input({ '/data': { kind: 'Snapshot', size: 10, container: 'other', ownerGid: 3 } }));
  assert.deepEqual(plan.find((op) => op.dest === `${SNAPSHOT_STAGE}/0`), { kind: 'bind', source: '/o/data', dest: `${SNAPSHOT_STAGE}/0`, readOnly: true });
  assert.deepEqual(planSnapshotCopies(input({ '/data': { kind: 'Snapshot', size: 10, container: 'other', ownerGid: 3 } })), [
    { dest: '/data', stage: `${SNAPSHOT_STAGE}/0`, uid: 50, gid: 0, mode: 0o711, ownerGid: 3, size: 10 },
  ]);
});

test('Snapshot errors: missing source, a file, an unbuilt container; command volumes override', () => {
  const err = (vols: Record<string, Volume>, re: RegExp) =>
    assert.throws(() => planRunMounts(input(vols)), (e: unknown) => e instanceof VaggaError && e.exitCode === 124 && re.test(e.message));
  err({ '/nope': { kind: 'Snapshot', size: 1 } }, /^mount !Snapshot \/nope: \/nope is not a directory in the container/);
  err({ '/file': { kind: 'Snapshot', size: 1 } }, /\/file is not a directory/);
  err({ '/data': { kind: 'Snapshot', size: 1, container: 'ghost' } }, /container "ghost" is not built/);
  // A command BindRW at the same path replaces the container's Snapshot: no staging, no busybox.
  const over = planRunMounts({ ...input({ '/etc': { kind: 'Snapshot', size: 1 } }, { '/etc': { kind: 'BindRW', path: '/work/etc' } }), snapshotShell: undefined });
  assert.equal(over.some((op) => op.dest.startsWith('/dev/')), false);
  assert.deepEqual(over.find((op) => op.dest === '/etc'), { kind: 'bind', source: '/p/etc', dest: '/etc', readOnly: false });
  assert.deepEqual(runVolumes(container({ '/a/': { kind: 'Empty' } }), { '/a': { kind: 'VaggaBin' } }), [['/a', { kind: 'VaggaBin' }]]);
});

test('Persistent: source override while initializing', () => {
  const plan = planRunMounts({
    ...input({ '/db': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0 } }),
    volumesDir: '/p/.vagga/.volumes', persistentSources: { db: '/p/.vagga/.volumes/.tmp.db' },
  });
  assert.deepEqual(plan.find((op) => op.dest === '/db'), { kind: 'bind', source: '/p/.vagga/.volumes/.tmp.db', dest: '/db', readOnly: false, createSource: true });
});

test('prelude: copy, owner override, root owner/mode, unstaging, environment restored, exec', () => {
  const script = snapshotPrelude([
    { dest: '/etc', stage: `${SNAPSHOT_STAGE}/0`, uid: 0, gid: 0, mode: 0o755, ownerUid: 7 },
    { dest: "/it's", stage: `${SNAPSHOT_STAGE}/1`, uid: 1000, gid: 1000, mode: 0o1700 },
  ], { PATH: '/bin', TERM: 'x' });
  const lines = script.split('\n');
  assert.ok(lines.some((l) => l.startsWith(`E=$($B cp -a '${SNAPSHOT_STAGE}/0/.' '/etc' 2>&1 >/dev/null) || {`) && l.includes("echo 'vagga: could not fill the !Snapshot volume at /etc' >&2")));
  assert.ok(lines.some((l) => l.startsWith("$B chown -R -h 7 '/etc' ||")));
  assert.ok(lines.some((l) => l.startsWith(`$B chown 1000:1000 ${shellQuote("/it's")} && $B chmod 1700 ${shellQuote("/it's")} ||`)));
  assert.ok(lines.includes("export PATH='/bin'"));
  assert.ok(lines.includes('unset SHLVL') && !/\bPWD\b/.test(script));
  assert.equal(lines.at(-1), 'exec "$@"');
  assert.deepEqual(snapshotArgv(['/bin/echo', 'a b'], [], {}).slice(0, 3), [SNAPSHOT_SHELL, 'sh', '-c']);
  assert.equal(lines[0], `B='${SNAPSHOT_SHELL}'`);
  assert.deepEqual(snapshotArgv(['/bin/echo', 'a b'], [], {}).slice(4), ['vagga-snapshot', '/bin/echo', 'a b']);
});

test('prelude runs under a real shell: copies, restores the environment, execs with the arguments', { skip: !isStaticElf('/usr/bin/busybox') && 'no static busybox' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-snap-'));
  try {
    execFileSync('mkdir', ['-p', join(dir, 'src/sub'), join(dir, 'dst')]);
    writeFileSync(join(dir, 'src/sub/f'), 'hello');
    const copy = { dest: join(dir, 'dst'), stage: join(dir, 'src'), uid: process.getuid!(), gid: process.getgid!(), mode: 0o700 };
    const argv = snapshotArgv(['/usr/bin/env'], [copy], { A: '1' }, '/usr/bin/busybox');
    const out = execFileSync('/usr/bin/busybox', argv.slice(1), { cwd: dir, env: { A: '1' }, encoding: 'utf8' });
    // No SHLVL or PATH added; PWD is the cwd (as bwrap sets it anyway).
    assert.deepEqual(out.trim().split('\n').sort(), ['A=1', `PWD=${dir}`]);
    assert.equal(execFileSync('cat', [join(dir, 'dst/sub/f')], { encoding: 'utf8' }), 'hello');
    assert.equal(execFileSync('stat', ['-c', '%a', join(dir, 'dst')], { encoding: 'utf8' }).trim(), '700');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('isStaticElf: static busybox yes, dynamic node no, text no', () => {
  assert.equal(isStaticElf(process.execPath), false);
  const dir = mkdtempSync(join(tmpdir(), 'vagga-elf-'));
  try {
    writeFileSync(join(dir, 'x'), '#!/bin/sh\n');
    assert.equal(isStaticElf(join(dir, 'x')), false);
    assert.equal(isStaticElf(join(dir, 'missing')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
