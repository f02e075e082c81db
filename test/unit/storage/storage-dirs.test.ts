import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { makeStorageDir, nearestExisting, storageDirError } from '../../../src/storage/storage-dirs.js';
import { tempDir } from '../temp-dir.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: denied`), { code });
const isRoot = process.geteuid?.() === 0;

test('nearestExisting walks up to the deepest existing directory', () => {
  const dir = tempDir('vagga-sd-');
  assert.equal(nearestExisting(join(dir, 'a/b/c')), dir);
  assert.equal(nearestExisting(dir), dir);
  assert.equal(nearestExisting('/'), '/');
});

test('EACCES/EPERM on the storage dir: what path, why, what to do', () => {
  const project = tempDir('vagga-sd-');
  chmodSync(project, 0o755);
  const roots = join(project, '.vagga/.roots');
  for (const code of ['EACCES', 'EPERM']) {
    const cause = errno(code);
    const err = storageDirError(cause, roots);
    assert.ok(err instanceof VaggaError, code);
    assert.equal(err.exitCode, 121);
    assert.equal(err.message, `Can't create or write the container storage directory ${roots}: permission denied (${code})`);
    const hint = err.hint!.split('\n');
    assert.equal(hint[0], `${project} is not writable by you (uid ${process.getuid!()}): it is owned by uid ${statSync(project).uid}, mode 0755.`);
    assert.match(hint[1]!, /`\.vagga` inside the project directory/);
    assert.match(hint[2]!, /writable for your user, or work on a copy of the project you own/);
    assert.equal(err.cause, cause);
  }
});

test('EROFS and the cache dir get their own advice; other errors pass through unchanged', () => {
  const dir = tempDir('vagga-sd-');
  const ro = storageDirError(errno('EROFS'), join(dir, '.vagga'));
  assert.ok(ro instanceof VaggaError);
  assert.match(ro.message, /: read-only file system \(EROFS\)$/);
  assert.match(ro.hint!, new RegExp(`^${dir} is on a read-only file system\\.\n`));
  assert.match(ro.hint!, /copy of the project on a writable file system/);

  const cache = storageDirError(errno('EACCES'), join(dir, 'cache/vagga'), 'cache');
  assert.ok(cache instanceof VaggaError);
  assert.match(cache.message, /^Can't create or write the cache directory .*cache\/vagga: permission denied/);
  assert.match(cache.hint!, /`cache-dir` setting/);

  for (const other of [errno('ENOSPC'), errno('ENOTDIR'), new Error('plain'), 'text']) {
    assert.equal(storageDirError(other, dir), other);
  }
});

test('makeStorageDir creates missing dirs 0755 and accepts an existing writable one', () => {
  const dir = tempDir('vagga-sd-');
  const saved = process.umask(0o022);
  try {
    makeStorageDir(join(dir, '.vagga/.roots'));
  } finally {
    process.umask(saved);
  }
  assert.equal(statSync(join(dir, '.vagga/.roots')).mode & 0o777, 0o755);
  makeStorageDir(join(dir, '.vagga/.roots'));
});

test('makeStorageDir on a project the user cannot write: a VaggaError, not a bug report',
  { skip: isRoot ? 'root may write anywhere: run the unit tests as an ordinary user to check this (the storage error text is checked above)' : false },
  () => {
    const project = tempDir('vagga-sd-');
    chmodSync(project, 0o555);
    assert.throws(() => makeStorageDir(join(project, '.vagga/.roots')), (e: unknown) =>
      e instanceof VaggaError && e.exitCode === 121 && e.message.includes('(EACCES)') && e.hint!.startsWith(`${project} is not writable`));
    // An existing `.vagga` left behind read-only (e.g. by another user) is reported too,
    // although mkdir -p itself succeeds on it.
    const other = tempDir('vagga-sd-');
    mkdirSync(join(other, '.vagga'), { mode: 0o555 });
    assert.throws(() => makeStorageDir(join(other, '.vagga')), (e: unknown) =>
      e instanceof VaggaError && e.hint!.startsWith(`${join(other, '.vagga')} is not writable`));
  });
