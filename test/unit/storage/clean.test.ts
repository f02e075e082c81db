import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, Settings } from '../../../src/config/model.js';
import { cleanStorageWith, linkedVersions, type CleanDeps } from '../../../src/storage/clean.js';
import { projectLayout } from '../../../src/storage/layout.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };

/** A project with versions app.11111111 (linked), app.22222222, db.33333333 (linked), gone.44444444, tmp dirs, transients. */
function project() {
  const root = tempDir('vagga-clean-');
  const v = join(root, '.vagga');
  const roots = join(v, '.roots');
  for (const d of ['app.11111111', 'app.22222222', 'db.33333333', 'gone.44444444', '.tmp.app', '.tmp.db', '.tmp.app.old']) {
    mkdirSync(join(roots, d, 'root'), { recursive: true });
  }
  writeFileSync(join(roots, 'stray-file'), '');
  symlinkSync('.roots/app.11111111/root', join(v, 'app'));
  symlinkSync('.roots/db.33333333/root', join(v, 'db'));
  symlinkSync('.roots/gone.44444444/root', join(v, 'gone'));
  mkdirSync(join(v, '.transient/app.11111111.999999999'), { recursive: true });
  mkdirSync(join(v, `.transient/app.11111111.${process.pid}`), { recursive: true });
  writeFileSync(join(v, 'settings.yaml'), 'x: 1');
  const config = { projectRoot: root, containers: { app: {}, db: {}, dyn: {} } } as unknown as Config;
  return { root, v, roots, config };
}

function deps(versions: Record<string, string | undefined>, locked: string[] = []): CleanDeps & { out: string } {
  const d = {
    out: '',
    version: (_c: Config, name: string) => versions[name],
    remove: async (p: string) => rmSync(p, { recursive: true, force: true }),
    isAlive: (pid: number) => pid === process.pid,
    isLocked: async (_l: unknown, name: string) => locked.includes(name),
    write: (t: string) => { d.out += t; },
  };
  return d;
}

test('linkedVersions reads the .vagga/<name> links', () => {
  const { root } = project();
  assert.deepEqual([...linkedVersions(projectLayout(root, settings))].sort(), ['app.11111111', 'db.33333333', 'gone.44444444']);
});

test('--old keeps linked versions only and deletes stray files', async () => {
  const p = project();
  const d = deps({});
  const r = await cleanStorageWith(d, p.config, settings, { old: true });
  assert.deepEqual(readdirSync(p.roots).sort(), ['.tmp.app', '.tmp.app.old', '.tmp.db', 'app.11111111', 'db.33333333', 'gone.44444444']);
  assert.deepEqual(r.removed.map((x) => x.slice(p.roots.length + 1)).sort(), ['app.22222222', 'stray-file']);
  assert.match(d.out, /^Removing \.vagga\/\.roots\/app\.22222222$/m);
});

test('--unused keeps what the current config hashes to; unknown versions keep all of their container', async () => {
  const p = project();
  mkdirSync(join(p.roots, 'dyn.55555555/root'), { recursive: true });
  const r = await cleanStorageWith(deps({ app: '22222222' + '0'.repeat(120), db: '33333333' + '0'.repeat(120), dyn: undefined }), p.config, settings, { unused: true });
  assert.deepEqual(readdirSync(p.roots).filter((e) => !e.startsWith('.')).sort(), ['app.22222222', 'db.33333333', 'dyn.55555555']);
  // Links to deleted versions go too.
  assert.equal(existsSync(join(p.v, 'app')), false);
  assert.equal(existsSync(join(p.v, 'gone')), false);
  assert.ok(existsSync(join(p.v, 'db')));
  assert.ok(r.removed.includes(join(p.v, 'app')));
});

test('--tmp removes .tmp dirs except those of running builds', async () => {
  const p = project();
  mkdirSync(join(p.roots, '.tmp.db.lock'));
  const d = deps({}, ['db']);
  await cleanStorageWith(d, p.config, settings, { tmp: true });
  assert.deepEqual(readdirSync(p.roots).filter((e) => e.startsWith('.')).sort(), ['.tmp.db', '.tmp.db.lock']);
  assert.match(d.out, /Skipping .*\.tmp\.db: a build of "db" is running/);
});

test('--transient removes copies of dead processes only', async () => {
  const p = project();
  await cleanStorageWith(deps({}), p.config, settings, { transient: true });
  assert.deepEqual(readdirSync(join(p.v, '.transient')), [`app.11111111.${process.pid}`]);
});

test('--everything keeps only the user files in .vagga; --dry-run deletes nothing', async () => {
  const p = project();
  rmSync(join(p.v, `.transient/app.11111111.${process.pid}`), { recursive: true }); // a live copy is kept (clean-busy.test.ts)
  const dry = deps({});
  const r = await cleanStorageWith(dry, p.config, settings, { everything: true, dryRun: true });
  assert.ok(r.removed.length >= 4);
  assert.match(dry.out, /^Would remove \.vagga\/\.roots$/m);
  assert.ok(existsSync(p.roots));
  await cleanStorageWith(deps({}), p.config, settings, { everything: true });
  assert.deepEqual(readdirSync(p.v), ['settings.yaml']);
});

test('a failing deletion is exit code 3', async () => {
  const p = project();
  const d = deps({});
  d.remove = async () => { throw new Error('EACCES'); };
  await assert.rejects(cleanStorageWith(d, p.config, settings, { old: true }), (e: any) => e.exitCode === 3 && /Error removing/.test(e.message));
});
