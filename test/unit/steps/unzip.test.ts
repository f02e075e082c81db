/**
 * `!Unzip` and the zip reader, against archives made in the test with python3's zipfile
 * module (Unix modes in the external attributes, a symlink, stored and deflated members).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { stepDef } from '../../../src/steps/registry.js';
import { crc32, entryKind, ZipArchive } from '../../../src/steps/unzip/zip-reader.js';
import { entryTarget, unzipInto } from '../../../src/steps/unzip.js';
import { step } from '../version/helpers.js';
import { fakeContext } from './fake-context.js';
import { tempDir } from '../temp-dir.js';

const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;

/** Make `<dir>/t.zip` with python3's zipfile. */
function makeZip(dir: string): string {
  const file = path.join(dir, 't.zip');
  const script = String.raw`
import sys, zipfile, stat
def add(z, name, data, mode, method=zipfile.ZIP_DEFLATED):
    i = zipfile.ZipInfo(name)
    i.external_attr = mode << 16
    i.create_system = 3
    i.compress_type = method
    z.writestr(i, data)
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    add(z, 'pkg-1.0/', b'', stat.S_IFDIR | 0o750)
    add(z, 'pkg-1.0/README', b'hello zip\n' * 50, stat.S_IFREG | 0o644)
    add(z, 'pkg-1.0/bin/run.sh', b'#!/bin/sh\necho run\n', stat.S_IFREG | 0o755, zipfile.ZIP_STORED)
    add(z, 'pkg-1.0/link', b'README', stat.S_IFLNK | 0o777)
    add(z, 'pkg-1.0/ro/', b'', stat.S_IFDIR | 0o555)
    add(z, 'pkg-1.0/ro/f', b'x', stat.S_IFREG | 0o4755)
    z.writestr('top.txt', b'no unix mode')  # made on "Unix" by default; force DOS below
with zipfile.ZipFile(sys.argv[1], 'a') as z:
    i = zipfile.ZipInfo('dos.txt'); i.create_system = 0; i.external_attr = 0x20
    z.writestr(i, b'dos')
`;
  execFileSync('python3', ['-c', script, file]);
  return file;
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
});

test('the zip reader lists entries with their unix modes and reads stored and deflated data', async () => {
  const dir = tempDir('vzip-');
  const zip = await ZipArchive.open(makeZip(dir));
  try {
    const byName = new Map(zip.entries.map((e) => [e.name, e]));
    assert.deepEqual([...byName.keys()], [
      'pkg-1.0/', 'pkg-1.0/README', 'pkg-1.0/bin/run.sh', 'pkg-1.0/link', 'pkg-1.0/ro/', 'pkg-1.0/ro/f', 'top.txt', 'dos.txt',
    ]);
    assert.equal(entryKind(byName.get('pkg-1.0/')!), 'dir');
    assert.equal(entryKind(byName.get('pkg-1.0/link')!), 'symlink');
    assert.equal(byName.get('pkg-1.0/README')!.method, 8);
    assert.equal(byName.get('pkg-1.0/bin/run.sh')!.method, 0);
    assert.equal(byName.get('pkg-1.0/ro/f')!.unixMode! & 0o7777, 0o4755);
    assert.equal(byName.get('dos.txt')!.unixMode, undefined);
    assert.equal((await zip.read(byName.get('pkg-1.0/README')!)).toString(), 'hello zip\n'.repeat(50));
    assert.equal((await zip.read(byName.get('pkg-1.0/bin/run.sh')!)).toString(), '#!/bin/sh\necho run\n');
  } finally {
    await zip.close();
  }
});

test('the zip reader rejects non-zip and corrupt files', async () => {
  const dir = tempDir('vzip-');
  const notZip = path.join(dir, 'x.zip');
  fs.writeFileSync(notZip, 'this is not a zip archive at all');
  await assert.rejects(ZipArchive.open(notZip), /not a zip archive/);
  const good = fs.readFileSync(makeZip(dir));
  const bad = Buffer.from(good);
  // README is deflated (its text is not in the file); run.sh is stored: corrupt its bytes.
  assert.equal(bad.indexOf('hello zip'), -1);
  const runAt = bad.indexOf('echo run');
  assert.ok(runAt > 0);
  bad[runAt] = 'E'.charCodeAt(0);
  const badFile = path.join(dir, 'bad.zip');
  fs.writeFileSync(badFile, bad);
  await assert.rejects(unzipInto(badFile, path.join(dir, 'out'), ''), /CRC or size mismatch in "pkg-1.0\/bin\/run.sh"/);
});

test('unzipInto honours modes, symlinks and subdir; a missing subdir is an error', async () => {
  const dir = tempDir('vzip-');
  const archive = makeZip(dir);
  const all = path.join(dir, 'all');
  await unzipInto(archive, all, '');
  assert.equal(mode(path.join(all, 'pkg-1.0')), 0o750);
  assert.equal(mode(path.join(all, 'pkg-1.0/README')), 0o644);
  assert.equal(mode(path.join(all, 'pkg-1.0/bin/run.sh')), 0o755);
  assert.equal(mode(path.join(all, 'pkg-1.0/bin')), 0o755, 'intermediate dirs are 0755');
  assert.equal(mode(path.join(all, 'pkg-1.0/ro')), 0o555, 'a read-only dir still got its file');
  assert.equal(mode(path.join(all, 'pkg-1.0/ro/f')), 0o4755);
  assert.equal(fs.readlinkSync(path.join(all, 'pkg-1.0/link')), 'README');
  assert.equal(mode(path.join(all, 'dos.txt')), 0o644);
  assert.equal(fs.readFileSync(path.join(all, 'top.txt'), 'utf8'), 'no unix mode');

  const sub = path.join(dir, 'sub');
  await unzipInto(archive, sub, './pkg-1.0/');
  assert.deepEqual(fs.readdirSync(sub).sort(), ['README', 'bin', 'link', 'ro']);
  await assert.rejects(unzipInto(archive, path.join(dir, 'none'), 'nope'), (e: Error) => e.message === '"nope" is not found in archive');
});

test('entryTarget strips the subdir and rejects unsafe names', () => {
  assert.equal(entryTarget('a/b/c', 'a', 'z'), 'b/c');
  assert.equal(entryTarget('a/', 'a', 'z'), undefined);
  assert.equal(entryTarget('ab/c', 'a', 'z'), undefined);
  assert.equal(entryTarget('./x', '', 'z'), 'x');
  assert.throws(() => entryTarget('../evil', '', 'z'), /unsafe entry name/);
  assert.throws(() => entryTarget('/etc/passwd', '', 'z'), /unsafe entry name/);
});

test('!Unzip builds from a project file into path, and prepare checks the sha256', async () => {
  const ctx = fakeContext();
  try {
    fs.copyFileSync(makeZip(tempDir('vzip-')), path.join(ctx.projectRoot, 'pkg.zip'));
    const def = stepDef('Unzip')!;
    const s = step('Unzip', { url: './pkg.zip', path: '/opt/pkg', subdir: 'pkg-1.0' });
    await def.prepare!(s.params, { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log: ctx.log, signal: new AbortController().signal });
    await def.build!(s.params, ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'opt/pkg/bin/run.sh'), 'utf8'), '#!/bin/sh\necho run\n');
    const bad = step('Unzip', { url: './pkg.zip', sha256: '0000' });
    await assert.rejects(def.prepare!(bad.params, { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir, settings: ctx.settings, log: ctx.log, signal: new AbortController().signal }), /Hashsum mismatch: expected 0000 but was/);
  } finally { ctx.cleanup(); }
});

test('a member written through a symlink the archive made stays inside the root (regression: zip slip by link)', async () => {
  const dir = tempDir('vzip-link-');
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside);
  const file = path.join(dir, 'evil.zip');
  execFileSync('python3', ['-c', String.raw`
import sys, zipfile, stat
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    i = zipfile.ZipInfo('lnk'); i.create_system = 3; i.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(i, sys.argv[2])
    z.writestr('lnk/pwn', b'x')
`, file, outside]);
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  await unzipInto(file, path.join(root, 'z'), '', root);
  assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside the root');
  assert.equal(fs.readFileSync(path.join(root, outside, 'pwn'), 'utf8'), 'x', 'the link was followed inside the root');
});
