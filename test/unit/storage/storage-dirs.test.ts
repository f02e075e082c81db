import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { makeStorageDir, nearestExisting, storageDirError } from '../../../src/storage/storage-dirs.js';
import { tempDir } from '../temp-dir.js';
import { E2E_USER, ensureUser } from '../../test-user.js';
import { probe } from './unwritable-probe.js';

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

test('makeStorageDir on a project the user cannot write: a VaggaError, not a bug report', async () => {
  // Root may write anywhere: then the probe runs as the ordinary test user (test/test-user.ts).
  const base = tempDir('vagga-sd-');
  chmodSync(base, 0o755);
  const project = join(base, 'project');
  mkdirSync(project);
  chmodSync(project, 0o555);
  // An existing `.vagga` left behind read-only (e.g. by another user) is reported too,
  // although mkdir -p itself succeeds on it.
  const other = join(base, 'other');
  mkdirSync(join(other, '.vagga'), { recursive: true });
  chmodSync(join(other, '.vagga'), 0o555);
  let got: ReturnType<typeof probe>;
  if (isRoot) {
    await ensureUser(E2E_USER);
    const r = spawnSync('runuser', ['-u', E2E_USER, '--', process.execPath, '--import', 'tsx', 'test/unit/storage/unwritable-probe.ts', project, other], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    got = JSON.parse(r.stdout) as ReturnType<typeof probe>;
  } else {
    got = probe(project, other);
  }
  assert.equal(got.project?.bug, undefined, got.project?.message);
  assert.equal(got.project?.exitCode, 121);
  assert.ok(got.project?.message.includes('(EACCES)'), got.project?.message);
  assert.ok(got.project?.hint?.startsWith(`${project} is not writable`), got.project?.hint);
  assert.ok(got.other?.hint?.startsWith(`${join(other, '.vagga')} is not writable`), got.other?.hint);
});
