import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSize, isStaticElf, snapshotArgv } from '../../../src/mounts/volumes-snapshot.js';

test('formatSize writes sizes the way `size:` is written', () => {
  assert.equal(formatSize(100 * 2 ** 20), '100Mi');
  assert.equal(formatSize(2 ** 30), '1Gi');
  assert.equal(formatSize(1536), '1536');
  assert.equal(formatSize(3 * 1024), '3ki');
  assert.equal(formatSize(2 ** 40), '1024Gi');
});

// Needs a real small tmpfs: root (unshare -m) and a static busybox.
const canRun = process.getuid?.() === 0 && isStaticElf('/usr/bin/busybox') && spawnSync('unshare', ['-m', 'true']).status === 0;

test('a snapshot larger than its size: one line naming the volume, its size and the key, exit 124', { skip: !canRun && 'needs root, unshare and a static busybox' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-snapfull-'));
  try {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dst'));
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, 'src', `f${i}`), Buffer.alloc(8192, 1));
    const copy = { dest: join(dir, 'dst'), stage: join(dir, 'src'), uid: 0, gid: 0, mode: 0o755, size: 256 * 1024 };
    const argv = snapshotArgv(['/bin/echo', 'ran'], [copy], {}, '/usr/bin/busybox');
    const script = `mount -t tmpfs -o size=256k tmpfs ${dir}/dst && exec "$@"`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { encoding: 'utf8' });
    assert.equal(r.status, 124, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.equal(lines[0], `vagga: the !Snapshot volume at ${dir}/dst is too small for its contents (size: 256ki); raise \`size:\` of this volume in vagga.yaml`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('other copy errors: cp messages (at most 5 lines) then the generic line', { skip: !isStaticElf('/usr/bin/busybox') && 'no static busybox' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vagga-snapfull-'));
  try {
    const copy = { dest: join(dir, 'dst-missing/x'), stage: join(dir, 'nope'), uid: 0, gid: 0, mode: 0o755 };
    const argv = snapshotArgv(['/bin/echo', 'ran'], [copy], {}, '/usr/bin/busybox');
    const r = spawnSync('/usr/bin/busybox', argv.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 124);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, /^cp: /);
    assert.equal(lines.at(-1), `vagga: could not fill the !Snapshot volume at ${dir}/dst-missing/x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
