import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareVersions, PACKAGE_VERSION, satisfiesMinimum, VAGGA_VERSION } from '../../../src/config/version-compare.js';

test('minimum-vagga ordering (inventory §1.2)', () => {
  assert.equal(compareVersions('v0.4.1-28-gfba00d7', 'v0.4.1'), 1);
  assert.equal(compareVersions('v0.4.1', 'v0.4.1-28-gfba00d7'), -1);
  assert.equal(compareVersions('v0.5-rc', 'v0.5'), -1);
  assert.equal(compareVersions('v0.5', 'v0.5-rc'), 1);
  assert.equal(compareVersions('0.5.0', 'v0.5.0'), 0);
  assert.equal(compareVersions('v0.10.0', 'v0.9.9'), 1);
  assert.equal(compareVersions('v0.8.1', 'v0.8.1-dirty'), 1);
  assert.equal(compareVersions('v0.8.1-beta', 'v0.8.1'), 1);
  assert.equal(compareVersions('v1.a', 'v1.1'), -1);
  assert.equal(compareVersions('v1.b', 'v1.a'), 1);
});

test('the versions real projects ask for are satisfied; far-future ones are not', () => {
  for (const v of ['v0.5.0', 'v0.6.0', 'v0.7.1', 'v0.8.0', 'v0.8.1']) assert.ok(satisfiesMinimum(v), v);
  assert.equal(satisfiesMinimum('9999.0.0'), false);
  assert.equal(satisfiesMinimum('v0.8.2'), false);
  assert.match(VAGGA_VERSION, /^v\d+\.\d+\.\d+$/);
});

test('PACKAGE_VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
  assert.equal(PACKAGE_VERSION, pkg.version);
});
