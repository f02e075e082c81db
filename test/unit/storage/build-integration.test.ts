/** ensureBuiltWith (fake builder) with the storage features: auto-clean, disable-auto-clean, storage-dir. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ContainerConfig, Settings } from '../../../src/config/model.js';
import { ensureBuiltWith, type BuildDeps } from '../../../src/builder/ensure-built.js';
import { tempDir } from '../temp-dir.js';

const base: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const H1 = 'aaaaaaaa' + '1'.repeat(120);
const H2 = 'bbbbbbbb' + '2'.repeat(120);

function project(autoClean: boolean): Config {
  const root = join(tempDir('vagga-bi-'), 'proj');
  mkdirSync(root);
  const c: ContainerConfig = {
    name: 'app', setup: [], environ: {}, volumes: {}, uids: [{ start: 0, end: 0 }], gids: [{ start: 0, end: 0 }],
    autoClean, dataDirs: [], resolvConfPath: '/etc/resolv.conf', hostsFilePath: '/etc/hosts', defaultShell: [],
    pos: { file: join(root, 'vagga.yaml'), line: 1, col: 1 },
  };
  return { projectRoot: root, mainFile: join(root, 'vagga.yaml'), files: [], containers: { app: c }, commands: {}, warnings: [] };
}

function deps(version: { hash: string }): BuildDeps {
  return {
    version: () => version.hash,
    idMapping: () => ({ uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }] }),
    stepDef: () => undefined,
    runBuilder: async (input) => { writeFileSync(join(input.buildDir, 'root', 'm'), ''); return { ok: true }; },
    cacheDir: () => '/nonexistent-cache',
    write: () => {},
    now: () => Date.now(),
  };
}

async function twoBuilds(cfg: Config, settings: Settings): Promise<string[]> {
  const v = { hash: H1 };
  await ensureBuiltWith(deps(v), cfg, settings, 'app', { verbosity: 0 });
  v.hash = H2;
  const built = await ensureBuiltWith(deps(v), cfg, settings, 'app', { verbosity: 0 });
  return readdirSync(join(built.rootfs, '..', '..')).filter((e) => !e.startsWith('.')).sort();
}

test('auto-clean: the second build deletes the first version', async () => {
  assert.deepEqual(await twoBuilds(project(true), base), ['app.bbbbbbbb']);
});

test('disable-auto-clean setting keeps both versions; no auto-clean keeps both', async () => {
  assert.deepEqual(await twoBuilds(project(true), { ...base, disableAutoClean: true }), ['app.aaaaaaaa', 'app.bbbbbbbb']);
  assert.deepEqual(await twoBuilds(project(false), base), ['app.aaaaaaaa', 'app.bbbbbbbb']);
});

test('storage-dir: the build lands in <storage-dir>/<basename>, linked through .vagga/.lnk', async () => {
  const storage = tempDir('vagga-bis-');
  const cfg = project(false);
  const built = await ensureBuiltWith(deps({ hash: H1 }), cfg, { ...base, storageDir: storage }, 'app', { verbosity: 0 });
  assert.equal(built.rootfs, join(cfg.projectRoot, '.vagga/.lnk/.roots/app.aaaaaaaa/root'));
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/.lnk')), join(storage, 'proj'));
  assert.equal(readlinkSync(join(cfg.projectRoot, '.vagga/app')), '.lnk/.roots/app.aaaaaaaa/root');
  assert.deepEqual(readdirSync(join(storage, 'proj', '.roots')).filter((e) => !e.includes('lock')), ['app.aaaaaaaa']);
});
