/** The image-cache planner (src/image/cache/plan.ts, pure) and the unpack sandbox specs. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { cacheSource, planImageCache, substituteCacheUrl, tarCompressionOf, type CachePlanInput } from '../../../src/image/cache/plan.js';
import { extractTarArgs, tarUnpackSpec, umociUnpackSpec } from '../../../src/image/cache/unpack.js';
import { pushScriptEnv } from '../../../src/image/cache/push-script.js';

const VERSION = 'ab12cd34'.padEnd(128, '0');
const base: CachePlanInput = {
  template: 'docker://127.0.0.1:5000/team/${container_name}:${short_hash}',
  containerName: 'app', version: VERSION, forced: false, noImageDownload: false, projectRoot: '/p', externalVolumes: { shared: '/srv/shared' },
};

test('Vagga\'s two variables are substituted everywhere', () => {
  assert.equal(substituteCacheUrl('http://HOST/${container_name}/${container_name}-${short_hash}.tar.gz', 'c', 'ab12cd34'), 'http://HOST/c/c-ab12cd34.tar.gz');
});

test('a registry URL plans a registry download with the short hash as tag', () => {
  assert.deepEqual(planImageCache(base), {
    use: true, url: 'docker://127.0.0.1:5000/team/app:ab12cd34',
    source: { kind: 'registry', ref: { host: '127.0.0.1:5000', repository: 'team/app', tag: 'ab12cd34' } },
  });
});

test('no download: no URL, --no-image-download, forced, unknown version', () => {
  assert.equal(planImageCache({ ...base, template: undefined }).use, false);
  assert.deepEqual(planImageCache({ ...base, noImageDownload: true }), { use: false, reason: '--no-image-download' });
  assert.deepEqual(planImageCache({ ...base, forced: true }), { use: false, reason: 'a forced rebuild' });
  assert.equal(planImageCache({ ...base, version: undefined }).use, false);
});

test('a container name that is not a repository name: no download, a warning naming the rule', () => {
  const plan = planImageCache({ ...base, containerName: 'MyApp' });
  assert.equal(plan.use, false);
  assert.ok(!plan.use && /must be lowercase/.test(plan.warning!) && /rename the container/.test(plan.warning!));
});

test('tarball forms: http(s), ./ under the project, /volumes/NAME, absolute; compression by ending', () => {
  assert.deepEqual(cacheSource('https://HOST/x.tar.xz', '/p', {}), { kind: 'http', url: 'https://HOST/x.tar.xz', compression: 'xz' });
  assert.deepEqual(cacheSource('./img/x.tgz', '/p', {}), { kind: 'file', path: '/p/img/x.tgz', compression: 'gzip' });
  assert.deepEqual(cacheSource('/volumes/shared/x.tar.bz2', '/p', { shared: '/srv/shared' }), { kind: 'file', path: '/srv/shared/x.tar.bz2', compression: 'bzip2' });
  assert.deepEqual(cacheSource('/abs/x.tar', '/p', {}), { kind: 'file', path: '/abs/x.tar', compression: 'none' });
  assert.throws(() => cacheSource('/volumes/nope/x.tar', '/p', {}), /external-volumes setting does not define/);
  assert.throws(() => cacheSource('ftp://HOST/x.tar', '/p', {}), /unsupported scheme/);
  assert.equal(tarCompressionOf('http://HOST/x.tar.gz?sig=1'), 'gzip');
  assert.equal(tarCompressionOf('http://HOST/x.tar.zst'), 'zstd');
  assert.deepEqual(extractTarArgs('/r', 'zstd').slice(-3), ['--zstd', '-f', '-']);
});

test('unpacking runs tar / umoci inside the namespace with the build dir bound', () => {
  const mapping = { uids: [{ inside: 0, outside: 1000, count: 1 }], gids: [{ inside: 0, outside: 1000, count: 1 }] };
  assert.deepEqual(extractTarArgs('/r', 'xz'), ['-C', '/r', '-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '-J', '-f', '-']);
  const t = tarUnpackSpec('/b/root', mapping, 'none');
  assert.equal(t.stdin, 'pipe');
  assert.deepEqual(t.mounts.at(-1), { kind: 'bind', source: '/b/root', dest: '/vagga/root', readOnly: false });
  assert.equal(t.shareNet, false);
  const u = umociUnpackSpec('/b/oci', 'ab12cd34', '/b', mapping);
  assert.deepEqual(u.argv, ['/usr/bin/umoci', 'raw', 'unpack', '--image', '/vagga/image:ab12cd34', '/vagga/build/root']);
  assert.ok(u.mounts.some((m) => m.kind === 'bind' && m.source === '/b/oci' && m.readOnly));
});

test('push-image-script gets image_path, container_name and short_hash', () => {
  assert.deepEqual(pushScriptEnv({ PATH: '/bin' }, '/r/app.ab12cd34/image.tar.xz', 'app', 'ab12cd34'),
    { PATH: '/bin', image_path: '/r/app.ab12cd34/image.tar.xz', container_name: 'app', short_hash: 'ab12cd34' });
});
