import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { DEFAULT_SETTINGS, fakeProject } from './fake-project.js';
import { tempDir } from '../temp-dir.js';
import { addLayer } from '../storage/fake-layer-store.js';

async function vagga(argv: string[], project: Project | (() => Project), env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd: '/p', env, out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
    loadProject: async () => (typeof project === 'function' ? project() : project),
    ownerCheck: () => undefined,
  });
  return { status, stdout, stderr };
}

test('_clean argument errors exit 1: --at-least without --unused, bad duration', async () => {
  const p = fakeProject({});
  let r = await vagga(['_clean', '--at-least', '1d'], p);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--at-least is only meaningful with --unused/);
  r = await vagga(['_clean', '--unused', '--at-least', '10'], p);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Invalid --at-least "10": time unit needed/);
});

test('_clean --global without storage-dir exits 2; --global --old exits 1', async () => {
  let r = await vagga(['_clean', '--global', '--tmp'], fakeProject({}));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /storage-dir/);
  const withStorage = fakeProject({});
  withStorage.settings = { ...DEFAULT_SETTINGS, storageDir: tempDir('vagga-cg-') };
  r = await vagga(['_clean', '--global', '--old'], withStorage);
  assert.equal(r.status, 1);
});

test('_clean --global outside a project uses the user settings (VAGGA_SETTINGS)', async () => {
  const storage = tempDir('vagga-cg-');
  const v = join(storage, 'proj', '.roots', 'app.11111111');
  mkdirSync(join(v, 'root'), { recursive: true });
  utimesSync(v, new Date(0), new Date(0));
  const noProject = () => { throw new VaggaError('Config not found in path "/p"', { code: 'config.not-found' }); };
  const r = await vagga(['_clean', '--global', '--unused', '--at-least', '1day', '--dry-run'], noProject, { VAGGA_SETTINGS: `storage-dir: ${storage}` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Would remove ${v}`));
  assert.deepEqual(readdirSync(join(storage, 'proj', '.roots')), ['app.11111111']);
});

test('_init_storage_dir links the project to <storage-dir>/NAME', async () => {
  const storage = tempDir('vagga-is-');
  const root = tempDir('vagga-isp-');
  const p = fakeProject({});
  p.config = { ...p.config, projectRoot: root };
  p.settings = { ...DEFAULT_SETTINGS, storageDir: storage };
  const r = await vagga(['_init_storage_dir', 'ci'], p);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readlinkSync(join(root, '.vagga', '.lnk')), join(storage, 'ci'));
  assert.equal((await vagga(['_init_storage_dir'], p)).status, 1);
});

/** A cache dir holding a build cache of two layers (base, and one on top of it, unused for 20 days). */
function cacheWithLayers(): { cache: string; store: string } {
  const cache = tempDir('vagga-cc-');
  const store = join(cache, '.layers');
  for (const d of ['layers', 'tmp', 'trash']) mkdirSync(join(store, d), { recursive: true });
  addLayer(store, 'a'.repeat(32), [], 4000, Date.now(), 'c step 1/2 !Tar ./busybox.tar');
  addLayer(store, 'b'.repeat(32), ['a'.repeat(32)], 1000, Date.now() - 20 * 86_400_000, 'c step 2/2 !Sh "echo hi"');
  return { cache, store };
}

test('_clean --cache -n outside a project: the user settings name the cache dir; nothing is removed', async () => {
  const { cache, store } = cacheWithLayers();
  const noProject = () => { throw new VaggaError('Config not found in path "/p"', { code: 'config.not-found' }); };
  const r = await vagga(['_clean', '--cache', '-n'], noProject, { VAGGA_SETTINGS: `cache-dir: ${cache}` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Would remove layer c step 2\/2 !Sh "echo hi" \(1\.0KB, last used 20 days ago\)$/m);
  assert.match(r.stderr, /^Would remove layer c step 1\/2 !Tar \.\/busybox\.tar \(4\.0KB, last used just now\)$/m);
  assert.match(r.stderr, /^Would free 5\.0KB of the build cache's 5\.0KB \(2 of 2 layers; /m);
  assert.equal(readdirSync(join(store, 'layers')).length, 2);
});

test('_clean --cache --at-least and --global: the per-user store, no storage-dir needed', async () => {
  const { cache, store } = cacheWithLayers();
  const p = fakeProject({});
  p.settings = { ...DEFAULT_SETTINGS, cacheDir: cache };
  const r = await vagga(['_clean', '--cache', '--global', '--at-least', '10days'], p);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^Removed 1 layer \(1\.0KB\) from the build cache; 1 layer \(4\.0KB\) left$/m);
  assert.deepEqual(readdirSync(join(store, 'layers')), ['a'.repeat(32)]);
});

test('_clean -n (without --cache) ends with the build cache size; --everything leaves the build cache alone', async () => {
  const { cache, store } = cacheWithLayers();
  const root = tempDir('vagga-ccp-');
  mkdirSync(join(root, '.vagga', '.roots', 'c.12345678', 'root'), { recursive: true });
  const p = fakeProject({});
  p.config = { ...p.config, projectRoot: root };
  p.settings = { ...DEFAULT_SETTINGS, cacheDir: cache };
  let r = await vagga(['_clean', '--old', '-n'], p);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^Build cache: 2 layers, 5\\.0KB in ${store} \\(shared by your projects; \`vagga _clean --cache\` removes it\\)$`, 'm'));
  r = await vagga(['_clean', '--everything'], p);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(join(root, '.vagga')), []);
  assert.equal(readdirSync(join(store, 'layers')).length, 2);
});

test('_clean checks /etc/subuid like _build: a range with the own id exits 121 (Vagga: includes original id), even with nothing to remove', async () => {
  const [{ run }, { builtinCall }, { BUILTINS, findBuiltin }, { createContext }, { parseCommandLine }] = await Promise.all([
    import('../../../src/cli/builtins/clean.js'), import('../../../src/cli/builtin-args.js'), import('../../../src/cli/builtins.js'),
    import('../../../src/cli/context.js'), import('../../../src/cli/global-options.js'),
  ]);
  const root = tempDir('vagga-clean-subuid-');
  const p = fakeProject({});
  p.config = { ...p.config, projectRoot: root };
  let err = '';
  const ctx = createContext({
    globals: parseCommandLine([]).globals, cwd: root, env: {}, err: (t) => { err += t; },
    loadProject: async () => p, ownerCheck: () => undefined,
  });
  const call = builtinCall(ctx, findBuiltin('_clean')!, ['--tmp'], BUILTINS)!;
  const host = (subuid: string) => ({
    uid: 1001, gid: 1001, userName: 'vtest', subuid, subgid: 'vtest:100000:65536\n', procUidMap: '', procGidMap: '', warn: () => {},
  });
  await assert.rejects(run(ctx, call, host('vtest:1000:65536\n')), (e: any) => {
    assert.equal(e.exitCode, 121);
    assert.match(e.message, /^\/etc\/subuid:1: range 1000\.\.66535 includes original id/);
    return true;
  });
  assert.equal(await run(ctx, call, host('vtest:100000:65536\n')), 0, err);
});
