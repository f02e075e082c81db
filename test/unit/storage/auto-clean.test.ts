import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { projectLayout, tmpBuildDir, versionDir } from '../../../src/storage/layout.js';
import { linkedVersionDir, publishVersion } from '../../../src/storage/publish.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const H1 = '11111111' + '0'.repeat(120);
const H2 = '22222222' + '0'.repeat(120);
const H3 = '33333333' + '0'.repeat(120);

function build(layout: ReturnType<typeof projectLayout>, name: string) {
  const dir = tmpBuildDir(layout, name);
  mkdirSync(join(dir, 'root'), { recursive: true });
  return dir;
}

test('auto-clean deletes the previously linked version after the new one is published', async () => {
  const layout = projectLayout(tempDir('vagga-ac-'), settings);
  mkdirSync(layout.rootsDir, { recursive: true });
  await publishVersion(layout, 'app', H1, build(layout, 'app'));
  mkdirSync(join(layout.rootsDir, 'app.33333333', 'root'), { recursive: true }); // not linked: untouched
  assert.equal(await linkedVersionDir(layout, 'app'), versionDir(layout, 'app', H1));
  await publishVersion(layout, 'app', H2, build(layout, 'app'), { autoClean: true });
  assert.deepEqual(readdirSync(layout.rootsDir).sort(), ['app.22222222', 'app.33333333']);
  assert.equal(readlinkSync(join(layout.vaggaDir, 'app')), '.roots/app.22222222/root');
});

test('without auto-clean the previous version stays', async () => {
  const layout = projectLayout(tempDir('vagga-ac-'), settings);
  mkdirSync(layout.rootsDir, { recursive: true });
  await publishVersion(layout, 'app', H1, build(layout, 'app'));
  await publishVersion(layout, 'app', H2, build(layout, 'app'));
  assert.deepEqual(readdirSync(layout.rootsDir).sort(), ['app.11111111', 'app.22222222']);
});

test('auto-clean keeps a previous version a running command uses, and says so', async () => {
  const layout = projectLayout(tempDir('vagga-ac-'), settings);
  mkdirSync(layout.rootsDir, { recursive: true });
  await publishVersion(layout, 'app', H1, build(layout, 'app'));
  writeFileSync(join(versionDir(layout, 'app', H1), `in_use.${process.pid}.1`), '');
  let out = '';
  await publishVersion(layout, 'app', H3, build(layout, 'app'), { autoClean: true, write: (t) => { out += t; } });
  assert.ok(existsSync(versionDir(layout, 'app', H1)));
  assert.match(out, /Keeping the previous version app\.11111111 \(auto-clean\): a running command uses it/);
});

test('auto-clean on a forced rebuild of the same version deletes nothing extra', async () => {
  const layout = projectLayout(tempDir('vagga-ac-'), settings);
  mkdirSync(layout.rootsDir, { recursive: true });
  await publishVersion(layout, 'app', H1, build(layout, 'app'));
  await publishVersion(layout, 'app', H1, build(layout, 'app'), { autoClean: true });
  assert.deepEqual(readdirSync(layout.rootsDir), ['app.11111111']);
});
