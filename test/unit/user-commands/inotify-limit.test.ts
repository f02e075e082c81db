import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inotifyWarning, readInotifyLimit, MAX_INOTIFY_WATCHES } from '../../../src/user-commands/inotify-limit.js';
import { tempDir } from '../temp-dir.js';

test('expect-inotify-limit: no warning when the host limit is high enough or unknown', () => {
  assert.equal(inotifyWarning('serve', 1000, 8192), undefined);
  assert.equal(inotifyWarning('serve', 8192, 8192), undefined);
  assert.equal(inotifyWarning('serve', undefined, 10), undefined);
  assert.equal(inotifyWarning('serve', 1000, undefined), undefined);
});

test('expect-inotify-limit: a lower host limit gives one line with the sysctl command, capped', () => {
  assert.equal(inotifyWarning('serve', 65536, 8192),
    'Command "serve" expects fs.inotify.max_user_watches >= 65536, but it is 8192: file watchers may miss changes. '
    + 'Raise it with: sudo sysctl fs.inotify.max_user_watches=65536\n');
  assert.match(inotifyWarning('serve', 10_000_000, 8192)!, new RegExp(`=${MAX_INOTIFY_WATCHES}\\n$`));
});

test('readInotifyLimit parses the proc file and tolerates a missing one', () => {
  const dir = tempDir('vagga-inotify-');
  const file = join(dir, 'max_user_watches');
  writeFileSync(file, '524288\n');
  assert.equal(readInotifyLimit(file), 524288);
  assert.equal(readInotifyLimit(join(dir, 'missing')), undefined);
});
