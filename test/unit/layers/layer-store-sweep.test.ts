/** LayerStore.sweepStaleTmp: the tmp dirs of killed builds go, those of running builds stay. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LayerStore } from '../../../src/builder/layer-store.js';
import { acquireLock } from '../../../src/storage/lock.js';
import { tempDir } from '../temp-dir.js';

test('a tmp dir whose key lock is free is removed; one whose key lock is held, and foreign names, are kept', async () => {
  const store = new LayerStore(join(tempDir('vagga-store-'), '.layers'));
  store.init();
  const dead = 'a'.repeat(32);
  const live = 'b'.repeat(32);
  for (const d of [`${dead}.x1`, `${dead}.x2`, `${live}.y1`, 'not-a-layer']) {
    mkdirSync(join(store.dir, 'tmp', d, 'diff'), { recursive: true });
    writeFileSync(join(store.dir, 'tmp', d, 'diff', 'f'), 'data');
  }
  const held = await acquireLock(join(store.dir, 'locks', `${live}.lock`));
  try {
    assert.equal(store.sweepStaleTmp(), 2);
    assert.ok(!existsSync(join(store.dir, 'tmp', `${dead}.x1`)));
    assert.ok(!existsSync(join(store.dir, 'tmp', `${dead}.x2`)));
    assert.ok(existsSync(join(store.dir, 'tmp', `${live}.y1`, 'diff', 'f')), 'its maker holds the lock');
    assert.ok(existsSync(join(store.dir, 'tmp', 'not-a-layer')));
  } finally {
    await held.release();
  }
  assert.equal(store.sweepStaleTmp(), 1, 'once the lock is free it goes too');
});
