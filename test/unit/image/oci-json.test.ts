/** The pure parts of the image export: tar flags, OCI documents, names, `_pack_image` option plans, run config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootTarArgs } from '../../../src/image/tar-args.js';
import {
  canonicalJson, imageConfig, imageManifest, layoutIndex, manifestDescriptor, ociArchitecture, MEDIA_TYPES, REF_NAME_ANNOTATION,
} from '../../../src/image/oci-json.js';
import { defaultImageName, formatImageName, parseImageName } from '../../../src/image/image-name.js';
import { planPack } from '../../../src/image/pack-options.js';
import { imageEnvironment, imageRunConfig } from '../../../src/image/run-config.js';
import { compressorArgv } from '../../../src/image/compression.js';
import { ociArchiveTarArgs, skopeoEnv } from '../../../src/image/archives.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

const D1 = `sha256:${'1'.repeat(64)}` as const;
const D2 = `sha256:${'2'.repeat(64)}` as const;

test('rootTarArgs: sorted pax with fixed PaxHeaders names, no atime/ctime, numeric owners, capabilities, mount point contents excluded', () => {
  const args = rootTarArgs('/vagga/root');
  assert.deepEqual(args.slice(0, 2), ['-C', '/vagga/root']);
  for (const flag of ['--sort=name', '--numeric-owner', '--format=pax', '--xattrs', '--xattrs-include=security.capability',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime']) assert.ok(args.includes(flag), flag);
  for (const d of ['dev', 'proc', 'sys', 'run', 'tmp', 'work']) assert.ok(args.includes(`--exclude=./${d}/*`), d);
  assert.deepEqual(args.slice(-3), ['-cf', '-', '.']);
  assert.ok(rootTarArgs('/r', { xattrs: ['security.capability', 'user.overlay.*'] }).includes('--xattrs-include=user.overlay.*'));
});

test('imageConfig: fixed created, Env/Cmd/labels, diff_ids and one history entry per layer; empty fields left out', () => {
  const cfg = imageConfig([{ diffId: D1, createdBy: 'a' }, { diffId: D2, createdBy: 'b' }], {
    env: ['PATH=/bin'], cmd: ['/bin/sh'], labels: { z: '1', a: '2' }, exposedPorts: ['80/tcp'], workingDir: '/app', user: '33',
  }, 'amd64') as any;
  assert.equal(cfg.created, '1970-01-01T00:00:00Z');
  assert.equal(cfg.os, 'linux');
  assert.deepEqual(cfg.rootfs, { type: 'layers', diff_ids: [D1, D2] });
  assert.deepEqual(cfg.history, [{ created: '1970-01-01T00:00:00Z', created_by: 'a' }, { created: '1970-01-01T00:00:00Z', created_by: 'b' }]);
  assert.deepEqual(cfg.config, { User: '33', ExposedPorts: { '80/tcp': {} }, Env: ['PATH=/bin'], Cmd: ['/bin/sh'], WorkingDir: '/app', Labels: { a: '2', z: '1' } });
  assert.equal(JSON.stringify(Object.keys(cfg.config.Labels)), '["a","z"]', 'labels sorted: the digest does not depend on YAML order');
  assert.deepEqual((imageConfig([], {}) as any).config, {});
  assert.equal(ociArchitecture('x64'), 'amd64');
  assert.equal(ociArchitecture('arm64'), 'arm64');
});

test('equal inputs give byte-identical documents', () => {
  const a = canonicalJson(imageConfig([{ diffId: D1, createdBy: 'x' }], { env: ['A=1'] }, 'amd64'));
  const b = canonicalJson(imageConfig([{ diffId: D1, createdBy: 'x' }], { env: ['A=1'] }, 'amd64'));
  assert.equal(a, b);
  assert.ok(!a.includes(' '), 'compact');
});

test('imageManifest and layoutIndex: media types; an image of the same ref name is replaced, others kept', () => {
  const m = imageManifest({ digest: D1, size: 10 }, [{ digest: D2, size: 20 }]) as any;
  assert.equal(m.schemaVersion, 2);
  assert.equal(m.mediaType, MEDIA_TYPES.manifest);
  assert.deepEqual(m.config, { mediaType: MEDIA_TYPES.config, digest: D1, size: 10 });
  assert.deepEqual(m.layers, [{ mediaType: MEDIA_TYPES.layerGzip, digest: D2, size: 20 }]);
  const z = imageManifest({ digest: D1, size: 10 }, [{ digest: D2, size: 20, compression: 'zstd' }]) as any;
  assert.equal(z.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  const old = manifestDescriptor({ digest: D1, size: 1 }, 'vagga/a:1', 'vagga/a:1');
  const other = manifestDescriptor({ digest: D1, size: 1 }, 'vagga/b:1', 'vagga/b:1');
  const added = manifestDescriptor({ digest: D2, size: 2 }, 'vagga/a:1', 'vagga/a:1');
  const index = layoutIndex(added, [old, other]) as any;
  assert.deepEqual(index.manifests.map((d: any) => [d.annotations[REF_NAME_ANNOTATION], d.digest]), [['vagga/b:1', D1], ['vagga/a:1', D2]]);
});

test('parseImageName: repository and tag rules', () => {
  assert.deepEqual(parseImageName('vagga/app:v1'), { repository: 'vagga/app', tag: 'v1' });
  assert.deepEqual(parseImageName('app'), { repository: 'app', tag: 'latest' });
  assert.deepEqual(parseImageName('127.0.0.1:5000/team/app:1.0'), { repository: '127.0.0.1:5000/team/app', tag: '1.0' });
  assert.deepEqual(parseImageName('localhost/a_b.c-d/e__f:x'), { repository: 'localhost/a_b.c-d/e__f', tag: 'x' });
  assert.equal(formatImageName({ repository: 'a/b', tag: 't' }), 'a/b:t');
  for (const bad of ['App:v1', 'a/:v1', 'a:-x', 'a@sha256:00', 'a:', '/a', 'a//b', '-a']) {
    assert.throws(() => parseImageName(bad), (e: VaggaError) => e.code === 'image.bad-name' && e.exitCode === 122, bad);
  }
});

test('defaultImageName: vagga/<container>:<short hash>; a container name that cannot be a path fails with a --name hint', () => {
  assert.deepEqual(defaultImageName('web-app', 'abcd1234'), { repository: 'vagga/web-app', tag: 'abcd1234' });
  assert.throws(() => defaultImageName('WebApp', 'abcd1234'), (e: VaggaError) => e.code === 'image.bad-name' && /--name vagga\/webapp:abcd1234/.test(e.hint ?? ''));
});

test('planPack: plain tar to stdout or a file under the project; image formats need -f; conflicting options are argument errors', () => {
  assert.deepEqual(planPack({}, '/p'), { format: 'tar' });
  assert.deepEqual(planPack({ file: 'x.tar.gz', gzip: true }, '/p'), { format: 'tar', compression: 'gzip', file: '/p/x.tar.gz' });
  assert.deepEqual(planPack({ zstd: true }, '/p'), { format: 'tar', compression: 'zstd' });
  assert.deepEqual(planPack({ format: 'oci', file: '/abs/dir', name: 'a/b:c' }, '/p'), { format: 'oci', file: '/abs/dir', squash: false, name: { repository: 'a/b', tag: 'c' } });
  assert.deepEqual(planPack({ format: 'docker', file: 'img.tar', squash: true }, '/p'), { format: 'docker', file: '/p/img.tar', squash: true });
  const argsError = (e: VaggaError) => e.code === 'image.bad-args' && e.exitCode === 122;
  assert.throws(() => planPack({ format: 'oci' }, '/p'), argsError);
  assert.throws(() => planPack({ format: 'zip', file: 'x' }, '/p'), argsError);
  assert.throws(() => planPack({ gzip: true, xz: true }, '/p'), argsError);
  assert.throws(() => planPack({ format: 'oci-archive', file: 'x', gzip: true }, '/p'), argsError);
  assert.throws(() => planPack({ name: 'a:b' }, '/p'), argsError);
  assert.throws(() => planPack({ squash: true }, '/p'), argsError);
  assert.throws(() => planPack({ format: 'oci', file: 'x', name: 'A:b' }, '/p'), (e: VaggaError) => e.code === 'image.bad-name');
});

test('imageRunConfig: Env is the default PATH, then environ-file, then environ; image: fields copied', () => {
  assert.deepEqual(imageEnvironment({ A: '1', PATH: '/x' }, { B: '2', A: '0' }), ['PATH=/x', 'B=2', 'A=1']);
  assert.deepEqual(imageRunConfig({}, undefined), { env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
  const run = imageRunConfig({ X: 'y' }, { cmd: ['a'], entrypoint: ['b'], workDir: '/w', user: '1', exposedPorts: ['1/udp'], labels: { l: 'v' } });
  assert.deepEqual(run, { env: [run.env![0]!, 'X=y'], entrypoint: ['b'], cmd: ['a'], workingDir: '/w', user: '1', exposedPorts: ['1/udp'], labels: { l: 'v' } });
});

test('compressors and archive tools: reproducible flags', () => {
  assert.deepEqual(compressorArgv('gzip'), ['gzip', '-n', '-c']);
  assert.ok(compressorArgv('xz').includes('-T1'));
  const t = ociArchiveTarArgs('/l', '/o.tar');
  for (const f of ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner']) assert.ok(t.includes(f), f);
  assert.deepEqual(t.slice(-3), ['oci-layout', 'index.json', 'blobs']);
  assert.equal(skopeoEnv({ HOME: '/h' }).REGISTRY_AUTH_FILE, '/dev/null');
  assert.equal(skopeoEnv({ XDG_RUNTIME_DIR: '/run/user/1' }).REGISTRY_AUTH_FILE, undefined);
});
