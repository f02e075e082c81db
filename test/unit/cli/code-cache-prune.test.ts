import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pruneCodeCaches } from '../../../src/cli/code-cache.js';
import { tempDir } from '../temp-dir.js';

test('pruneCodeCaches keeps the newest few code-cache files and the current one, nothing else touched', () => {
  const dir = tempDir('vagga-cc-');
  const names = ['00000001', '00000002', '00000003', '00000004', '00000005', '00000006'].map((h) => `code-cache-${h}.bin`);
  names.forEach((n, i) => {
    writeFileSync(join(dir, n), 'x');
    const t = new Date(Date.UTC(2024, 0, 1 + i));
    utimesSync(join(dir, n), t, t);
  });
  writeFileSync(join(dir, 'other.txt'), '');
  // The current file is the OLDEST one (e.g. just rewritten with an old mtime): still kept.
  const removed = pruneCodeCaches(dir, join(dir, names[0]!), 3);
  assert.deepEqual(removed.sort(), [names[1], names[2], names[3]]);
  assert.deepEqual(readdirSync(dir).sort(), [names[0], names[4], names[5], 'other.txt']);
  assert.deepEqual(pruneCodeCaches(join(dir, 'missing'), 'x'), []);
});
