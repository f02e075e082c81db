import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../../src/config/settings.js';
import { project } from './helpers.js';

test('disable-auto-clean applies from user settings and VAGGA_SETTINGS, is parsed but ignored in project files', () => {
  const home = project({ '.vagga.yaml': 'disable-auto-clean: true\n' });
  const root = project({});
  assert.equal(loadSettings(root, { HOME: home }).disableAutoClean, true);
  assert.equal(loadSettings(root, { HOME: project({}), VAGGA_SETTINGS: 'disable-auto-clean: true' }).disableAutoClean, true);
  const rootWithSetting = project({ '.vagga.settings.yaml': 'disable-auto-clean: true\n' });
  assert.equal(loadSettings(rootWithSetting, { HOME: project({}) }).disableAutoClean, undefined);
});

test('storage-subdir-from-env-var is read from user settings', () => {
  const home = project({ '.vagga.yaml': 'storage-dir: /st\nstorage-subdir-from-env-var: CI_BRANCH\n' });
  const s = loadSettings(project({}), { HOME: home });
  assert.equal(s.storageDir, '/st');
  assert.equal(s.storageSubdirFromEnvVar, 'CI_BRANCH');
});
