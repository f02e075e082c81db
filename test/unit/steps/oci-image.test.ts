/**
 * `!OciImage` without network or namespaces: reference parsing, the pin file, the version
 * hash (digest inline, from the pin file, from an `oci:` layout; unknown while a tag is not
 * pinned) and the refusals of paths that lead out of the project.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { STEP_DEFS } from '../../../src/steps/registry.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { formatPins, isLoopbackHost, parseImageRef, parsePins, readPins } from '../../../src/steps/oci-image-ref.js';
import { imageEnv } from '../../../src/steps/oci-image.js';
import { config, container, step } from '../version/helpers.js';
import { tempDir } from '../temp-dir.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

test('parseImageRef: registry references, with tag, digest or both', () => {
  assert.deepEqual(parseImageRef('docker://127.0.0.1:5000/vt/base:stable'),
    { kind: 'docker', host: '127.0.0.1:5000', repo: 'vt/base', tag: 'stable', name: 'docker://127.0.0.1:5000/vt/base:stable' });
  assert.deepEqual(parseImageRef(`docker://reg.example/lib/debian:12@${D1}`),
    { kind: 'docker', host: 'reg.example', repo: 'lib/debian', tag: '12', digest: D1, name: 'docker://reg.example/lib/debian:12' });
  assert.deepEqual(parseImageRef(`docker://reg.example/debian@${D1}`),
    { kind: 'docker', host: 'reg.example', repo: 'debian', digest: D1, name: 'docker://reg.example/debian' });
  const latest = parseImageRef('docker://reg.example/debian');
  assert.equal(typeof latest === 'object' && latest.kind === 'docker' && latest.tag, 'latest');
});

test('parseImageRef: refuses what it cannot pin or place', () => {
  for (const bad of [
    'debian:12', 'docker://debian', 'docker://Reg/x', 'docker://reg/UPPER', 'docker://reg/x:bad tag',
    'docker://reg/x@sha256:abc', 'docker://reg/x@md5:0', 'oci:', 'oci:/abs/dir:t', 'oci:a:b:c', 'oci-archive:', 'docker-archive:x.tar', 'docker://reg/../x',
  ]) {
    assert.equal(typeof parseImageRef(bad), 'string', bad);
  }
  assert.deepEqual(parseImageRef('oci:images/base:v1'), { kind: 'oci', path: 'images/base', tag: 'v1', name: 'oci:images/base:v1' });
  assert.deepEqual(parseImageRef('oci:images/base'), { kind: 'oci', path: 'images/base', name: 'oci:images/base' });
  assert.deepEqual(parseImageRef('oci-archive:base.tar:v1'), { kind: 'oci-archive', path: 'base.tar', tag: 'v1', name: 'oci-archive:base.tar:v1' });
});

test('plain HTTP is for loopback hosts only', () => {
  for (const h of ['127.0.0.1:5000', 'localhost', 'localhost:80', '[::1]:5000', '127.1.2.3']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['reg.example', '10.0.0.1:5000', 'localhost.example', '127.0.0.1.example']) assert.ok(!isLoopbackHost(h), h);
});

test('pin file: parsed leniently, written sorted with a header', () => {
  const text = formatPins(new Map([['docker://r/b:1', D2], ['docker://r/a:1', D1]]));
  assert.match(text, /^# /);
  assert.ok(text.indexOf('docker://r/a:1') < text.indexOf('docker://r/b:1'));
  assert.deepEqual([...parsePins(text)], [['docker://r/a:1', D1], ['docker://r/b:1', D2]]);
  assert.deepEqual([...parsePins(`x ${D1} extra\ny sha256:short\n  z ${D2}  # note\n`)], [['z', D2]]);
});

function project(lock?: string): string {
  const dir = tempDir('oci-image-');
  writeFileSync(join(dir, 'vagga.yaml'), '');
  if (lock !== undefined) writeFileSync(join(dir, 'vagga-images.lock'), lock);
  return dir;
}

function version(dir: string, ref: string): { hash: string; trace: string[] } {
  const c = config([container('img', [step('OciImage', ref)])], dir);
  return containerVersion(STEP_DEFS, c, 'img', { trace: true }) as { hash: string; trace: string[] };
}

test('version: the digest is hashed, from the reference or the pin file; an unpinned tag is unknown', () => {
  const dir = project();
  assert.throws(() => version(dir, 'docker://r.example/x:1'), (e: any) => e.code === 'version.unknown' && /not pinned yet/.test(e.message));

  const inline = version(dir, `docker://r.example/x:1@${D1}`);
  assert.ok(inline.trace.includes(`  digest: "${D1}"`), inline.trace.join('\n'));
  assert.ok(inline.trace.includes('  image: "docker://r.example/x:1"'));

  writeFileSync(join(dir, 'vagga-images.lock'), formatPins(new Map([['docker://r.example/x:1', D1]])));
  assert.equal(version(dir, 'docker://r.example/x:1').hash, inline.hash, 'pinned through the file = pinned inline');
  writeFileSync(join(dir, 'vagga-images.lock'), formatPins(new Map([['docker://r.example/x:1', D2]])));
  assert.notEqual(version(dir, 'docker://r.example/x:1').hash, inline.hash, 'another digest, another version');
});

test('version: an oci: layout gives the digest its index.json names for the tag', () => {
  const dir = project();
  mkdirSync(join(dir, 'img'));
  writeFileSync(join(dir, 'img', 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
    { digest: D1, annotations: { 'org.opencontainers.image.ref.name': 'one' } },
    { digest: D2, annotations: { 'org.opencontainers.image.ref.name': 'two' } },
  ] }));
  assert.ok(version(dir, 'oci:img:two').trace.includes(`  digest: "${D2}"`));
  assert.throws(() => version(dir, 'oci:img:three'), /no single manifest tagged "three"/);
  assert.throws(() => version(dir, 'oci:img'), /2 manifests, not a single one/);
});

test('version: an oci-archive: file gives the digest its index.json names, read from the tar headers', () => {
  const dir = project();
  const layout = join(dir, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'blobs', 'sha256', 'e'.repeat(64)), 'x'.repeat(700));
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
    { digest: D1, annotations: { 'org.opencontainers.image.ref.name': 'one' } },
  ] }));
  execFileSync('tar', ['-C', layout, '-cf', join(dir, 'img.tar'), '.']);
  assert.ok(version(dir, 'oci-archive:img.tar:one').trace.includes(`  digest: "${D1}"`));
  assert.ok(version(dir, 'oci-archive:img.tar').trace.includes(`  digest: "${D1}"`));
  assert.throws(() => version(dir, 'oci-archive:img.tar:two'), /no single manifest tagged "two"/);

  symlinkSync('/etc/passwd', join(layout, 'blobs', 'sha256', 'f'.repeat(64)));
  execFileSync('tar', ['-C', layout, '-cf', join(dir, 'linked.tar'), '.']);
  assert.throws(() => version(dir, 'oci-archive:linked.tar'), /holds a link or special file/);
  writeFileSync(join(dir, 'junk.tar'), 'not a tar');
  assert.throws(() => version(dir, 'oci-archive:junk.tar'), /has no index\.json/);
});

test('paths out of the project are refused: a linked layout, a symlink inside a layout, a linked pin file', () => {
  const outside = tempDir('oci-outside-');
  writeFileSync(join(outside, 'index.json'), JSON.stringify({ manifests: [{ digest: D1 }] }));
  const dir = project();
  symlinkSync(outside, join(dir, 'linked'));
  assert.throws(() => version(dir, 'oci:linked'), /outside the project/);

  mkdirSync(join(dir, 'img'));
  symlinkSync(join(outside, 'index.json'), join(dir, 'img', 'index.json'));
  assert.throws(() => version(dir, 'oci:img'), /contains a symlink \(index\.json\)/);

  writeFileSync(join(outside, 'pins'), `docker://r.example/x:1 ${D1}\n`);
  symlinkSync(join(outside, 'pins'), join(dir, 'vagga-images.lock'));
  assert.throws(() => readPins(dir), /outside the project/);
  assert.throws(() => version(dir, 'docker://r.example/x:1'), /outside the project/);
});

test('imageEnv reads the config Env of a layout; nothing when it is unreadable', () => {
  const dir = tempDir('oci-env-');
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const cfg = 'c'.repeat(64);
  const man = 'd'.repeat(64);
  writeFileSync(join(blobs, cfg), JSON.stringify({ config: { Env: ['PATH=/bin:/usr/bin', 'A=x=y', 'BROKEN', 7] } }));
  writeFileSync(join(blobs, man), JSON.stringify({ config: { digest: `sha256:${cfg}` } }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ manifests: [{ digest: `sha256:${man}`, annotations: { 'org.opencontainers.image.ref.name': 'img' } }] }));
  assert.deepEqual(imageEnv(dir), { PATH: '/bin:/usr/bin', A: 'x=y' });
  assert.deepEqual(imageEnv(join(dir, 'missing')), {});
});
