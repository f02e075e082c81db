import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/model.js';
import { projectLayout, tmpBuildDir, versionDir } from '../../../src/storage/layout.js';
import {
  formatIdMap, idMapChanged, publishVersion, updateContainerLink, writeIdMaps,
} from '../../../src/storage/publish.js';
import { tempDir } from '../temp-dir.js';

const settings: Settings = { buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} };
const H1 = '11111111' + '0'.repeat(120);
const H2 = '22222222' + '0'.repeat(120);

function project() {
  const root = tempDir('vagga-pub-');
  const layout = projectLayout(root, settings);
  mkdirSync(layout.rootsDir, { recursive: true });
  return layout;
}

function fakeBuild(layout: ReturnType<typeof project>, name: string, marker: string) {
  const dir = tmpBuildDir(layout, name);
  mkdirSync(join(dir, 'root'), { recursive: true });
  writeFileSync(join(dir, 'root', 'marker'), marker);
  return dir;
}

test('formatIdMap renders like /proc/PID/uid_map', () => {
  assert.equal(formatIdMap([{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }]),
    '         0       1001          1\n         1     100000      65535\n');
});

test('publishVersion renames .tmp.<name>, touches last_use and links .vagga/<name>', async () => {
  const l = project();
  const tmp = fakeBuild(l, 'app', 'one');
  const dest = await publishVersion(l, 'app', H1, tmp);
  assert.equal(dest, versionDir(l, 'app', H1));
  assert.equal(existsSync(tmp), false);
  assert.equal(readFileSync(join(dest, 'root', 'marker'), 'utf8'), 'one');
  assert.ok(existsSync(join(dest, 'last_use')));
  assert.equal(readlinkSync(join(l.vaggaDir, 'app')), '.roots/app.11111111/root');
  assert.equal(readFileSync(join(l.vaggaDir, 'app', 'marker'), 'utf8'), 'one');
  assert.equal(existsSync(join(l.vaggaDir, 'app.tmp')), false);

  // A new version moves the link; the old version stays until cleaned.
  const dest2 = await publishVersion(l, 'app', H2, fakeBuild(l, 'app', 'two'));
  assert.equal(readlinkSync(join(l.vaggaDir, 'app')), '.roots/app.22222222/root');
  assert.ok(existsSync(join(dest, 'root', 'marker')));
  assert.equal(readFileSync(join(dest2, 'root', 'marker'), 'utf8'), 'two');
});

test('publishVersion replaces an existing version of the same hash (forced rebuild)', async () => {
  const l = project();
  await publishVersion(l, 'app', H1, fakeBuild(l, 'app', 'first'));
  await publishVersion(l, 'app', H1, fakeBuild(l, 'app', 'second'));
  assert.equal(readFileSync(join(versionDir(l, 'app', H1), 'root', 'marker'), 'utf8'), 'second');
  assert.equal(existsSync(join(l.rootsDir, '.tmp.app.old')), false);
});

test('updateContainerLink is a no-op when correct and refuses to replace a real directory', async () => {
  const l = project();
  await updateContainerLink(l, 'app', H1);
  const before = statSync(join(l.vaggaDir, 'app'), { throwIfNoEntry: false });
  await updateContainerLink(l, 'app', H1);
  assert.equal(readlinkSync(join(l.vaggaDir, 'app')), '.roots/app.11111111/root');
  assert.equal(before, undefined); // dangling until the version exists
  mkdirSync(join(l.vaggaDir, 'dir'));
  await assert.rejects(updateContainerLink(l, 'dir', H1), /is a directory/);
});

test('idMapChanged compares the saved uid_map with the current mapping', async () => {
  const l = project();
  const dir = join(l.rootsDir, 'x.11111111');
  mkdirSync(dir);
  const mapping = { uids: [{ inside: 0, outside: 1001, count: 1 }], gids: [{ inside: 0, outside: 1001, count: 1 }] };
  assert.equal(await idMapChanged(dir, mapping), false); // nothing saved
  await writeIdMaps(dir, mapping);
  assert.equal(await idMapChanged(dir, mapping), false);
  assert.equal(await idMapChanged(dir, { ...mapping, uids: [{ inside: 0, outside: 1002, count: 1 }] }), true);
  assert.match(readFileSync(join(dir, 'gid_map'), 'utf8'), /^ +0 +1001 +1\n$/);
});
