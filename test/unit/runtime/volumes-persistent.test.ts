import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Volume } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { planRuns } from '../../../src/user-commands/run.js';
import {
  checkVolumeName, initVolumeNames, missingVolumeInits, persistentVolumes, preparePersistentVolumes, volumesDirFor, type PersistentDeps,
} from '../../../src/runtime/volumes/persistent.js';
import { volumeContainerNames } from '../../../src/runtime/volumes/containers.js';
import { command, container, fakeProject } from '../cli/fake-project.js';

type P = Extract<Volume, { kind: 'Persistent' }>;
const mapping = { uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }] };

function fakeDeps() {
  const log: string[] = [];
  const deps: PersistentDeps = {
    chown: async (p, u, g) => { log.push(`chown ${u}:${g} ${p}`); },
    lock: async (p) => { log.push(`lock ${p}`); return { release: async () => { log.push(`release ${p}`); } }; },
    remove: async (p) => { log.push(`remove ${p}`); rmSync(p, { recursive: true, force: true }); },
  };
  return { deps, log };
}

function project() {
  const p = fakeProject({
    _init: command({ name: '_init', run: ['true'] }),
    use: command({ name: 'use', run: ['true'], volumes: { '/db': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0, initCommand: '_init' } } }),
    plain: command({ name: 'plain', run: ['true'], prerequisites: ['use'] }),
  });
  p.config.containers.c.volumes = { '/data': { kind: 'Persistent', name: 'data', ownerUid: 0, ownerGid: 0, initCommand: '_init' } };
  return p;
}

test('volumesDirFor: <storage base>/.volumes; names must be plain', () => {
  assert.equal(volumesDirFor('/p', fakeProject({}).settings), '/p/.vagga/.volumes');
  for (const bad of ['', 'a/b', '.tmp.x', '..']) assert.throws(() => checkVolumeName(bad), (e: unknown) => e instanceof VaggaError && e.exitCode === 124);
  checkVolumeName('db-1');
});

test('missingVolumeInits: init commands of missing volumes, own and container ones', () => {
  const p = project();
  assert.deepEqual(missingVolumeInits(p.config, 'use', '/v', () => false), ['_init', '_init']);
  assert.deepEqual(missingVolumeInits(p.config, 'use', '/v', (path) => path === '/v/db'), ['_init']);
  assert.deepEqual(missingVolumeInits(p.config, 'use', '/v', () => true), []);
  assert.deepEqual(missingVolumeInits(p.config, 'nope', '/v', () => false), []);
});

test('planRuns adds the init command of a missing volume before its first user (not with --no-prerequisites)', () => {
  const p = project();
  p.config.projectRoot = mkdtempSync(join(tmpdir(), 'vagga-pv-'));
  try {
    const names = (r: ReturnType<typeof planRuns>) => (Array.isArray(r) ? r.map((x) => x.command.name) : r);
    assert.deepEqual(names(planRuns(p, ['plain'], [], false)), ['_init', 'use', 'plain']);
    assert.deepEqual(names(planRuns(p, ['use'], [], true)), ['use']);
    mkdirSync(join(p.config.projectRoot, '.vagga/.volumes/db'), { recursive: true });
    mkdirSync(join(p.config.projectRoot, '.vagga/.volumes/data'), { recursive: true });
    assert.deepEqual(names(planRuns(p, ['plain'], [], false)), ['use', 'plain']);
  } finally {
    rmSync(p.config.projectRoot, { recursive: true, force: true });
  }
});

test('a missing volume without init is created, chowned only for a non-root owner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-pv-'));
  try {
    const { deps, log } = fakeDeps();
    const vols: P[] = [{ kind: 'Persistent', name: 'a', ownerUid: 0, ownerGid: 0 }, { kind: 'Persistent', name: 'b', ownerUid: 5, ownerGid: 6 }];
    const run = await preparePersistentVolumes(join(dir, 'v'), vols, 'cmd', mapping, deps);
    assert.deepEqual(run.sources, {});
    assert.deepEqual(readdirSync(join(dir, 'v')).sort(), ['a', 'b']);
    assert.deepEqual(log, [`chown 5:6 ${join(dir, 'v/b')}`]);
    await run.finish(0);
    assert.deepEqual(log.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init command: .tmp.<name> mounted under the lock, renamed on success', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-pv-'));
  try {
    const { deps, log } = fakeDeps();
    const v = join(dir, 'v');
    const vols: P[] = [{ kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0, initCommand: 'init' }];
    // Another command using it (not the init command): plain creation.
    const other = await preparePersistentVolumes(v, vols, 'other', mapping, deps);
    assert.deepEqual(other.sources, {});
    rmSync(join(v, 'db'), { recursive: true });
    mkdirSync(join(v, '.tmp.db'));
    writeFileSync(join(v, '.tmp.db/stale'), '');
    const run = await preparePersistentVolumes(v, vols, 'init', mapping, deps);
    assert.deepEqual(run.sources, { db: join(v, '.tmp.db') });
    assert.deepEqual(readdirSync(join(v, '.tmp.db')), [], 'a stale .tmp dir is cleaned');
    writeFileSync(join(v, '.tmp.db/made'), 'x');
    assert.equal(existsSync(join(v, 'db')), false);
    await run.finish(0);
    assert.deepEqual(readdirSync(join(v, 'db')), ['made']);
    assert.equal(existsSync(join(v, '.tmp.db')), false);
    assert.deepEqual(log, [`lock ${v}/.tmp.db.lock`, `remove ${v}/.tmp.db`, `release ${v}/.tmp.db.lock`]);
    // Once it exists, the init command just mounts it.
    const again = await preparePersistentVolumes(v, vols, 'init', mapping, deps);
    assert.deepEqual(again.sources, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init command failing: no volume is left, the lock is released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-pv-'));
  try {
    const { deps, log } = fakeDeps();
    const v = join(dir, 'v');
    const run = await preparePersistentVolumes(v, [{ kind: 'Persistent', name: 'db', ownerUid: 1, ownerGid: 2, initCommand: 'init' }], 'init', mapping, deps);
    await run.finish(3);
    assert.deepEqual(readdirSync(v), []);
    assert.deepEqual(log, [`lock ${v}/.tmp.db.lock`, `remove ${v}/.tmp.db`, `chown 1:2 ${v}/.tmp.db`, `remove ${v}/.tmp.db`, `release ${v}/.tmp.db.lock`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('persistentVolumes and volumeContainerNames: command volumes override, mount order, no duplicates', () => {
  const c = container('c');
  c.volumes = { '/x': { kind: 'Persistent', name: 'x', ownerUid: 0, ownerGid: 0 }, '/y': { kind: 'Container', name: 'o' }, '/z': { kind: 'Snapshot', size: 1, container: 'p' } };
  assert.deepEqual(persistentVolumes(c, { '/x': { kind: 'Empty' }, '/a': { kind: 'Persistent', name: 'a', ownerUid: 0, ownerGid: 0 } }).map((v) => v.name), ['a']);
  assert.deepEqual(volumeContainerNames(c, { '/w': { kind: 'Container', name: 'p' }, '/z': { kind: 'Snapshot', size: 1 } }), ['p', 'o']);
});

test('init command declaring the volume without init-command still initializes into .tmp (QA2 persbad)', async () => {
  const p = project();
  // `_init` mounts `db` without `init-command`; `use` names `_init` as db's init command.
  p.config.commands._init = command({ name: '_init', run: ['false'], volumes: { '/db': { kind: 'Persistent', name: 'db', ownerUid: 0, ownerGid: 0 } } });
  const names = initVolumeNames(p.config, '_init');
  assert.deepEqual([...names].sort(), ['data', 'db']);
  assert.deepEqual([...initVolumeNames(p.config, 'use')], []);
  assert.deepEqual([...initVolumeNames(p.config, undefined)], []);
  const dir = mkdtempSync(join(tmpdir(), 'vagga-pv-'));
  try {
    const { deps } = fakeDeps();
    const v = join(dir, 'v');
    const own = (p.config.commands._init as any).volumes['/db'] as P;
    const run = await preparePersistentVolumes(v, [own], '_init', mapping, deps, names);
    assert.deepEqual(run.sources, { db: join(v, '.tmp.db') });
    writeFileSync(join(v, '.tmp.db/partial'), 'x');
    await run.finish(4);
    assert.deepEqual(readdirSync(v), [], 'a failed init leaves no published volume');
    // Without the names (old behaviour) the volume was created directly: the bug.
    const old = await preparePersistentVolumes(v, [own], '_init', mapping, deps);
    assert.deepEqual(old.sources, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
