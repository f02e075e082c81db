import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSettings } from '../../../src/config/settings.js';
import { project, thrown } from './helpers.js';

test('defaults without any settings file', () => {
  const home = project({});
  const root = project({});
  assert.deepEqual(loadSettings(root, { HOME: home }), {
    buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {},
  });
});

test('precedence: user files < site-settings < VAGGA_SETTINGS < project files', () => {
  const root = project({ '.vagga.settings.yaml': 'environ: {EDITOR: vile}\nbuild_lock_wait: true\n' });
  const home = project({
    '.config/vagga/settings.yaml': 'environ: {EDITOR: first, KEEP: k}\ndebian-mirror: http://mirror.invalid/first\n',
    '.vagga.yaml': [
      'environ: {EDITOR: nvi}',
      'cache-dir: ~/cache',
      'storage-dir: /storage',
      'proxy-env-vars: false',
      'propagate-environ: ["CI_*"]',
      'external-volumes: {ssh: ~/.ssh}',
      'index-all-images: true',
      'site-settings:',
      `  ${root}:`,
      '    environ: {EDITOR: elvis, SITE: yes}',
      '    storage-dir: /site-storage',
      '  /some/other/project:',
      '    environ: {EDITOR: wrong}',
    ].join('\n') + '\n',
  });
  const s = loadSettings(root, { HOME: home, VAGGA_SETTINGS: 'debian-mirror: http://mirror.invalid/env\n' });
  assert.equal(s.environ.EDITOR, 'vile');
  assert.equal(s.environ.KEEP, 'k');
  assert.equal(s.environ.SITE, 'yes');
  assert.equal(s.debianMirror, 'http://mirror.invalid/env');
  assert.equal(s.cacheDir, join(home, 'cache'));
  assert.equal(s.storageDir, '/site-storage');
  assert.equal(s.proxyEnvVars, false);
  assert.equal(s.buildLockWait, true);
  assert.deepEqual(s.propagateEnviron, ['CI_*']);
  assert.deepEqual(s.externalVolumes, { ssh: join(home, '.ssh') });
});

test('project settings may not set user-only keys', () => {
  const root = project({ '.vagga/settings.yaml': 'environ: {A: b}\nstorage-dir: /elsewhere\n' });
  const err = thrown(() => loadSettings(root, { HOME: project({}) }));
  assert.equal(err.exitCode, 126);
  assert.match(err.message, /settings\.yaml:2:1: Validation Error: Setting "storage-dir" can only be set in your user settings/);
});

test('invalid settings: unknown keys and wrong types are errors with positions', () => {
  const home = project({ '.vagga.yaml': 'build-lock-wait: maybe\n' });
  assert.match(thrown(() => loadSettings(project({}), { HOME: home })).message, /\.vagga\.yaml:1:18: .*Expected a boolean/);
  const home2 = project({ '.vagga.yaml': 'no-such-setting: 1\n' });
  assert.match(thrown(() => loadSettings(project({}), { HOME: home2 })).message, /Keys \{"no-such-setting"\} are not expected/);
  assert.match(thrown(() => loadSettings(project({}), { VAGGA_SETTINGS: 'x: [' })).message, /^<env:VAGGA_SETTINGS>:/);
});

test('relative host directories are an error at the setting (not resolved against some cwd)', () => {
  const root = project({});
  const home = project({ '.vagga.yaml': 'cache-dir: my-cache\n' });
  const err = thrown(() => loadSettings(root, { HOME: home }));
  assert.equal(err.exitCode, 126);
  assert.match(err.message, /\.vagga\.yaml:1:\d+: Validation Error: Setting cache-dir must be an absolute path \(or start with ~\/\), got "my-cache"/);
  assert.match((err as Error & { hint?: string }).hint!, /full path/);
  assert.match(thrown(() => loadSettings(root, { HOME: project({}), VAGGA_SETTINGS: 'storage-dir: ./st\n' })).message,
    /<env:VAGGA_SETTINGS>:1:\d+: Validation Error: Setting storage-dir must be an absolute path/);
  assert.match(thrown(() => loadSettings(root, { HOME: project({}), VAGGA_SETTINGS: 'external-volumes: {x: rel}\n' })).message,
    /Setting external-volumes\.x must be an absolute path/);
  assert.equal(loadSettings(root, { HOME: '/home/u', VAGGA_SETTINGS: 'cache-dir: ~/c\n' }).cacheDir, '/home/u/c');
  assert.equal(loadSettings(root, { HOME: '/home/u', VAGGA_SETTINGS: 'cache-dir: /abs/c\n' }).cacheDir, '/abs/c');
});

test('push-image-script and insecure-registries: user settings only; a single host or a list', () => {
  const home = project({ '.vagga.yaml': 'push-image-script: cp "$image_path" /x\ninsecure-registries: [HOST:5000, OTHER]\n' });
  const s = loadSettings(project({}), { HOME: home, VAGGA_SETTINGS: 'insecure-registries: THIRD\n' });
  assert.equal(s.pushImageScript, 'cp "$image_path" /x');
  assert.deepEqual(s.insecureRegistries, ['HOST:5000', 'OTHER', 'THIRD']);
  for (const key of ['push-image-script: x', 'insecure-registries: [HOST]']) {
    const err = thrown(() => loadSettings(project({ '.vagga.settings.yaml': `${key}\n` }), { HOME: project({}) }));
    assert.match(err.message, /can only be set in your user settings/);
  }
});
