/** The tar sandbox spec and writeRootLayer/exportImage with a replaced sandbox starter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ROOT_INSIDE, rootTarSpec, type TarSandboxStarter } from '../../../src/image/root-tar.js';
import { exportImage, writeRootLayer } from '../../../src/image/export.js';
import type { IdMapping } from '../../../src/sandbox/types.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';

const mapping: IdMapping = { uids: [{ inside: 0, outside: 1000, count: 1 }], gids: [{ inside: 0, outside: 1000, count: 1 }] };

test('rootTarSpec: the root read-only at /vagga/root, host /usr, tar with the container map, stdout piped', () => {
  const spec = rootTarSpec('/s/.roots/a.12345678/root', mapping);
  assert.deepEqual(spec.mounts.find((m) => m.kind === 'bind' && m.dest === ROOT_INSIDE), { kind: 'bind', source: '/s/.roots/a.12345678/root', dest: ROOT_INSIDE, readOnly: true });
  assert.ok(spec.mounts.some((m) => m.kind === 'bind' && m.dest === '/usr' && m.readOnly));
  assert.equal(spec.argv[0], '/usr/bin/tar');
  assert.deepEqual(spec.argv.slice(1, 3), ['-C', ROOT_INSIDE]);
  assert.equal(spec.idMapping, mapping);
  assert.equal(spec.stdout, 'pipe');
  assert.equal(spec.stdin, 'null');
  assert.equal(rootTarSpec('/r', mapping, {}, 'inherit').stdout, 'inherit');
  assert.ok(!spec.mounts.some((m) => m.kind === 'bind' && !m.readOnly), 'nothing writable');
});

const fakeTar = (bytes: Buffer, status: number): TarSandboxStarter => () => ({
  stdout: Readable.from([bytes]),
  done: Promise.resolve({ status }),
});

test('exportImage with a stand-in tar: one layer whose diffID is the tar, a layout with the image; a failing tar is image.tar-failed', async () => {
  const root = tempDir('vagga-image-root-');
  const dir = tempDir('vagga-image-');
  const tar = Buffer.alloc(2048, 7);
  const r = await exportImage({
    rootfs: root, idMapping: mapping, layoutDir: join(dir, 'out'), name: { repository: 'vagga/x', tag: 'abcd1234' },
    config: { env: ['PATH=/bin'] }, startTar: fakeTar(tar, 0),
  });
  assert.equal(r.layers.length, 1);
  assert.equal(r.layers[0]!.tarSize, 2048);
  assert.equal(r.refName, 'vagga/x:abcd1234');
  assert.ok(existsSync(join(dir, 'out/blobs/sha256', r.manifestDigest.slice(7))));
  await assert.rejects(writeRootLayer(root, mapping, join(dir, 'bad'), { startTar: fakeTar(tar, 2) }),
    (e: VaggaError) => e.code === 'image.tar-failed' && e.exitCode === 121);
  assert.ok(!existsSync(join(dir, 'bad/index.json')));
  assert.deepEqual(readdirSync(join(dir, 'bad/blobs/sha256')), [], 'the blob of the failed tar is removed');
  assert.ok(readdirSync(join(dir, 'out/blobs/sha256')).every((f) => /^[0-9a-f]{64}$/.test(f)));
});
