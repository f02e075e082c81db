import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { findStaleCacheTemps, parseCacheTemp, removeStaleCacheTemps } from '../../../src/storage/cache-temps.js';
import { acquireLock } from '../../../src/storage/lock.js';
import { tempDir } from '../temp-dir.js';

test('temp names of the cache writers parse to their pid and final name', () => {
  assert.deepEqual(parseCacheTemp('bookworm-1a2b3c4d-minbase.4242.tmp.tar'), { pid: 4242, final: 'bookworm-1a2b3c4d-minbase.tar' });
  assert.deepEqual(parseCacheTemp('1234abcd-x.tar.gz.part.77'), { pid: 77, final: '1234abcd-x.tar.gz' });
  assert.deepEqual(parseCacheTemp('apk.static.9.tmp'), { pid: 9, final: 'apk.static' });
  assert.equal(parseCacheTemp('bookworm-1a2b3c4d-minbase.tar'), undefined);
  assert.equal(parseCacheTemp('x.tar.lock'), undefined);
  assert.equal(parseCacheTemp('tmp'), undefined);
});

test('leftovers of dead writers go; a live writer\'s file and a file under a held lock stay', async () => {
  const cache = tempDir('vagga-cache-temps-');
  mkdirSync(join(cache, 'debian'));
  mkdirSync(join(cache, 'downloads'));
  mkdirSync(join(cache, 'alpine', 'apk-tools-static-2'), { recursive: true });
  const dead = 2 ** 22 + 17; // above pid_max's default: no such process
  const files = {
    deadTar: join(cache, 'debian', `bookworm-00000000-minbase.${dead}.tmp.tar`),
    livePart: join(cache, 'downloads', `abcd1234-f.bin.part.${process.pid}`),
    lockedPart: join(cache, 'downloads', `abcd1234-g.bin.part.${dead}`),
    deadApk: join(cache, 'alpine', 'apk-tools-static-2', `apk.static.${dead}.tmp`),
    final: join(cache, 'debian', 'bookworm-00000000-minbase.tar'),
  };
  for (const f of Object.values(files)) writeFileSync(f, 'x');
  const lock = await acquireLock(join(cache, 'downloads', 'abcd1234-g.bin.lock'));
  try {
    assert.deepEqual(findStaleCacheTemps(cache).sort(), [files.deadApk, files.deadTar].sort());
    const reported: string[] = [];
    removeStaleCacheTemps(cache, (p) => reported.push(p));
    assert.equal(reported.length, 2);
    assert.equal(existsSync(files.deadTar), false);
    assert.equal(existsSync(files.deadApk), false);
    for (const kept of [files.livePart, files.lockedPart, files.final]) assert.ok(existsSync(kept), kept);
  } finally {
    await lock.release();
  }
  // Once the lock is free, the dead writer's part goes too.
  assert.deepEqual(findStaleCacheTemps(cache), [files.lockedPart]);
});
