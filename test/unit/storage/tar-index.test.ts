/** TarIndexer: the index read from a pax archive equals the walk of the tree it was made from. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarIndexer, parsePaxRecords, tarNumber } from '../../../src/storage/tar-index.js';
import { rootTarArgs } from '../../../src/image/tar-args.js';
import { formatIndex } from '../../../src/storage/index-format.js';
import { indexTree } from '../../../src/storage/index-walk.js';
import { tempDir } from '../temp-dir.js';

async function indexOfArchive(archive: Buffer, chunk = 777): Promise<TarIndexer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < archive.length; i += chunk) parts.push(archive.subarray(i, i + chunk));
  const indexer = new TarIndexer();
  const passed: Buffer[] = [];
  await pipeline(Readable.from(parts), indexer, new Writable({ write(c, _e, cb) { passed.push(c); cb(); } }));
  assert.ok(Buffer.concat(passed).equals(archive), 'the archive passes through unchanged');
  return indexer;
}

test('numeric fields: octal and base-256; pax records', () => {
  assert.equal(tarNumber(Buffer.from('0000644\0')), 0o644);
  assert.equal(tarNumber(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])), 65536);
  const rec = (k: string, v: string) => { const body = ` ${k}=${v}\n`; let n = body.length + 1; n = body.length + String(n).length; return `${n}${body}`; };
  const pax = parsePaxRecords(Buffer.from(rec('path', 'a b/c') + rec('uid', '100000')));
  assert.equal(pax.get('path')!.toString(), 'a b/c');
  assert.equal(pax.get('uid')!.toString(), '100000');
});

test('the index of a GNU tar pax archive (as root-tar.ts writes it) equals the walk: files, dirs, links, long and odd names, setuid, fifo', async () => {
  const dir = tempDir('vagga-tarindex-');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/tool'), 'x'.repeat(5000));
  chmodSync(join(root, 'usr/bin/tool'), 0o4755);
  linkSync(join(root, 'usr/bin/tool'), join(root, 'usr/bin/tool2'));
  symlinkSync('/usr/bin/tool', join(root, 'usr/bin/sym'));
  const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
  mkdirSync(join(root, 'd'.repeat(120)));
  writeFileSync(join(root, long), 'long');
  linkSync(join(root, long), join(root, `hard-${'h'.repeat(120)}`));
  symlinkSync('t'.repeat(200), join(root, 'longlink'));
  writeFileSync(join(root, 'new\nline and space'), '');
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0xff, 0x41])]), 'latin');
  writeFileSync(join(root, 'empty'), '');
  assert.equal(spawnSync('mkfifo', [join(root, 'fifo')]).status, 0);
  chmodSync(join(root, 'd'.repeat(120)), 0o750);
  const tar = spawnSync('tar', rootTarArgs(root, { excludeContent: [] }), { maxBuffer: 1 << 26 });
  assert.equal(tar.status, 0, tar.stderr.toString());
  for (const chunk of [1, 512, 777, 1 << 16]) {
    const indexer = await indexOfArchive(tar.stdout, chunk);
    assert.equal(indexer.why, undefined);
    assert.equal(formatIndex(indexer.entries()!), formatIndex(await indexTree(root)), `chunk ${chunk}`);
  }
});

test('an archive this parser does not model, or a cut one, gives no index (the caller walks)', async () => {
  const dir = tempDir('vagga-tarindex-');
  writeFileSync(join(dir, 'f'), 'data');
  const tar = spawnSync('tar', ['-C', dir, '--format=pax', '-cf', '-', 'f']);
  assert.equal((await indexOfArchive(tar.stdout.subarray(0, 1024))).entries(), undefined);
  const withGlobal = spawnSync('tar', ['-C', dir, '--format=pax', '--pax-option=globexthdr.name=g,comment=x', '-cf', '-', 'f']);
  const g = await indexOfArchive(withGlobal.stdout);
  assert.equal(g.entries(), undefined, 'a global header');
  assert.match(g.why!, /global/);
});

test('known hashes are taken instead of reading the data; a wrong size is hashed', async () => {
  const dir = tempDir('vagga-tarindex-');
  writeFileSync(join(dir, 'a'), 'aaa');
  writeFileSync(join(dir, 'b'), 'bbb');
  const tar = spawnSync('tar', ['-C', dir, '--format=pax', '-cf', '-', '.']);
  const asked: string[] = [];
  const indexer = new TarIndexer((path, size) => {
    asked.push(`${path} ${size}`);
    return path === '/a' ? 'f'.repeat(64) : undefined;
  });
  await pipeline(Readable.from([tar.stdout]), indexer, new Writable({ write(_c, _e, cb) { cb(); } }));
  const entries = indexer.entries()!;
  assert.deepEqual(asked.sort(), ['/a 3', '/b 3']);
  assert.equal(entries.find((e) => e.path === '/a')!.sha256, 'f'.repeat(64));
  assert.equal(entries.find((e) => e.path === '/b')!.sha256, createHash('sha256').update('bbb').digest('hex'), 'unknown: hashed from the data');
});
