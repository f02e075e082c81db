/**
 * End-to-end: a registry (and a plain HTTP server) as the shared build cache (issue 10
 * part 2). Real parts: Debian's docker-registry as the test user on 127.0.0.1 at a free
 * port (registry.ts), a second ordinary user (vagga-e2e7 by default, its own cache
 * dir and its own copy of the project). User A builds and `_push_image`s; user B with the
 * same vagga.yaml gets the container from the registry without running a step, and both
 * roots have the same index (file list, owners, modes, sizes and contents). A registry that
 * is down, a missing tag and a tampered blob each fall back to building with one warning.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, createReadStream, existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from './fixtures.js';
import { cleanupStage, e2eEnv, ensureUser, linkHash, makeProject, show, vagga, type E2EEnv } from './harness.js';
import { startRegistry, type Registry } from './registry.js';
import { RegistryClient, sha256Of } from '../../src/image/registry/client.js';
import { gzipSync } from 'node:zlib';

after(cleanupStage);

const SECOND_USER = process.env.VAGGA_E2E_USER2 ?? 'vagga-e2e7';

const setup = `
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /data/sub /srv
        echo owned by 1000 > /data/owned
        chown 1000:1001 /data/owned
        chmod 640 /data/owned
        chown 33:33 /data/sub
        chmod 2750 /data/sub
        echo setuid > /srv/suid
        chmod 4755 /srv/suid
        ln /srv/suid /srv/hardlink
        ln -s ../data/owned /srv/link`;

const yaml = (host: string, closedPort: number, extra = '') => `
containers:
  app:
    image-cache-url: docker://${host}/e2e/\${container_name}:\${short_hash}
    setup:${setup}
  down:
    image-cache-url: docker://127.0.0.1:${closedPort}/e2e/\${container_name}:\${short_hash}
    setup:${setup}
    - !Sh echo down > /down
  missing:
    image-cache-url: docker://${host}/e2e/\${container_name}:\${short_hash}
    setup:${setup}
    - !Sh echo missing > /missing
  tampered:
    image-cache-url: docker://${host}/e2e/\${container_name}:\${short_hash}
    setup:${setup}
    - !Sh echo tampered > /tampered
  multi:
    image-cache-url: docker://${host}/e2e/\${container_name}:\${short_hash}
    setup:${setup}
    - !Sh echo multi > /multi
  Upper:
    image-cache-url: docker://${host}/e2e/\${container_name}:\${short_hash}
    setup:
    - !Tar { url: ./busybox.tar }
${extra}`;

type Who = { user: string; uid: number; gid: number; home: string };

const STEP_LINE = /^Step \d+\/\d+ /m;
const WARNING = /^Warning: Error when unpacking image .* Will clean and build it locally\.\.\.$/gm;

function versionDir(dir: string, name: string): string {
  return dirname(realpathSync(join(dir, '.vagga', name)));
}

/** A copy of project `dir` (vagga.yaml and busybox.tar only) owned by `who`. */
function copyProjectFor(dir: string, who: Who, suffix: string): string {
  const dest = `${dir}-${suffix}`;
  for (const f of ['vagga.yaml', 'busybox.tar']) cpSync(join(dir, f), join(dest, f));
  chownSync(dest, who.uid, who.gid);
  for (const e of readdirSync(dest)) chownSync(join(dest, e), who.uid, who.gid);
  return dest;
}

describe('image-cache-url and _push_image', () => {
  let env: E2EEnv;
  let reg: Registry;
  let dir: string;
  let who: Who;
  let projectB: string;
  const asB = (args: string[], opts: Parameters<typeof vagga>[2] = {}) => vagga(projectB, args, { asUser: who, timeoutMs: 300_000, ...opts });

  before(async () => {
    env = await e2eEnv();
    reg = await startRegistry();
    dir = await makeProject({ 'vagga.yaml': yaml(reg.host, await freePort()) }, { name: 'imgcache' });
    who = { user: SECOND_USER, ...(await ensureUser(SECOND_USER)) };
    projectB = copyProjectFor(dir, who, 'b');
  });
  after(async () => {
    await reg?.stop();
  });

  test('_push_image without push-image-script or a docker:// image-cache-url fails with Vagga\'s message', async () => {
    const p = await makeProject({ 'vagga.yaml': 'containers:\n  plain:\n    setup:\n    - !Tar { url: ./busybox.tar }\n' }, { name: 'imgcache-plain' });
    const r = await vagga(p, ['_push_image', 'plain']);
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /You should specify 'push-image-script' setting/, show(r));
  });

  test('user A pushes; user B gets the same root from the registry without building', async () => {
    let r = await vagga(dir, ['_build', 'app']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, WARNING, 'A has nothing to download yet: one warning, then the build');
    r = await vagga(dir, ['_push_image', 'app']);
    assert.equal(r.status, 0, show(r));
    const short = linkHash(dir, 'app')!;
    assert.match(r.stderr, new RegExp(`^Pushed container app \\(${short}\\) to docker://${reg.host}/e2e/app:${short} \\(manifest sha256:[0-9a-f]{64}; 1 of 1 layer uploaded\\)$`, 'm'), show(r));
    const head = await fetch(`${reg.url}/v2/e2e/app/manifests/${short}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(head.status, 200);
    assert.ok(!existsSync(join(versionDir(dir, 'app'), 'image-oci')), 'the export layout is removed after the push');

    r = await asB(['_build', 'app']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, STEP_LINE, show(r));
    assert.doesNotMatch(r.stderr, /Warning/, show(r));
    assert.match(r.stderr, new RegExp(`^Container app \\(${short}\\) downloaded in \\d+(\\.\\d)? seconds\\.$`, 'm'), show(r));
    assert.equal(linkHash(projectB, 'app'), short);
    const dirB = versionDir(projectB, 'app');
    assert.match(readFileSync(join(dirB, 'build.log'), 'utf8'), new RegExp(`^Downloaded container app from docker://${reg.host}/e2e/app:${short} \\(manifest sha256:[0-9a-f]{64}, 1 layer\\) instead of building it$`, 'm'));
    // B's index was read from the zstd layer as it streamed into tar (A's is a walk of A's root).
    assert.match(readFileSync(join(dirB, 'timings.log'), 'utf8'), /Index \(read from the archive\)$/m);
    // The same file list, types, modes, owners (as the container sees them), sizes and contents.
    const indexA = readFileSync(join(versionDir(dir, 'app'), 'index.txt'), 'utf8');
    const indexB = readFileSync(join(dirB, 'index.txt'), 'utf8');
    assert.equal(indexB, indexA);
    assert.match(indexA, /^f \/data\/owned 0640 1000 1001 /m);
    assert.match(indexA, /^d \/data\/sub 2750 33 33$/m);
    assert.match(indexA, /^f \/srv\/suid 4755 0 0 /m);
    // On the host B's files belong to B's own ids; the hard link survived.
    assert.equal(statSync(join(dirB, 'root/srv/suid')).uid, who.uid);
    assert.notEqual(statSync(join(dirB, 'root/data/owned')).uid, statSync(join(versionDir(dir, 'app'), 'root/data/owned')).uid);
    assert.equal(statSync(join(dirB, 'root/srv/suid')).ino, statSync(join(dirB, 'root/srv/hardlink')).ino);
    for (const f of ['uid_map', 'gid_map', 'steps.json']) assert.ok(existsSync(join(dirB, f)), f);
    // B's root verifies against its index, and runs.
    r = await asB(['_verify', 'app']);
    assert.equal(r.status, 0, show(r));
    r = await asB(['_run', 'app', 'cat', '/data/owned']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'owned by 1000\n');
  });

  test('--no-image-download builds even though the registry has the image', async () => {
    const c = copyProjectFor(dir, who, 'nodl');
    const r = await vagga(c, ['--no-image-download', '_build', 'app'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, STEP_LINE, show(r));
    assert.doesNotMatch(r.stderr, /downloaded in/, show(r));
  });

  test('a registry that is down: one warning, then a local build', async () => {
    const r = await asB(['_build', 'down']);
    assert.equal(r.status, 0, show(r));
    const warnings = r.stderr.match(WARNING) ?? [];
    assert.equal(warnings.length, 1, show(r));
    assert.match(warnings[0]!, /Cannot reach the registry 127\.0\.0\.1:\d+ .*ECONNREFUSED/, show(r));
    assert.match(r.stderr, STEP_LINE, show(r));
  });

  test('a tag the registry does not have: one warning, then a local build', async () => {
    const r = await asB(['_build', 'missing']);
    assert.equal(r.status, 0, show(r));
    const warnings = r.stderr.match(WARNING) ?? [];
    assert.equal(warnings.length, 1, show(r));
    assert.match(warnings[0]!, /no image tagged [0-9a-f]{8} \(404\)/, show(r));
    assert.match(r.stderr, STEP_LINE, show(r));
  });

  test('a tampered layer blob is refused (digest mismatch); the container is built locally', async () => {
    let r = await vagga(dir, ['_push_image', 'tampered']);
    assert.equal(r.status, 0, show(r));
    const short = linkHash(dir, 'tampered')!;
    const manifest = await (await fetch(`${reg.url}/v2/e2e/tampered/manifests/${short}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json() as { layers: { digest: string }[] };
    const hex = manifest.layers[0]!.digest.slice('sha256:'.length);
    const data = join(reg.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(data);
    bytes[bytes.length - 100] ^= 0xff; // same size, other content
    writeFileSync(data, bytes);
    r = await asB(['_build', 'tampered']);
    assert.equal(r.status, 0, show(r));
    const warnings = r.stderr.match(WARNING) ?? [];
    assert.equal(warnings.length, 1, show(r));
    assert.match(warnings[0]!, new RegExp(`digest mismatch \\(expected sha256:${hex}`), show(r));
    assert.match(r.stderr, STEP_LINE, show(r));
    r = await asB(['_run', 'tampered', 'cat', '/tampered']);
    assert.equal(r.stdout, 'tampered\n', show(r));
  });

  test('a two-layer image with a whiteout is unpacked with umoci in B\'s namespace (owners kept, whiteout applied)', async () => {
    // Layer 1: the pushed single-layer image of "app"; layer 2 (made here): /etc/extra owned by 33, /srv/link removed.
    const shortApp = linkHash(dir, 'app')!;
    const client = new RegistryClient({ host: reg.host, repository: 'e2e/app' });
    const base = (await client.getManifest(shortApp))!;
    const baseConfig = JSON.parse((await client.blobBytes(base.manifest.config)).toString()) as { rootfs: { diff_ids: string[] } };
    const tree = join((await e2eEnv()).stageDir, 'layer2');
    spawnSync('install', ['-d', join(tree, 'etc'), join(tree, 'srv')]);
    writeFileSync(join(tree, 'etc/extra'), 'from layer 2\n');
    writeFileSync(join(tree, 'srv/.wh.link'), '');
    const tar = spawnSync('tar', ['-C', tree, '--sort=name', '--owner=33', '--group=33', '--numeric-owner', '-cf', '-', 'etc/extra', 'srv/.wh.link'], { maxBuffer: 1 << 24 });
    assert.equal(tar.status, 0, String(tar.stderr));
    const layer2 = gzipSync(tar.stdout);
    // Build "multi" as A to learn its version, then put the two-layer image under its tag.
    let r = await vagga(dir, ['--no-image-download', '_build', 'multi']);
    assert.equal(r.status, 0, show(r));
    const short = linkHash(dir, 'multi')!;
    const target = new RegistryClient({ host: reg.host, repository: 'e2e/multi' });
    const { Readable } = await import('node:stream');
    await target.pushBlob(await client.blobStream(base.manifest.layers[0]!), base.manifest.layers[0]!.digest);
    await target.pushBlob(Readable.from([layer2]), sha256Of(layer2));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [baseConfig.rootfs.diff_ids[0], sha256Of(tar.stdout)] } }));
    await target.pushBytes(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Of(config), size: config.length },
      layers: [base.manifest.layers[0], { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Of(layer2), size: layer2.length }],
    }));
    await target.putManifest(short, manifest, 'application/vnd.oci.image.manifest.v1+json');

    r = await asB(['_build', 'multi']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, STEP_LINE, show(r));
    assert.match(readFileSync(join(versionDir(projectB, 'multi'), 'build.log'), 'utf8'), /\(manifest sha256:[0-9a-f]{64}, 2 layers\)/);
    const index = readFileSync(join(versionDir(projectB, 'multi'), 'index.txt'), 'utf8');
    assert.match(index, /^f \/etc\/extra 0644 33 33 13 /m);
    assert.doesNotMatch(index, /^l \/srv\/link /m);
    assert.match(index, /^f \/data\/owned 0640 1000 1001 /m);
    assert.doesNotMatch(index, /\.wh\./);
    r = await asB(['_verify', 'multi']);
    assert.equal(r.status, 0, show(r));
  });

  test('a container name that is not a valid repository name: _push_image fails clearly, a build warns and builds', async () => {
    let r = await vagga(dir, ['_push_image', 'Upper']);
    assert.equal(r.status, 122, show(r));
    assert.match(r.stderr, /Invalid image-cache-url of container "Upper" .*repository "e2e\/Upper" must be lowercase/, show(r));
    assert.match(r.stderr, /rename the container/, show(r));
    r = await asB(['_build', 'Upper']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /^Warning: Invalid image-cache-url "docker:\/\/.*\/e2e\/Upper:[0-9a-f]{8}".*Will build it locally\.\.\.$/m, show(r));
    assert.match(r.stderr, STEP_LINE, show(r));
  });
});

describe('image-cache-url over plain HTTP (Vagga\'s tarball form) and push-image-script', () => {
  let server: Server;
  let port: number;
  let served: string;
  const requests: string[] = [];

  before(async () => {
    const env = await e2eEnv();
    served = join(env.stageDir, 'served');
    spawnSync('install', ['-d', '-m', '0777', served]);
    port = await freePort();
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const file = join(served, (req.url ?? '').replace(/^\/images\//, ''));
      if (!req.url?.startsWith('/images/') || !existsSync(file)) {
        res.writeHead(404).end('not here');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
  });

  test('user A pushes with push-image-script ($image_path, $container_name, $short_hash); user B downloads the tar.xz', async () => {
    const yamlText = `
containers:
  web:
    image-cache-url: http://127.0.0.1:${port}/images/\${container_name}.\${short_hash}.tar.xz
    setup:${setup}
`;
    const dir = await makeProject({ 'vagga.yaml': yamlText }, { name: 'imgcache-http' });
    const env = await e2eEnv();
    const settings = `cache-dir: ${env.cacheDir}\npush-image-script: cp "$image_path" ${served}/$container_name.$short_hash.tar.xz\n`;
    let r = await vagga(dir, ['_build', 'web'], { settings });
    assert.equal(r.status, 0, show(r));
    const short = linkHash(dir, 'web')!;
    assert.ok(requests.includes(`/images/web.${short}.tar.xz`), requests.join(' '));
    r = await vagga(dir, ['_push_image', 'web'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /^\+ cp /m, 'the script runs with sh -x');
    assert.ok(existsSync(join(served, `web.${short}.tar.xz`)));
    assert.ok(!existsSync(join(versionDir(dir, 'web'), 'image.tar.xz')), 'image.tar.xz is deleted after the script');

    const who = { user: SECOND_USER, ...(await ensureUser(SECOND_USER)) };
    const b = copyProjectFor(dir, who, 'b');
    r = await vagga(b, ['_build', 'web'], { asUser: who, timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, STEP_LINE, show(r));
    assert.match(r.stderr, /^Container web \([0-9a-f]{8}\) downloaded in /m, show(r));
    assert.equal(
      readFileSync(join(versionDir(b, 'web'), 'index.txt'), 'utf8'),
      readFileSync(join(versionDir(dir, 'web'), 'index.txt'), 'utf8'),
    );
    assert.match(readFileSync(join(versionDir(b, 'web'), 'build.log'), 'utf8'), /\(a tarball\) instead of building it/);
  });
});
