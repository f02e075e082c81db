import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import {
  buildLockPath, cacheDirFor, containerLinkPath, containerLinkTarget, parseVersionDirName, projectLayout,
  tmpBuildDir, versionDir, versionRoot,
} from '../../../src/storage/layout.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const HASH = '0ae0aab6' + 'f'.repeat(120);

test('layout paths follow Vagga: .vagga/.roots/<name>.<8hex>/root and a relative link', () => {
  const l = projectLayout('/p/proj', settings);
  assert.equal(l.vaggaDir, '/p/proj/.vagga');
  assert.equal(l.rootsDir, '/p/proj/.vagga/.roots');
  assert.equal(versionDir(l, 'app', HASH), '/p/proj/.vagga/.roots/app.0ae0aab6');
  assert.equal(versionRoot(l, 'app', HASH), '/p/proj/.vagga/.roots/app.0ae0aab6/root');
  assert.equal(tmpBuildDir(l, 'app'), '/p/proj/.vagga/.roots/.tmp.app');
  assert.equal(buildLockPath(l, 'app'), '/p/proj/.vagga/.roots/.tmp.app.lock');
  assert.equal(containerLinkPath(l, 'app'), '/p/proj/.vagga/app');
  assert.equal(containerLinkTarget(l, 'app', HASH), '.roots/app.0ae0aab6/root');
});

test('parseVersionDirName accepts <name>.<8hex> only', () => {
  assert.deepEqual(parseVersionDirName('app.0ae0aab6'), { name: 'app', short: '0ae0aab6' });
  assert.deepEqual(parseVersionDirName('my.app.deadbeef'), { name: 'my.app', short: 'deadbeef' });
  assert.equal(parseVersionDirName('.tmp.app'), undefined);
  assert.equal(parseVersionDirName('app.0AE0AAB6'), undefined);
  assert.equal(parseVersionDirName('app.0ae0aab'), undefined);
  assert.equal(parseVersionDirName('app'), undefined);
});

test('cacheDirFor: setting, then XDG_CACHE_HOME, then ~/.cache/vagga; created', () => {
  const home = tempDir('vagga-home-');
  const a = cacheDirFor(settings, { HOME: home });
  assert.equal(a, join(home, '.cache', 'vagga'));
  assert.ok(statSync(a).isDirectory());
  const xdg = join(home, 'xdg');
  assert.equal(cacheDirFor(settings, { HOME: home, XDG_CACHE_HOME: xdg }), join(xdg, 'vagga'));
  assert.equal(cacheDirFor({ ...settings, cacheDir: '~/c' }, { HOME: home, XDG_CACHE_HOME: xdg }), join(home, 'c'));
  assert.equal(cacheDirFor({ ...settings, cacheDir: join(home, 'abs') }, { HOME: home }), join(home, 'abs'));
  assert.ok(statSync(join(home, 'abs')).isDirectory());
  // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
  assert.equal(cacheDirFor(settings, { HOME: home, XDG_CACHE_HOME: 'rel' }), join(home, '.cache', 'vagga'));
});
