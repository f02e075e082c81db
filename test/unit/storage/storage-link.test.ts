import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { containerLinkTarget, projectLayout, versionRoot } from '../../../src/storage/layout.js';
import { chooseSubdir, ensureStorageBase, initStorageDir, sanitizeSubdir } from '../../../src/storage/storage-link.js';
import { publishVersion } from '../../../src/storage/publish.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';

const base: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const H = '0ae0aab6' + '0'.repeat(120);

function setup() {
  const storage = tempDir('vagga-sd-');
  const root = join(tempDir('vagga-sdp-'), 'hello');
  mkdirSync(root);
  const settings: Settings = { ...base, storageDir: storage };
  return { storage, root, settings, layout: projectLayout(root, settings) };
}

test('with storage-dir the base is .vagga/.lnk and links are .lnk/.roots/<name>.<8hex>/root (§4)', () => {
  const { root, layout } = setup();
  assert.equal(layout.base, join(root, '.vagga', '.lnk'));
  assert.equal(layout.rootsDir, join(root, '.vagga', '.lnk', '.roots'));
  assert.equal(containerLinkTarget(layout, 'hello', H), '.lnk/.roots/hello.0ae0aab6/root');
  assert.equal(projectLayout(root, base).linkPrefix, '');
});

test('ensureStorageBase creates <storage>/<basename> with a back-link and .vagga/.lnk; a build publishes through it', async () => {
  const { storage, root, settings, layout } = setup();
  const dir = ensureStorageBase(layout, settings, {});
  assert.equal(dir, join(storage, 'hello'));
  assert.equal(readlinkSync(join(root, '.vagga', '.lnk')), dir);
  assert.equal(readlinkSync(join(dir, '.lnk')), root);
  assert.equal(ensureStorageBase(layout, settings, {}), dir); // idempotent
  const build = join(layout.rootsDir, '.tmp.hello');
  mkdirSync(join(build, 'root'), { recursive: true });
  await publishVersion(layout, 'hello', H, build);
  assert.equal(readlinkSync(join(root, '.vagga', 'hello')), '.lnk/.roots/hello.0ae0aab6/root');
  assert.deepEqual(readdirSync(join(dir, '.roots')), ['hello.0ae0aab6']);
  assert.ok(versionRoot(layout, 'hello', H).startsWith(join(root, '.vagga', '.lnk')));
});

test('a name taken by another project gets a -N suffix; our own back-link is reused', () => {
  const { storage, root, settings } = setup();
  mkdirSync(join(storage, 'hello'));
  symlinkSync('/somewhere/else/hello', join(storage, 'hello', '.lnk'));
  mkdirSync(join(storage, 'hello-1')); // no back-link: taken too
  assert.equal(chooseSubdir(storage, root, settings, {}), join(storage, 'hello-2'));
  mkdirSync(join(storage, 'hello-2'));
  symlinkSync(root, join(storage, 'hello-2', '.lnk'));
  assert.equal(chooseSubdir(storage, root, settings, {}), join(storage, 'hello-2'));
});

test('storage-subdir-from-env-var: sanitised name; empty variable is an error', () => {
  const { storage, root, settings } = setup();
  const s = { ...settings, storageSubdirFromEnvVar: 'CI_BRANCH' };
  assert.equal(sanitizeSubdir('feature/x y.z'), 'feature-x-y-z');
  assert.equal(chooseSubdir(storage, root, s, { CI_BRANCH: 'feature/x' }), join(storage, 'feature-x'));
  assert.throws(() => chooseSubdir(storage, root, s, {}), (e: unknown) => e instanceof VaggaError && /CI_BRANCH/.test(e.message));
});

test('a dangling .vagga/.lnk or a real .lnk directory is reported (121), never replaced', () => {
  const a = setup();
  mkdirSync(join(a.root, '.vagga'));
  symlinkSync(join(a.storage, 'gone'), join(a.root, '.vagga', '.lnk'));
  assert.throws(() => ensureStorageBase(a.layout, a.settings, {}), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && /does not exist/.test(e.message));
  const b = setup();
  mkdirSync(join(b.root, '.vagga', '.lnk'), { recursive: true });
  assert.throws(() => ensureStorageBase(b.layout, b.settings, {}), /is a directory/);
});

test('without storage-dir ensureStorageBase does nothing', () => {
  const { root } = setup();
  const layout = projectLayout(root, base);
  assert.equal(ensureStorageBase(layout, base, {}), join(root, '.vagga'));
  assert.deepEqual(readdirSync(root), []);
});

test('_init_storage_dir: NAME, --allow-multiple skips the back-link, another link is refused', () => {
  const { storage, root, settings, layout } = setup();
  assert.throws(() => initStorageDir(layout, base, 'x', false), (e: unknown) => (e as VaggaError).exitCode === 2);
  assert.throws(() => initStorageDir(layout, settings, '../x', false), (e: unknown) => (e as VaggaError).exitCode === 1);
  const dir = initStorageDir(layout, settings, 'ci', true);
  assert.equal(dir, join(storage, 'ci'));
  assert.equal(readlinkSync(join(root, '.vagga', '.lnk')), dir);
  assert.deepEqual(readdirSync(dir), ['.roots']);
  assert.equal(initStorageDir(layout, settings, 'ci', false), dir);
  assert.equal(readlinkSync(join(dir, '.lnk')), root);
  assert.throws(() => initStorageDir(layout, settings, 'other', false), (e: unknown) => (e as VaggaError).exitCode === 1);
  assert.equal(basename(readlinkSync(join(root, '.vagga', '.lnk'))), 'ci');
});
