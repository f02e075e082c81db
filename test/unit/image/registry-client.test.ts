/**
 * The registry client (src/image/registry/) against a small in-process registry that
 * speaks the distribution API subset and demands a bearer token (so the 401 → token →
 * retry path is exercised with real HTTP), plus reference parsing, challenges and
 * credential files.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { credentialsFor, parseChallenge } from '../../../src/image/registry/auth.js';
import { MANIFEST_TYPES, RegistryClient, platformArch, sha256Of } from '../../../src/image/registry/client.js';
import { isLoopbackHost, parseRegistryRef, registryBaseUrl } from '../../../src/image/registry/reference.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

describe('references', () => {
  test('docker://HOST:PORT/REPO:TAG, default tag latest', () => {
    assert.deepEqual(parseRegistryRef('docker://127.0.0.1:5000/team/app:ab12cd34'), { host: '127.0.0.1:5000', repository: 'team/app', tag: 'ab12cd34' });
    assert.deepEqual(parseRegistryRef('docker://HOST/app'), { host: 'HOST', repository: 'app', tag: 'latest' });
    assert.deepEqual(parseRegistryRef('docker://[::1]:5000/a/b:c'), { host: '[::1]:5000', repository: 'a/b', tag: 'c' });
  });
  test('an uppercase repository component is refused with a hint to rename the container', () => {
    assert.throws(() => parseRegistryRef('docker://HOST/team/MyApp:1', 'image-cache-url'), (err: VaggaError) => {
      assert.equal(err.code, 'registry.bad-reference');
      assert.match(err.message, /Invalid image-cache-url "docker:\/\/HOST\/team\/MyApp:1": repository "team\/MyApp" must be lowercase/);
      assert.match(err.hint!, /rename the container/);
      return true;
    });
    for (const bad of ['HOST/app:1', 'docker://app', 'docker://HOST/app@sha256:00', 'docker://HOST/a..b:1', 'docker://HOST/app:-x', 'docker://ho_st/app:1']) {
      assert.throws(() => parseRegistryRef(bad), (e: VaggaError) => e.code === 'registry.bad-reference', bad);
    }
  });
  test('plain HTTP only for loopback hosts and insecure-registries entries', () => {
    assert.ok(isLoopbackHost('127.0.0.1:5000') && isLoopbackHost('127.9.8.7') && isLoopbackHost('localhost:1') && isLoopbackHost('[::1]:5000'));
    assert.ok(!isLoopbackHost('10.0.0.1:5000') && !isLoopbackHost('HOST:5000') && !isLoopbackHost('127.0.0.1.example'));
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000/v2/');
    assert.equal(registryBaseUrl('HOST:5000'), 'https://HOST:5000/v2/');
    assert.equal(registryBaseUrl('HOST:5000', ['HOST:5000']), 'http://HOST:5000/v2/');
    assert.equal(registryBaseUrl('HOST:5000', ['HOST']), 'http://HOST:5000/v2/');
    assert.equal(registryBaseUrl('HOST:5000', ['HOST:6000']), 'https://HOST:5000/v2/');
  });
  test('platform architecture names', () => {
    assert.equal(platformArch('x64'), 'amd64');
    assert.equal(platformArch('arm64'), 'arm64');
  });
});

describe('auth', () => {
  test('WWW-Authenticate challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="http://h/token",service="reg",scope="repository:a/b:pull"'),
      { scheme: 'bearer', params: { realm: 'http://h/token', service: 'reg', scope: 'repository:a/b:pull' } });
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.equal(parseChallenge(null), undefined);
  });
  test('credentials: REGISTRY_AUTH_FILE before ~/.docker/config.json; keys with scheme and /v2/', () => {
    const d = mkdtempSync(join(tmpdir(), 'vagga-auth-'));
    mkdirSync(join(d, '.docker'));
    const auth = (s: string) => Buffer.from(s).toString('base64');
    writeFileSync(join(d, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://HOST:5000/v2/': { auth: auth('docker:pw') }, OTHER: { auth: auth('o:p') } } }));
    writeFileSync(join(d, 'auth.json'), JSON.stringify({ auths: { 'HOST:5000': { auth: auth('podman:pw') } } }));
    assert.equal(credentialsFor('HOST:5000', { HOME: d }), 'docker:pw');
    assert.equal(credentialsFor('HOST:5000', { HOME: d, REGISTRY_AUTH_FILE: join(d, 'auth.json') }), 'podman:pw');
    assert.equal(credentialsFor('OTHER', { HOME: d, REGISTRY_AUTH_FILE: join(d, 'auth.json') }), 'o:p');
    assert.equal(credentialsFor('NONE', { HOME: d }), undefined);
    assert.equal(credentialsFor('HOST:5000', { HOME: join(d, 'missing') }), undefined);
  });
});

/** A minimal registry: blobs and manifests in memory, every /v2/ request needs `Bearer good-token`. */
function fakeRegistry() {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { body: Buffer; type: string }>();
  const uploads = new Map<string, Buffer[]>();
  const log: string[] = [];
  let tamper: string | undefined;
  let tokenRequests = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    log.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/token') {
      tokenRequests++;
      assert.equal(url.searchParams.get('service'), 'fake');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'good-token' }));
      return;
    }
    if (req.headers.authorization !== 'Bearer good-token') {
      const port = (server.address() as AddressInfo).port;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="fake",scope="repository:x:pull"` }).end();
      return;
    }
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (req.method === 'POST' && url.pathname.endsWith('/blobs/uploads/')) {
      const id = randomBytes(4).toString('hex');
      uploads.set(id, []);
      res.writeHead(202, { location: `/v2/upload/${id}?state=1` }).end();
      return;
    }
    const up = /^\/v2\/upload\/(\w+)$/.exec(url.pathname);
    if (up && req.method === 'PATCH') {
      uploads.get(up[1]!)!.push(...body);
      res.writeHead(202, { location: `/v2/upload/${up[1]}?state=2` }).end();
      return;
    }
    if (up && req.method === 'PUT') {
      const data = Buffer.concat(uploads.get(up[1]!)!);
      const digest = url.searchParams.get('digest')!;
      if (sha256Of(data) !== digest) {
        res.writeHead(400).end('DIGEST_INVALID');
        return;
      }
      blobs.set(digest, data);
      res.writeHead(201, { 'docker-content-digest': digest }).end();
      return;
    }
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, , kind, ref] = m;
    if (kind === 'blobs') {
      const b = blobs.get(ref!);
      if (!b) {
        res.writeHead(404).end();
        return;
      }
      const out = ref === tamper ? Buffer.from(b.map((x, i) => (i === 0 ? x ^ 1 : x))) : b;
      res.writeHead(200, { 'content-length': String(out.length) }).end(req.method === 'HEAD' ? undefined : out);
      return;
    }
    if (req.method === 'PUT') {
      const whole = Buffer.concat(body);
      const entry = { body: whole, type: req.headers['content-type']! };
      manifests.set(ref!, entry);
      manifests.set(sha256Of(whole), entry);
      res.writeHead(201, { 'docker-content-digest': sha256Of(whole) }).end();
      return;
    }
    const found = manifests.get(ref!);
    if (!found) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': found.type, 'docker-content-digest': sha256Of(found.body), 'content-length': String(found.body.length) })
      .end(req.method === 'HEAD' ? undefined : found.body);
  });
  return {
    server, blobs, manifests, log,
    setTamper(d: string | undefined) { tamper = d; },
    tokens: () => tokenRequests,
  };
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('RegistryClient against a registry that wants a bearer token', () => {
  const reg = fakeRegistry();
  let host = '';
  before(async () => {
    await new Promise<void>((r) => reg.server.listen(0, '127.0.0.1', () => r()));
    host = `127.0.0.1:${(reg.server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => reg.server.close(() => r())));

  const layer = randomBytes(200_000);
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['sha256:00'] } }));

  test('push: streamed blob (token fetched once), skip of a present blob, manifest PUT', async () => {
    const client = new RegistryClient({ host, repository: 'team/app' });
    const pushed = await client.pushBlob(Readable.from([layer.subarray(0, 70_000), layer.subarray(70_000)]));
    assert.deepEqual(pushed, { digest: sha256Of(layer), size: layer.length, skipped: false });
    assert.equal(reg.tokens(), 1);
    const again = await client.pushBlob(Readable.from([layer]), sha256Of(layer));
    assert.equal(again.skipped, true);
    await client.pushBytes(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MANIFEST_TYPES.oci,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Of(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Of(layer), size: layer.length }],
    }));
    assert.equal(await client.putManifest('v1', manifest, MANIFEST_TYPES.oci), sha256Of(manifest));
  });

  test('pull: HEAD probe, manifest, blob streamed through its digest check', async () => {
    const client = new RegistryClient({ host, repository: 'team/app' });
    assert.equal(await client.headManifest('missing'), undefined);
    const probe = await client.headManifest('v1');
    assert.match(probe!.digest!, /^sha256:/);
    const got = await client.getManifest('v1');
    assert.equal(got!.digest, probe!.digest);
    assert.equal(got!.manifest.layers[0]!.digest, sha256Of(layer));
    assert.deepEqual(await collect(await client.blobStream(got!.manifest.layers[0]!)), layer);
  });

  test('a blob with other content is refused with registry.digest-mismatch', async () => {
    const client = new RegistryClient({ host, repository: 'team/app' });
    reg.setTamper(sha256Of(layer));
    try {
      await assert.rejects(collect(await client.blobStream({ digest: sha256Of(layer), size: layer.length })),
        (e: VaggaError) => e.code === 'registry.digest-mismatch' && /digest mismatch \(expected sha256:/.test(e.message));
    } finally {
      reg.setTamper(undefined);
    }
  });

  test('an index resolves to the linux/<arch> manifest; no entry for the platform is an error', async () => {
    const client = new RegistryClient({ host, repository: 'team/app' });
    const amd = (await client.getManifest('v1'))!;
    const index = (arch: string) => Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex,
      manifests: [
        { mediaType: MANIFEST_TYPES.oci, digest: sha256Of('nothing'), size: 7, platform: { os: 'linux', architecture: 's390x' } },
        { mediaType: MANIFEST_TYPES.oci, digest: amd.digest, size: amd.bytes.length, platform: { os: 'linux', architecture: arch } },
      ],
    }));
    await client.putManifest('multi', index(platformArch()), MANIFEST_TYPES.ociIndex);
    assert.equal((await client.getManifest('multi'))!.digest, amd.digest);
    await client.putManifest('other', index('mips64le'), MANIFEST_TYPES.ociIndex);
    await assert.rejects(client.getManifest('other'), (e: VaggaError) => e.code === 'registry.no-platform');
  });

  test('an unreachable registry is registry.unreachable naming the host', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const client = new RegistryClient({ host: `127.0.0.1:${port}`, repository: 'a' });
    await assert.rejects(client.headManifest('x'), (e: VaggaError) => e.code === 'registry.unreachable' && e.message.includes(`127.0.0.1:${port}`) && /ECONNREFUSED/.test(e.message));
  });
});

test('sha256Of', () => {
  assert.equal(sha256Of(''), `sha256:${createHash('sha256').update('').digest('hex')}`);
});
