import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../../../src/config/model.js';
import { cleanStorageWith, type CleanDeps } from '../../../src/storage/clean.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

function deps(locked: string[], busy: string[] = []): CleanDeps & { out: string } {
  const d = {
    out: '',
    version: () => undefined,
    remove: async (p: string) => rmSync(p, { recursive: true, force: true }),
    isAlive: (pid: number) => pid === process.pid,
    isLocked: async (_l: unknown, name: string) => locked.includes(name),
    inUse: (dir: string) => busy.some((b) => dir.endsWith(`/${b}`)),
    write: (t: string) => { d.out += t; },
  };
  return d;
}

function project(base?: string) {
  const root = tempDir('vagga-clean-busy-');
  const v = join(root, '.vagga');
  mkdirSync(v, { recursive: true });
  let store = v;
  if (base) {
    store = base;
    symlinkSync(base, join(v, '.lnk'));
  }
  const roots = join(store, '.roots');
  for (const d of ['app.11111111', 'db.33333333', '.tmp.app', '.tmp.db', '.tmp.app.lock']) mkdirSync(join(roots, d, 'root'), { recursive: true });
  mkdirSync(join(store, '.volumes/x'), { recursive: true });
  mkdirSync(join(store, `.transient/db.33333333.${process.pid}`), { recursive: true });
  mkdirSync(join(store, '.transient/db.33333333.999999999'), { recursive: true });
  const prefix = base ? '.lnk/' : '';
  symlinkSync(`${prefix}.roots/app.11111111/root`, join(v, 'app'));
  symlinkSync(`${prefix}.roots/db.33333333/root`, join(v, 'db'));
  writeFileSync(join(v, 'settings.yaml'), 'x: 1');
  const config = { projectRoot: root, containers: { app: {}, db: {} } } as unknown as Config;
  return { root, v, roots, store, config };
}

test('--everything skips a running build and versions in use, with a message', async () => {
  const p = project();
  const d = deps(['app'], ['db.33333333']);
  await cleanStorageWith(d, p.config, settings, { everything: true });
  assert.deepEqual(readdirSync(p.roots).sort(), ['.tmp.app', '.tmp.app.lock', 'db.33333333']);
  assert.deepEqual(readdirSync(join(p.v, '.transient')), [`db.33333333.${process.pid}`]);
  assert.deepEqual(readdirSync(p.v).sort(), ['.roots', '.transient', 'db', 'settings.yaml']);
  assert.match(d.out, /^Skipping \.vagga\/\.roots\/\.tmp\.app: a build of "app" is running$/m);
  assert.match(d.out, /^Skipping \.vagga\/\.roots\/db\.33333333: a running command uses it$/m);
  assert.match(d.out, /^Removing \.vagga\/\.volumes$/m);
  assert.doesNotMatch(d.out, /Removing \.vagga\/\.roots$/m);
});

test('--everything with storage-dir keeps the .lnk while something there is busy', async () => {
  const store = tempDir('vagga-clean-busy-store-');
  const s: Settings = { ...settings, storageDir: store } as Settings;
  const p = project(store);
  await cleanStorageWith(deps(['db']), p.config, s, { everything: true });
  assert.deepEqual(readdirSync(p.roots).sort(), ['.tmp.db']);
  assert.ok(lstatSync(join(p.v, '.lnk')).isSymbolicLink());
  assert.equal(existsSync(join(store, '.volumes')), false);
  assert.deepEqual(readdirSync(p.v).sort(), ['.lnk', 'settings.yaml']);
});

test('--everything with nothing busy still removes the whole storage', async () => {
  const p = project();
  rmSync(join(p.v, `.transient/db.33333333.${process.pid}`), { recursive: true });
  await cleanStorageWith(deps([]), p.config, settings, { everything: true });
  assert.deepEqual(readdirSync(p.v), ['settings.yaml']);
});
