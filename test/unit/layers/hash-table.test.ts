import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashTable } from '../../../src/builder/layer-store.js';
import { tempDir } from '../temp-dir.js';

test('hashTable: disk use as du -s -B1 (hard links once) and the atimes a step left, which du would move', () => {
  const diff = join(tempDir('vagga-ht-'), 'diff');
  mkdirSync(join(diff, 'copy/sub'), { recursive: true });
  writeFileSync(join(diff, 'copy/sub/g.txt'), 'x'.repeat(10000));
  linkSync(join(diff, 'copy/sub/g.txt'), join(diff, 'copy/g-link'));
  writeFileSync(join(diff, 'copy/f.txt'), 'file\n');
  for (const p of ['copy/f.txt', 'copy/sub/g.txt', 'copy/sub', 'copy']) utimesSync(join(diff, p), 1, 1);
  const du = Number.parseInt(execFileSync('du', ['-s', '-B1', diff], { encoding: 'utf8' }), 10);
  for (const p of ['copy/sub', 'copy']) utimesSync(join(diff, p), 1, 1); // du moved them
  const table = hashTable(diff);
  assert.equal(table.bytes, du);
  assert.match(table.text, /^[0-9a-f]{64} 5 \/copy\/f\.txt$/m);
  for (const p of ['copy/f.txt', 'copy/sub/g.txt', 'copy/sub', 'copy']) {
    assert.equal(lstatSync(join(diff, p)).atimeMs, 1000, p);
  }
});
