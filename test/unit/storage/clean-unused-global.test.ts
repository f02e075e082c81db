import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../../../src/config/model.js';
import { cleanStorageWith, usedSince, type CleanDeps } from '../../../src/storage/clean.js';
import { checkGlobalOptions, cleanGlobalWith, storageProjects } from '../../../src/storage/clean-global.js';
import { projectLayout } from '../../../src/storage/layout.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const NOW = Date.UTC(2026, 0, 31);
const DAY = 86400_000;

function deps(over: Partial<CleanDeps> = {}): CleanDeps & { out: string } {
  const d = {
    out: '',
    version: (_c: Config, name: string): string | undefined => { throw new Error(`version(${name}) must not be needed`); },
    remove: async (p: string) => rmSync(p, { recursive: true, force: true }),
    isAlive: (pid: number) => pid === process.pid,
    isLocked: async () => false,
    write: (t: string) => { d.out += t; },
    now: () => NOW,
    ...over,
  };
  return d;
}

/** Versions used 1, 5 and 20 days ago (last_use mtimes); app.33333333 has no last_use (dir mtime 30 days ago). */
function aged(rootsDir: string) {
  const mk = (entry: string, daysAgo: number, lastUse = true) => {
    const dir = join(rootsDir, entry);
    mkdirSync(join(dir, 'root'), { recursive: true });
    const t = new Date(NOW - daysAgo * DAY);
    if (lastUse) {
      writeFileSync(join(dir, 'last_use'), '');
      utimesSync(join(dir, 'last_use'), t, t);
    }
    utimesSync(dir, t, t);
  };
  mk('app.11111111', 1);
  mk('app.22222222', 5);
  mk('db.44444444', 20);
  mk('app.33333333', 30, false);
}

function project() {
  const root = tempDir('vagga-clean2-');
  const layout = projectLayout(root, settings);
  aged(layout.rootsDir);
  symlinkSync('.roots/db.44444444/root', join(layout.vaggaDir, 'db'));
  const config = { projectRoot: root, containers: { app: {}, db: {} } } as unknown as Config;
  return { root, layout, config };
}

test('usedSince reads last_use, else the dir mtime', () => {
  const { layout } = project();
  assert.equal(usedSince(join(layout.rootsDir, 'app.22222222'), NOW - 6 * DAY), true);
  assert.equal(usedSince(join(layout.rootsDir, 'app.22222222'), NOW - 4 * DAY), false);
  assert.equal(usedSince(join(layout.rootsDir, 'app.33333333'), NOW - 31 * DAY), true);
  assert.equal(usedSince(join(layout.rootsDir, 'missing'), 0), false);
});

test('--unused --at-least keeps versions used within the duration, without hashing the config', async () => {
  const p = project();
  const d = deps();
  const r = await cleanStorageWith(d, p.config, settings, { unused: true, atLeast: 3 * DAY });
  assert.deepEqual(readdirSync(p.layout.rootsDir).sort(), ['app.11111111']);
  assert.deepEqual(r.removed.map((x) => x.slice(p.root.length + 1)).sort(),
    ['.vagga/.roots/app.22222222', '.vagga/.roots/app.33333333', '.vagga/.roots/db.44444444', '.vagga/db']);
});

test('--dry-run lists what --unused --at-least would remove and removes nothing', async () => {
  const p = project();
  const d = deps();
  const r = await cleanStorageWith(d, p.config, settings, { unused: true, atLeast: 10 * DAY, dryRun: true });
  assert.equal(readdirSync(p.layout.rootsDir).length, 4);
  assert.deepEqual(r.removed.map((x) => x.slice(p.root.length + 1)).sort(),
    ['.vagga/.roots/app.33333333', '.vagga/.roots/db.44444444', '.vagga/db']);
  assert.ok(existsSync(join(p.layout.vaggaDir, 'db')));
  assert.match(d.out, /^Would remove \.vagga\/\.roots\/db\.44444444$/m);
  assert.doesNotMatch(d.out, /^Removing/m);
});

test('a version used by a running command is kept by --old, --unused and --at-least (Vagga #128)', async () => {
  const p = project();
  writeFileSync(join(p.layout.rootsDir, 'app.22222222', 'in_use.4242.1'), '');
  writeFileSync(join(p.layout.rootsDir, 'app.33333333', 'in_use.999999999.1'), ''); // dead pid
  const d = deps({ isAlive: (pid) => pid === 4242 });
  await cleanStorageWith(d, p.config, settings, { old: true });
  assert.deepEqual(readdirSync(p.layout.rootsDir).sort(), ['app.22222222', 'db.44444444']);
  assert.match(d.out, /^Keeping \.vagga\/\.roots\/app\.22222222: a running command uses it$/m);
  const d2 = deps({ isAlive: (pid) => pid === 4242, version: () => '99999999' + '0'.repeat(120) });
  await cleanStorageWith(d2, p.config, settings, { unused: true });
  assert.deepEqual(readdirSync(p.layout.rootsDir).sort(), ['app.22222222']);
});

test('--everything with storage-dir removes the storage subdir, the .lnk and the links', async () => {
  const storage = tempDir('vagga-storage-');
  const root = tempDir('vagga-proj-');
  const s: Settings = { ...settings, storageDir: storage };
  mkdirSync(join(storage, 'proj', '.roots', 'app.11111111', 'root'), { recursive: true });
  mkdirSync(join(root, '.vagga'));
  symlinkSync(join(storage, 'proj'), join(root, '.vagga', '.lnk'));
  symlinkSync('.lnk/.roots/app.11111111/root', join(root, '.vagga', 'app'));
  writeFileSync(join(root, '.vagga', 'settings.yaml'), '');
  const config = { projectRoot: root, containers: {} } as unknown as Config;
  await cleanStorageWith(deps(), config, s, { everything: true });
  assert.deepEqual(readdirSync(storage), []);
  assert.deepEqual(readdirSync(join(root, '.vagga')), ['settings.yaml']);
});

test('--global refuses without storage-dir (exit 2) and unsupported forms (exit 1)', () => {
  const code = (f: () => void) => { try { f(); } catch (e) { return (e as VaggaError).exitCode; } return 0; };
  assert.equal(code(() => checkGlobalOptions(settings, { tmp: true })), 2);
  const s = { ...settings, storageDir: '/s' };
  assert.equal(code(() => checkGlobalOptions(s, { unused: true })), 1);
  assert.equal(code(() => checkGlobalOptions(s, { old: true })), 1);
  assert.equal(code(() => checkGlobalOptions(s, { everything: true })), 1);
  assert.equal(code(() => checkGlobalOptions(s, { unused: true, atLeast: DAY, tmp: true, transient: true })), 0);
});

test('--global --unused --at-least cleans every project of the storage dir and their dangling links', async () => {
  const storage = tempDir('vagga-storage-');
  const projA = tempDir('vagga-pa-');
  for (const sub of ['a', 'b']) aged(join(storage, sub, '.roots'));
  mkdirSync(join(storage, 'b', '.roots', '.tmp.app'), { recursive: true });
  mkdirSync(join(storage, 'not-a-project'));
  symlinkSync(projA, join(storage, 'a', '.lnk'));
  mkdirSync(join(projA, '.vagga'));
  symlinkSync(join(storage, 'a'), join(projA, '.vagga', '.lnk'));
  symlinkSync('.lnk/.roots/db.44444444/root', join(projA, '.vagga', 'db'));
  symlinkSync('.lnk/.roots/app.11111111/root', join(projA, '.vagga', 'app'));
  assert.deepEqual(storageProjects(storage), [join(storage, 'a'), join(storage, 'b')]);
  const d = deps();
  await cleanGlobalWith(d, { ...settings, storageDir: storage }, { unused: true, atLeast: 3 * DAY, tmp: true });
  assert.deepEqual(readdirSync(join(storage, 'a', '.roots')).sort(), ['app.11111111']);
  assert.deepEqual(readdirSync(join(storage, 'b', '.roots')).sort(), ['app.11111111']);
  assert.ok(!existsSync(join(projA, '.vagga', 'db')));
  assert.ok(existsSync(join(projA, '.vagga', 'app')));
  assert.ok(existsSync(join(storage, 'not-a-project')));
  assert.match(d.out, new RegExp(`^Removing ${storage}/b/\\.roots/db\\.44444444$`, 'm'));
});
