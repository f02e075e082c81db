import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  inUsePids, markInUse, versionDirOfRootfs, versionInUse, withInUseMark,
} from '../../../src/storage/in-use.js';
import { tempDir } from '../temp-dir.js';

function version() {
  const dir = join(tempDir('vagga-inuse-'), '.vagga', '.roots', 'app.11111111');
  mkdirSync(join(dir, 'root'), { recursive: true });
  return dir;
}

test('versionDirOfRootfs: only .roots/<x>/root paths', () => {
  assert.equal(versionDirOfRootfs('/p/.vagga/.roots/app.11111111/root'), '/p/.vagga/.roots/app.11111111');
  assert.equal(versionDirOfRootfs('/p/.vagga/.lnk/.roots/app.11111111/root'), '/p/.vagga/.lnk/.roots/app.11111111');
  assert.equal(versionDirOfRootfs('/p/.vagga/.transient/app.11111111.77'), undefined);
  assert.equal(versionDirOfRootfs('/p/other/root'), undefined);
});

test('markInUse writes a pid mark, touches last_use, and the release removes the mark', () => {
  const dir = version();
  writeFileSync(join(dir, 'last_use'), '');
  utimesSync(join(dir, 'last_use'), new Date(1000), new Date(1000));
  const release = markInUse(join(dir, 'root'));
  assert.ok(statSync(join(dir, 'last_use')).mtimeMs > Date.now() - 60_000);
  assert.deepEqual(inUsePids(dir), [process.pid]);
  assert.equal(versionInUse(dir), true);
  release();
  release();
  assert.deepEqual(inUsePids(dir), []);
  assert.equal(versionInUse(dir), false);
  assert.deepEqual(readdirSync(dir).sort(), ['last_use', 'root']);
});

test('concurrent marks of one process are counted separately', () => {
  const dir = version();
  const a = markInUse(join(dir, 'root'));
  const b = markInUse(join(dir, 'root'));
  a();
  assert.equal(versionInUse(dir), true);
  b();
  assert.equal(versionInUse(dir), false);
});

test('a mark of a dead process does not count', () => {
  const dir = version();
  writeFileSync(join(dir, 'in_use.999999999.1'), '');
  assert.deepEqual(inUsePids(dir), [999999999]);
  assert.equal(versionInUse(dir), false);
  assert.equal(versionInUse(dir, () => true), true);
});

test('withInUseMark holds the mark while the function runs, also when it throws', async () => {
  const dir = version();
  const seen = await withInUseMark(join(dir, 'root'), async () => versionInUse(dir));
  assert.equal(seen, true);
  assert.equal(versionInUse(dir), false);
  await assert.rejects(withInUseMark(join(dir, 'root'), async () => { throw new Error('boom'); }), /boom/);
  assert.equal(versionInUse(dir), false);
  assert.ok(existsSync(join(dir, 'last_use')));
});

test('markInUse outside .roots does nothing', () => {
  const dir = tempDir('vagga-inuse-');
  const release = markInUse(join(dir, 'root'));
  release();
  assert.deepEqual(readdirSync(dir), []);
});
