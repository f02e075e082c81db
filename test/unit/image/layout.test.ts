/** Blobs and layouts on disk: one-pass layer hashing + gzip, reproducible documents, index merge, oci-archive bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { blobPath, writeLayerBlob } from '../../../src/image/blobs.js';
import { checkLayoutDir, readLayoutIndex, writeImageDocuments } from '../../../src/image/layout.js';
import { writeOciArchive } from '../../../src/image/archives.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tarBytes = Buffer.concat([Buffer.from('x'.repeat(100_000)), Buffer.alloc(1024)]);
const chunks = (b: Buffer) => Readable.from([b.subarray(0, 7000), b.subarray(7000)]);

test('writeLayerBlob: diffID = sha256 of the tar, digest = sha256 of the stored gzip, the same bytes twice give the same blob', async () => {
  const dir = tempDir('vagga-image-');
  const a = await writeLayerBlob(chunks(tarBytes), dir, { gzipLevel: 1 });
  assert.equal(a.diffId, sha(tarBytes));
  assert.equal(a.tarSize, tarBytes.length);
  const stored = readFileSync(blobPath(dir, a.digest));
  assert.equal(a.digest, sha(stored));
  assert.equal(a.size, stored.length);
  assert.deepEqual(gunzipSync(stored), tarBytes);
  assert.equal(a.created, true);
  const b = await writeLayerBlob(Readable.from([tarBytes]), dir, { gzipLevel: 1 });
  assert.deepEqual(b, { ...a, created: false });
  assert.deepEqual(readdirSync(join(dir, 'blobs/sha256')), [a.digest.slice(7)], 'no temporary files left');
});

test('writeLayerBlob with zstd: the host zstd(1) compresses, the blob decompresses to the tar, twice the same digest', async () => {
  const dir = tempDir('vagga-image-');
  const a = await writeLayerBlob(chunks(tarBytes), dir, { compression: 'zstd' });
  const b = await writeLayerBlob(chunks(tarBytes), dir, { compression: 'zstd' });
  assert.equal(a.compression, 'zstd');
  assert.equal(a.diffId, sha(tarBytes));
  assert.equal(b.digest, a.digest);
  assert.equal(b.created, false);
  const stored = readFileSync(blobPath(dir, a.digest));
  assert.equal(a.digest, sha(stored));
  assert.deepEqual([...stored.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], 'zstd frame magic');
  const d = spawnSync('zstd', ['-d', '-c'], { input: stored, maxBuffer: 1 << 24 });
  assert.equal(d.status, 0);
  assert.ok(d.stdout.equals(tarBytes));
});

test('writeLayerBlob: a failing stream leaves no blob', async () => {
  const dir = tempDir('vagga-image-');
  const failing = new Readable({ read() { this.destroy(new Error('tar died')); } });
  await assert.rejects(writeLayerBlob(failing, dir), /tar died/);
  assert.deepEqual(readdirSync(join(dir, 'blobs/sha256')), []);
});

test('writeImageDocuments: reproducible manifest digest; a second image is added, the same name replaced', async () => {
  const run = { env: ['PATH=/bin'], cmd: ['/bin/sh'] };
  const digests: string[] = [];
  for (const n of [1, 2]) {
    const dir = tempDir('vagga-image-');
    const layer = await writeLayerBlob(Readable.from([tarBytes]), dir);
    const docs = await writeImageDocuments(dir, [{ ...layer, createdBy: 'test' }], run, { repository: 'vagga/a', tag: 't' });
    digests.push(docs.manifest.digest);
    assert.equal(docs.refName, 'vagga/a:t');
    assert.equal(readFileSync(join(dir, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
    const manifest = JSON.parse(readFileSync(blobPath(dir, docs.manifest.digest), 'utf8'));
    assert.equal(manifest.layers[0].digest, layer.digest);
    assert.equal(JSON.parse(readFileSync(blobPath(dir, docs.config.digest), 'utf8')).rootfs.diff_ids[0], layer.diffId);
    if (n === 2) {
      await writeImageDocuments(dir, [{ ...layer, createdBy: 'test' }], { env: ['PATH=/usr/bin'] }, { repository: 'vagga/b', tag: 't' });
      await writeImageDocuments(dir, [{ ...layer, createdBy: 'test' }], { env: ['PATH=/sbin'] }, { repository: 'vagga/a', tag: 't' });
      assert.deepEqual(readLayoutIndex(dir).map((d) => d.annotations?.['org.opencontainers.image.ref.name']), ['vagga/b:t', 'vagga/a:t']);
      assert.notEqual(readLayoutIndex(dir)[1]!.digest, docs.manifest.digest);
    }
  }
  assert.equal(digests[0], digests[1]);
});

test('checkLayoutDir: missing, empty or a layout are fine; other directories are refused', () => {
  const dir = tempDir('vagga-image-');
  checkLayoutDir(join(dir, 'missing'));
  mkdirSync(join(dir, 'empty'));
  checkLayoutDir(join(dir, 'empty'));
  mkdirSync(join(dir, 'layout'));
  writeFileSync(join(dir, 'layout/oci-layout'), '{}');
  writeFileSync(join(dir, 'layout/index.json'), '{}');
  checkLayoutDir(join(dir, 'layout'));
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full/notes.txt'), 'mine');
  assert.throws(() => checkLayoutDir(join(dir, 'full')), (e: VaggaError) => e.code === 'image.output-exists');
});

test('writeOciArchive: the same layout gives the same archive bytes (sorted, owner 0, mtime 0)', async () => {
  const dir = tempDir('vagga-image-');
  const layout = join(dir, 'layout');
  const layer = await writeLayerBlob(Readable.from([tarBytes]), layout);
  await writeImageDocuments(layout, [{ ...layer, createdBy: 'test' }], {}, { repository: 'vagga/a', tag: 't' });
  await writeOciArchive(layout, join(dir, 'a.tar'));
  await writeOciArchive(layout, join(dir, 'b.tar'));
  assert.deepEqual(readFileSync(join(dir, 'a.tar')), readFileSync(join(dir, 'b.tar')));
  assert.ok(!existsSync(join(dir, '.a.tar.tmp-' + process.pid)));
});
