import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIndex, INDEX_FILE } from '../../../src/storage/index-format.js';
import { indexTree, deviceNumbers } from '../../../src/storage/index-walk.js';
import { hardlinkVersions, linkNewVersion, sameContent } from '../../../src/storage/index-hardlink.js';
import { linkCandidates, type VersionDirInfo } from '../../../src/storage/link-identical.js';
import { indexMain } from '../../../src/storage/index-main.js';
import { tempDir } from '../temp-dir.js';

function makeRoot(dir: string, hello: string): string {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'etc', 'hello'), hello);
  writeFileSync(join(root, 'etc', 'same'), 'same text\n');
  writeFileSync(join(root, 'etc', 'empty'), '');
  writeFileSync(Buffer.from(`${root}/odd name\xff`, 'latin1'), 'x');
  symlinkSync('hello', join(root, 'etc', 'link'));
  return root;
}

test('indexTree: every path with type, mode, owner, size, sha256 and symlink target', async () => {
  const root = makeRoot(tempDir('vagga-idx-'), 'hi\n');
  const byPath = new Map((await indexTree(root)).map((e) => [e.path, e]));
  assert.deepEqual([...byPath.keys()].sort(), ['/', '/etc', '/etc/empty', '/etc/hello', '/etc/link', '/etc/same', '/odd\\x20name\\xff'].sort());
  const hello = byPath.get('/etc/hello')!;
  assert.equal(hello.type, 'f');
  assert.equal(hello.size, 3);
  assert.equal(hello.sha256, createHash('sha256').update('hi\n').digest('hex'));
  assert.equal(hello.uid, statSync(join(root, 'etc/hello')).uid);
  assert.equal(hello.mode, statSync(join(root, 'etc/hello')).mode & 0o7777);
  assert.equal(byPath.get('/etc/link')!.target, 'hello');
  assert.equal(byPath.get('/')!.type, 'd');
  assert.equal(byPath.get('/')!.mode, 0o755);
});

test('indexTree leaves atimes as they were (files read with O_NOATIME, directories put back): relatime would move them', async () => {
  const root = makeRoot(tempDir('vagga-idx-'), 'hi\n');
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'd/f'), 'data\n');
  // atime before mtime: the first read under relatime would set it to now.
  for (const p of ['etc/hello', 'd/f', 'd', 'etc']) utimesSync(join(root, p), 1, 2);
  utimesSync(join(root, 'etc/same'), 1000.25, 2000.5);
  await indexTree(root);
  for (const p of ['etc/hello', 'd/f', 'd', 'etc']) {
    const st = lstatSync(join(root, p));
    assert.deepEqual([st.atimeMs, st.mtimeMs], [1000, 2000], p);
  }
  const same = lstatSync(join(root, 'etc/same'));
  assert.deepEqual([same.atimeMs, same.mtimeMs], [1000250, 2000500]);
});

test('deviceNumbers decodes Linux dev_t (1,3 is /dev/null)', () => {
  assert.equal(deviceNumbers(statSync('/dev/null').rdev), '1,3');
  assert.equal(deviceNumbers((136 << 8) | 2), '136,2');
});

test('__index__ walk writes the index file; bad usage exits 122', async () => {
  const dir = tempDir('vagga-idx-');
  const root = makeRoot(dir, 'hi\n');
  const out = join(dir, 'out.txt');
  assert.equal(await indexMain(['walk', root, out]), 0);
  assert.equal(readFileSync(out, 'utf8'), formatIndex(await indexTree(root)));
  assert.equal(await indexMain(['walk', root]), 122);
  assert.equal(await indexMain(['walk', join(dir, 'missing'), out]), 1);
});

async function version(base: string, name: string, hello: string): Promise<string> {
  const dir = join(base, name);
  const root = makeRoot(dir, hello);
  writeFileSync(join(dir, INDEX_FILE), formatIndex(await indexTree(root)));
  return dir;
}

test('hardlinkVersions links identical files across versions, counts them and their bytes', async () => {
  const base = tempDir('vagga-hl-');
  const a = await version(base, 'a.00000001', 'hello a\n');
  const b = await version(base, 'b.00000002', 'hello b\n');
  const c = await version(base, 'c.00000003', 'hello a\n');
  const noIndex = join(base, 'd.00000004');
  makeRoot(noIndex, 'hello a\n');
  const r = await hardlinkVersions([a, b, c, noIndex]);
  // b: same, empty, odd name (3 files, 10+0+1 bytes); c: hello, same, empty, odd (4 files, 8+10+0+1).
  // Never within one version: etc/empty and the 1-byte odd name differ anyway; see the next test.
  assert.deepEqual(r, { count: 7, bytes: 30, failures: [] });
  const ino = (p: string) => statSync(p).ino;
  assert.equal(ino(join(c, 'root/etc/hello')), ino(join(a, 'root/etc/hello')));
  assert.equal(ino(join(b, 'root/etc/same')), ino(join(a, 'root/etc/same')));
  assert.notEqual(ino(join(b, 'root/etc/hello')), ino(join(a, 'root/etc/hello')));
  assert.notEqual(ino(join(noIndex, 'root/etc/same')), ino(join(a, 'root/etc/same')), 'versions without an index are left alone');
  assert.equal(statSync(join(a, 'root/etc/same')).nlink, 3);
  // Idempotent: everything is linked already.
  assert.deepEqual(await hardlinkVersions([a, b, c]), { count: 0, bytes: 0, failures: [] });
});

test('hardlinkVersions does not trust a stale index: changed content or mode is not linked', async () => {
  const base = tempDir('vagga-hl-');
  const a = await version(base, 'a.00000001', 'hello\n');
  const b = await version(base, 'b.00000002', 'hello\n');
  writeFileSync(join(b, 'root/etc/hello'), 'HELLO\n'); // same size, other bytes; index unchanged
  chmodSync(join(b, 'root/etc/same'), 0o600);
  const r = await hardlinkVersions([a, b]);
  assert.deepEqual(r, { count: 2, bytes: 1, failures: [] }); // only empty + odd name
  assert.equal(readFileSync(join(b, 'root/etc/hello'), 'utf8'), 'HELLO\n');
  assert.notEqual(statSync(join(b, 'root/etc/same')).ino, statSync(join(a, 'root/etc/same')).ino);
});

test('sameContent compares bytes', async () => {
  const dir = tempDir('vagga-hl-');
  writeFileSync(join(dir, 'x'), 'abc');
  writeFileSync(join(dir, 'y'), 'abc');
  writeFileSync(join(dir, 'z'), 'abd');
  linkSync(join(dir, 'x'), join(dir, 'w'));
  assert.equal(sameContent(join(dir, 'x'), join(dir, 'y')), true);
  assert.equal(sameContent(join(dir, 'x'), join(dir, 'z')), false);
  assert.equal(sameContent(join(dir, 'x'), join(dir, 'w')), true);
});

test('hardlinkVersions links only files at the same path: never two identical files of one version (Vagga: 0 for one container)', async () => {
  const base = tempDir('vagga-hl-');
  const one = join(base, 'one.00000001');
  mkdirSync(join(one, 'root/etc'), { recursive: true });
  writeFileSync(join(one, 'root/etc/hosts'), '');
  writeFileSync(join(one, 'root/etc/resolv.conf'), '');
  writeFileSync(join(one, 'root/etc/a'), 'same\n');
  writeFileSync(join(one, 'root/etc/b'), 'same\n');
  writeFileSync(join(one, INDEX_FILE), formatIndex(await indexTree(join(one, 'root'))));
  assert.deepEqual(await hardlinkVersions([one]), { count: 0, bytes: 0, failures: [] });
  assert.notEqual(statSync(join(one, 'root/etc/hosts')).ino, statSync(join(one, 'root/etc/resolv.conf')).ino);
  // A second version with the same files under other names: nothing either.
  const two = join(base, 'two.00000002');
  mkdirSync(join(two, 'root/etc'), { recursive: true });
  writeFileSync(join(two, 'root/etc/c'), 'same\n');
  writeFileSync(join(two, 'root/etc/hosts'), '');
  writeFileSync(join(two, INDEX_FILE), formatIndex(await indexTree(join(two, 'root'))));
  assert.deepEqual(await hardlinkVersions([one, two]), { count: 1, bytes: 0, failures: [] });
  assert.equal(statSync(join(two, 'root/etc/hosts')).ino, statSync(join(one, 'root/etc/hosts')).ino);
  assert.equal(statSync(join(two, 'root/etc/c')).nlink, 1);
});

test('hardlinkVersions and linkNewVersion never follow a symlinked directory of a root out of it', async () => {
  const base = tempDir('vagga-hl-');
  const a = await version(base, 'a.00000001', 'hello\n');
  const b = await version(base, 'b.00000002', 'hello\n');
  // A hostile build replaced b's /etc by a symlink to a directory outside the roots after indexing.
  const outside = join(tempDir('vagga-hl-out-'), 'etc');
  mkdirSync(outside);
  writeFileSync(join(outside, 'hello'), 'hello\n');
  writeFileSync(join(outside, 'same'), 'same text\n');
  renameSync(join(b, 'root/etc'), join(b, 'root/etc.real'));
  symlinkSync(outside, join(b, 'root/etc'));
  const before = statSync(join(outside, 'hello')).ino;
  const r = await hardlinkVersions([a, b]);
  assert.deepEqual(r, { count: 1, bytes: 1, failures: [] }); // only the odd name at the top
  assert.equal(statSync(join(outside, 'hello')).ino, before);
  assert.equal(statSync(join(outside, 'hello')).nlink, 1);
  const n = await linkNewVersion(b, [a]);
  assert.equal(n.count, 0);
  assert.equal(statSync(join(outside, 'same')).nlink, 1);
});

test('linkNewVersion links the new version\'s files to the first other version holding them; the others are untouched', async () => {
  const base = tempDir('vagga-hl-');
  const old = await version(base, 'hello.00000001', 'hello\n');
  const other = await version(base, 'other.00000002', 'other\n');
  const fresh = await version(base, '.tmp.hello', 'hello\n');
  const r = await linkNewVersion(fresh, [old, other]);
  // hello, same, empty, odd name from `old` (6+10+0+1 bytes).
  assert.deepEqual(r, { count: 4, bytes: 17, failures: [] });
  for (const p of ['etc/hello', 'etc/same', 'etc/empty']) {
    assert.equal(statSync(join(fresh, 'root', p)).ino, statSync(join(old, 'root', p)).ino, p);
  }
  assert.notEqual(statSync(join(other, 'root/etc/same')).ino, statSync(join(old, 'root/etc/same')).ino);
  assert.equal(statSync(join(fresh, 'root/etc/empty')).ino !== statSync(join(fresh, 'root/etc/same')).ino, true);
  assert.deepEqual(await linkNewVersion(fresh, [old, other]), { count: 0, bytes: 0, failures: [] });
});

test('linkCandidates: this project and container first, newest first, 3 per container, the replaced version left out', () => {
  const v = (project: string, name: string, mtimeMs: number): VersionDirInfo => ({ path: `${project}/.roots/${name}.${mtimeMs}`, project, name, mtimeMs });
  const dirs = [
    v('/s/p', 'b', 1), v('/s/p', 'a', 1), v('/s/p', 'a', 2), v('/s/p', 'a', 3), v('/s/p', 'a', 4), v('/s/p', 'a', 5),
    v('/s/q', 'a', 9), v('/s/p', 'c', 7),
  ];
  assert.deepEqual(linkCandidates(dirs, '/s/p', 'a', '/s/p/.roots/a.5'), [
    '/s/p/.roots/a.4', '/s/p/.roots/a.3', '/s/p/.roots/a.2', '/s/p/.roots/c.7', '/s/p/.roots/b.1', '/s/q/.roots/a.9',
  ]);
});
