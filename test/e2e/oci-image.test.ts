/**
 * End-to-end: `!OciImage` (issue 10 part 3) against real parts, as the test user.
 *
 * - An image pushed (skopeo) to a loopback `docker-registry` is the base of a container: a
 *   command runs in it, whiteouts, an opaque directory and owners of the layers are applied,
 *   the image's Env reaches the following steps; the tag's digest is resolved once, printed,
 *   recorded in vagga-images.lock and shown by `_version_hash --debug-versioning`.
 * - A moved tag does not change the container; deleting the pin follows the tag again.
 * - A hostile two-layer image (`evil -> <host dir>`, then `evil/pwned`) from an `oci:` layout
 *   (and the same as an `oci-archive:` file) in the project writes nothing outside the root;
 *   a layout reached through a symlink out of the project is refused.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, writeProjectFile } from './harness.js';
import { HOST_ARCH, busyboxEntries, makeTar, writeOciIndex, writeOciLayout, type TarEntry } from './oci-layout.js';
import { startRegistry, type Registry } from './registry.js';

after(cleanupStage);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The image's second layer: whiteouts for /etc/motd and /data, the new /data, a version file. */
function upperLayer(version: string): Buffer {
  return makeTar([
    { type: 'file', path: 'etc/.wh.motd', content: '' },
    { type: 'dir', path: 'data', mode: 0o750, uid: 33, gid: 33 },
    { type: 'file', path: 'data/.wh..wh..opq', content: '' },
    { type: 'file', path: 'data/new', content: 'new\n', uid: 33, gid: 33 },
    { type: 'file', path: 'etc/image-version', content: `${version}\n` },
  ]);
}

const LOWER: TarEntry[] = [
  ...busyboxEntries(),
  { type: 'dir', path: 'etc' },
  { type: 'file', path: 'etc/motd', content: 'hello\n' },
  { type: 'file', path: 'etc/keep', content: 'kept\n' },
  { type: 'dir', path: 'data' },
  { type: 'file', path: 'data/old', content: 'old\n' },
];

/** Run skopeo as the suite's process (XDG_RUNTIME_DIR set, as skopeo needs it). */
async function skopeo(args: string[]): Promise<string> {
  const runtimeDir = mkdtempSync(join((await e2eEnv()).stageDir, 'xdg-'));
  const r = spawnSync('skopeo', args, { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
  assert.equal(r.status, 0, `skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Build an image with `/etc/image-version` = `version` and push it to `reg` as `repo:tag`. */
async function pushImage(reg: Registry, repo: string, tag: string, version: string): Promise<string> {
  const env = await e2eEnv();
  const layout = mkdtempSync(join(env.stageDir, 'layout-'));
  writeOciLayout(layout, { layers: [makeTar(LOWER), upperLayer(version)], env: ['PATH=/bin', 'FROM_IMAGE=set-by-image'], tag });
  await skopeo(['copy', '--dest-tls-verify=false', `oci:${layout}:${tag}`, `docker://${reg.host}/${repo}:${tag}`]);
  const head = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } });
  assert.equal(head.status, 200);
  return head.headers.get('docker-content-digest')!;
}

/** Every file below `dir` as a record for makeProject (relative path -> content). */
function filesOf(dir: string, prefix: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[join(prefix, relative(dir, p))] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

describe('!OciImage', { timeout: 600_000 }, () => {
  let reg: Registry;
  before(async () => { reg = await startRegistry(); });
  after(async () => { await reg?.stop(); });

  test('a registry image is the base: pinned by digest, layers applied, a moved tag changes nothing', async () => {
    const first = await pushImage(reg, 'vt/base', 'stable', 'v1');
    const yaml = (pinned: string) => [
      'containers:',
      '  pinned:',
      '    setup:',
      `    - !OciImage docker://${reg.host}/vt/base@${pinned}`,
      '  child:',
      '    setup:',
      '    - !Container pinned',
      '    - !Sh \'echo "$FROM_IMAGE" > /env-seen\'',
      '  img:',
      '    setup:',
      `    - !OciImage docker://${reg.host}/vt/base:stable`,
      '    - !Sh \'echo "$FROM_IMAGE" > /env-seen\'',
      'commands:',
      '  show: !Command',
      '    container: img',
      '    run: |',
      '      cat /etc/image-version /env-seen /etc/keep /data/new',
      '      ls -a /data | tr "\\n" " "; echo',
      '      stat -c "%u:%g %a" /data /data/new',
      '      test -e /etc/motd || echo no-motd',
      '',
    ].join('\n');
    const dir = await makeProject({ 'vagga.yaml': yaml(first) }, { name: 'oci-registry', busybox: false });

    let r = await vagga(dir, ['_version_hash', 'img']);
    assert.equal(r.status, 29, `not pinned yet: the version is unknown before building\n${show(r)}`);

    r = await vagga(dir, ['show'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v1\nset-by-image\nkept\nnew\n. .. new \n33:33 750\n33:33 644\nno-motd\n', show(r));
    assert.match(r.stderr, new RegExp(`resolved to ${first}; pinned in vagga-images.lock`), show(r));
    const lock = readFileSync(join(dir, 'vagga-images.lock'), 'utf8');
    assert.match(lock, new RegExp(`^docker://${reg.host}/vt/base:stable ${first}$`, 'm'), lock);

    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'img']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${first}"`), show(r));
    const hash1 = r.stdout.trim().split('\n').pop();

    // A digest in the reference needs no pin file: known before building (so built in
    // cached layers), and the image's Env reaches a child container's steps through !Container.
    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'pinned']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${first}"`), show(r));
    r = await vagga(dir, ['_run', 'child', 'sh', '-c', 'cat /etc/image-version /env-seen; test -e /etc/motd || echo no-motd']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'v1\nset-by-image\nno-motd\n', show(r));

    // The tag moves to a new image: the pinned container stays as it was, nothing is rebuilt.
    const second = await pushImage(reg, 'vt/base', 'stable', 'v2');
    assert.notEqual(second, first);
    r = await vagga(dir, ['show']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^v1\n/, show(r));
    assert.doesNotMatch(r.stderr, /Unpacking|resolved to/, `no rebuild\n${show(r)}`);
    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'img']);
    assert.equal(r.stdout.trim().split('\n').pop(), hash1, show(r));

    // Deleting the pin follows the tag again.
    writeFileSync(join(dir, 'vagga-images.lock'), '');
    r = await vagga(dir, ['show'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^v2\n/, show(r));
    assert.match(readFileSync(join(dir, 'vagga-images.lock'), 'utf8'), new RegExp(second));
  });

  test('a multi-platform tag is pinned to its index; the host\'s platform is unpacked; a local index is refused', async () => {
    const env = await e2eEnv();
    const layout = mkdtempSync(join(env.stageDir, 'multi-'));
    const other = HOST_ARCH === 'amd64' ? 'arm64' : 'amd64';
    // A file unique to this run: fresh digests, so no cache entry or layer of an earlier run is used.
    const run = { type: 'file' as const, path: 'run-token', content: `${process.pid}-${Date.now()}\n` };
    const images = [HOST_ARCH, other].map((arch) => ({
      architecture: arch,
      digest: writeOciLayout(layout, { tag: arch, architecture: arch, layers: [makeTar([...busyboxEntries(), run, { type: 'file', path: 'arch', content: `${arch}\n` }])] }),
    }));
    const index = writeOciIndex(layout, 'multi', images);
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${reg.host}/vt/multi:1`]);
    const head = await fetch(`${reg.url}/v2/vt/multi/manifests/1`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(head.headers.get('docker-content-digest'), index, 'the registry keeps the index as pushed');

    const yaml = `containers:\n  m:\n    setup:\n    - !OciImage docker://${reg.host}/vt/multi:1\n` +
      '  local:\n    setup:\n    - !OciImage oci:multi:multi\n';
    const dir = await makeProject({ 'vagga.yaml': yaml, ...filesOf(layout, 'multi') }, { name: 'oci-multi', busybox: false });

    // The index in a layout in the project is refused: the cache entry sha256-<index> is
    // shared with registry pulls of that digest, so it may only hold what such a pull gives.
    let r = await vagga(dir, ['_version_hash', '--debug-versioning', 'local']);
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${index}"`), show(r));
    r = await vagga(dir, ['_build', 'local'], { timeoutMs: 300_000 });
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /multi-platform index: tag the platform's manifest instead/, show(r));

    r = await vagga(dir, ['_run', 'm', 'cat', '/arch'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, `${HOST_ARCH}\n`, show(r));
    assert.match(r.stderr, new RegExp(`resolved to ${index}`), show(r));
    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'm']);
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${index}"`), show(r));

    // Tagging the platform's manifest in the local layout works.
    await writeProjectFile(dir, 'vagga.yaml', yaml.replace('oci:multi:multi', `oci:multi:${HOST_ARCH}`));
    r = await vagga(dir, ['_run', 'local', 'cat', '/arch'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, `${HOST_ARCH}\n`, show(r));
  });

  test('a hostile two-layer image cannot write outside the root; a layout outside the project is refused', async () => {
    const env = await e2eEnv();
    // A host directory the test user owns: the target the hostile image aims at. In the
    // user's home (as root), not below /tmp, which a finished build empties in its root.
    const victim = mkdtempSync(join(env.asRoot ? env.home : env.stageDir, 'victim-'));
    if (env.asRoot) chownSync(victim, env.uid, env.gid);
    after(() => rmSync(victim, { recursive: true, force: true }));
    const layout = mkdtempSync(join(env.stageDir, 'hostile-'));
    const digest = writeOciLayout(layout, {
      tag: 'evil',
      layers: [
        makeTar(busyboxEntries()),
        makeTar([{ type: 'symlink', path: 'evil', target: victim }]),
        makeTar([{ type: 'file', path: 'evil/pwned', content: 'pwned\n' }]),
      ],
    });
    const yaml = [
      'containers:',
      '  bad:',
      '    setup:',
      '    - !OciImage oci:image:evil',
      '  fromarchive:',
      '    setup:',
      '    - !OciImage oci-archive:image.tar:evil',
      '  outside:',
      '    setup:',
      '    - !OciImage oci:linked:evil',
      'commands:',
      `  look: !Command { container: bad, run: "readlink /evil" }`,
      '',
    ].join('\n');
    const tar = spawnSync('tar', ['-C', layout, '--owner=0', '--group=0', '-cf', join(env.stageDir, 'hostile.tar'), '.'], { encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
    const dir = await makeProject({
      'vagga.yaml': yaml, ...filesOf(layout, 'image'), 'image.tar': readFileSync(join(env.stageDir, 'hostile.tar')),
    }, { name: 'oci-hostile', busybox: false });
    symlinkSync(layout, join(dir, 'linked'));

    let r = await vagga(dir, ['look'], { timeoutMs: 300_000 });
    assert.deepEqual(readdirSync(victim), [], `nothing was written into the host dir\n${show(r)}`);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, new RegExp(`^${victim}\n`), show(r));
    if (env.asRoot) {
      // The file landed inside the root, at the link's target resolved in the root.
      const inRoot = join(dir, '.vagga', 'bad', victim, 'pwned');
      assert.equal(readFileSync(inRoot, 'utf8'), 'pwned\n', `${inRoot} holds the layer's file`);
    }

    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'bad']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${digest}"`), show(r));

    // The same image as an oci-archive file: the same digest, the same containment.
    r = await vagga(dir, ['_version_hash', '--debug-versioning', 'fromarchive']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout + r.stderr, new RegExp(`digest: "${digest}"`), show(r));
    r = await vagga(dir, ['_run', 'fromarchive', 'readlink', '/evil']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, `${victim}\n`, show(r));
    assert.deepEqual(readdirSync(victim), [], 'nothing was written into the host dir');

    r = await vagga(dir, ['_build', 'outside']);
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /outside the project/, show(r));
  });
});
