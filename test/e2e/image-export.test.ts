/**
 * End-to-end: `vagga _pack_image` (issue 10 part 1) as an ordinary user, checked with the
 * other side's tools as that user: GNU tar lists the plain archives, `skopeo inspect` reads
 * the OCI layout, `podman --runtime runc load` + `podman run` run the images (podman needs
 * XDG_RUNTIME_DIR and HOME; `--network none`: the test user may not open /dev/net/tun).
 * Fast part on the busybox base; the Debian part (setuid `passwd`, a file capability set
 * with setcap, perl's hard link, 0:42 shadow) needs the host's Debian mirror and is skipped
 * with VAGGA_E2E_SKIP_DEBIAN=1. Podman's pause process and images are removed afterwards.
 */
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, cleanupStage, e2eEnv, makeProject, show, vagga, writeProjectFile, type E2EEnv } from './harness.js';

let env: E2EEnv;
let xdg: string;

/** Run `argv` as the test user (setpriv when the suite runs as root), clean env plus XDG_RUNTIME_DIR; stdout as bytes. */
function asUser(argv: string[], cwd: string, extra: Record<string, string> = {}): SpawnSyncReturns<Buffer> {
  const full = env.asRoot ? ['setpriv', '--reuid', String(env.uid), '--regid', String(env.gid), '--init-groups', '--', ...argv] : argv;
  return spawnSync(full[0]!, full.slice(1), { cwd, env: cleanEnv(env, { XDG_RUNTIME_DIR: xdg, ...extra }), maxBuffer: 1 << 30, timeout: 600_000 });
}
const text = (r: SpawnSyncReturns<Buffer>) => `status=${r.status}\n--- stdout:\n${r.stdout?.toString().slice(0, 4000)}\n--- stderr:\n${r.stderr?.toString()}`;
const vaggaRaw = (dir: string, args: string[]) => asUser([env.runtime, env.vaggaScript, ...args], dir);
const podman = (dir: string, args: string[]) => asUser(['podman', '--runtime', 'runc', ...args], dir);

/** `tar -tv` lines of an archive (host GNU tar, numeric owners): `mode owner/group ... name`. */
function listing(file: string, flag = ''): string[] {
  const r = spawnSync('tar', [`-tv${flag}f`, file, '--numeric-owner'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}
const entry = (lines: string[], name: string) => lines.find((l) => l.endsWith(` ./${name}`) || l.includes(` ./${name} `));

before(async () => {
  env = await e2eEnv();
  xdg = join(env.stageDir, 'xdg');
  mkdirSync(xdg, { recursive: true });
  if (env.asRoot) chownSync(xdg, env.uid, env.gid);
  chmodSync(xdg, 0o700);
});

after(async () => {
  if (env && existsSync(join(xdg, 'libpod'))) {
    podman(env.stageDir, ['system', 'reset', '--force']);
    // Rootless podman leaves a pause process (catatonit -P) holding its user namespace.
    const pidFile = join(xdg, 'libpod/tmp/pause.pid');
    if (existsSync(pidFile)) {
      try { process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL'); } catch { /* gone */ }
    }
  }
  await cleanupStage();
});

const busyboxYaml = (image: string) => `
containers:
  bb:
    environ: { GREETING: hello from the image }
${image}    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /var/www /etc /tmp/junk
        echo hi > /var/www/index.html
        chown -R 33:33 /var/www
        echo secret > /etc/shadow
        chown 0:42 /etc/shadow
        chmod 640 /etc/shadow
        cp /bin/busybox /bin/suid
        chmod 4755 /bin/suid
        ln /var/www/index.html /var/www/hard
        ln -s /var/www/index.html /var/www/sym
`;
const IMAGE = `    image:
      cmd: [/bin/sh, -c, 'echo "$GREETING"']
      work-dir: /var/www
      exposed-ports: [8080]
      labels: { org.example.team: web }
`;

describe('_pack_image on the busybox base', { timeout: 900_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': busyboxYaml(IMAGE) }, { name: 'pack' });
  });

  test('plain tar (builds first): stdout and -f give the same bytes; owners, setuid, hard and symbolic links survive; mount point contents left out', async () => {
    const out = vaggaRaw(dir, ['_pack_image', 'bb']);
    assert.equal(out.status, 0, text(out));
    const r = await vagga(dir, ['_pack_image', '-f', 'root.tar', 'bb']);
    assert.equal(r.status, 0, show(r));
    const file = readFileSync(join(dir, 'root.tar'));
    assert.ok(file.equals(out.stdout), 'stdout and -f output are byte-identical');
    const lines = listing(join(dir, 'root.tar'));
    assert.match(entry(lines, 'var/www/index.html') ?? entry(lines, 'var/www/hard')!, / 33\/33 /);
    assert.match(entry(lines, 'etc/shadow')!, /^-rw-r----- 0\/42 /);
    assert.match(entry(lines, 'bin/suid')!, /^-rwsr-xr-x 0\/0 /);
    assert.ok(lines.some((l) => /^h.* \.\/var\/www\/(index\.html|hard) link to \.\/var\/www\/(hard|index\.html)$/.test(l)), lines.join('\n'));
    assert.match(entry(lines, 'var/www/sym')!, /-> \/var\/www\/index\.html$/);
    assert.ok(entry(lines, 'tmp/'), 'the /tmp directory itself is kept');
    assert.ok(!lines.some((l) => / \.\/(tmp|dev|proc|sys|run|work)\/./.test(l)), 'nothing below the mount points');
  });

  test('-z, -j, -J and --zstd compress with gzip, bzip2, xz and zstd', async () => {
    const magic: [string, string, Buffer][] = [
      ['-z', 'z', Buffer.from([0x1f, 0x8b])], ['-j', 'j', Buffer.from('BZh')], ['-J', 'J', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a])], ['--zstd', '', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
    ];
    for (const [flag, tarFlag, bytes] of magic) {
      const r = await vagga(dir, ['_pack_image', flag, '-f', `root${flag}.tar`, 'bb']);
      assert.equal(r.status, 0, show(r));
      const data = readFileSync(join(dir, `root${flag}.tar`));
      assert.ok(data.subarray(0, bytes.length).equals(bytes), flag);
      if (tarFlag) assert.ok(listing(join(dir, `root${flag}.tar`), tarFlag).length > 10);
    }
  });

  test('--format oci twice gives the same layer and manifest digests; skopeo inspect reads it', async () => {
    const digests: string[] = [];
    for (const out of ['oci1', 'oci2']) {
      const r = await vagga(dir, ['_pack_image', '--format', 'oci', '-f', out, 'bb']);
      assert.equal(r.status, 0, show(r));
      const m = /Image (vagga\/bb:[0-9a-f]{8}) \(oci, 3 layers\) written to .*\nManifest: (sha256:[0-9a-f]{64})\n/.exec(r.stderr);
      assert.ok(m, show(r));
      digests.push(m[2]!);
      const index = JSON.parse(readFileSync(join(dir, out, 'index.json'), 'utf8'));
      assert.equal(index.manifests[0].digest, m[2]);
      assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], m[1]);
    }
    assert.equal(digests[0], digests[1], 'same manifest digest');
    assert.deepEqual(readdirSync(join(dir, 'oci1/blobs/sha256')).sort(), readdirSync(join(dir, 'oci2/blobs/sha256')).sort(), 'same blobs');
    const ref = JSON.parse(readFileSync(join(dir, 'oci1/index.json'), 'utf8')).manifests[0].annotations['org.opencontainers.image.ref.name'];
    const inspect = asUser(['skopeo', 'inspect', `oci:${join(dir, 'oci1')}:${ref}`], dir);
    assert.equal(inspect.status, 0, text(inspect));
    const info = JSON.parse(inspect.stdout.toString());
    assert.equal(info.Digest, digests[0]);
    assert.deepEqual(info.Labels, { 'org.example.team': 'web' });
    assert.ok(info.Env.includes('GREETING=hello from the image'), info.Env);
    // skopeo copy re-reads every blob and checks its digest (inspect alone does not).
    const copy = asUser(['skopeo', 'copy', '--quiet', `oci:${join(dir, 'oci1')}:${ref}`, `oci:${join(dir, 'copied')}:x`], dir);
    assert.equal(copy.status, 0, text(copy));
  });

  test('oci-archive is byte-reproducible; oci-archive and docker-archive load into podman and run with owners, modes and links intact', async () => {
    for (const f of ['a1.tar', 'a2.tar']) {
      const r = await vagga(dir, ['_pack_image', '--format', 'oci-archive', '--name', 'localhost/test/bb:v1', '-f', f, 'bb']);
      assert.equal(r.status, 0, show(r));
    }
    assert.ok(readFileSync(join(dir, 'a1.tar')).equals(readFileSync(join(dir, 'a2.tar'))), 'two oci-archives are identical');
    const r = await vagga(dir, ['_pack_image', '--format', 'docker', '--name', 'test/bbd:v2', '-f', 'd.tar', 'bb']);
    assert.equal(r.status, 0, show(r));
    let load = podman(dir, ['load', '-q', '-i', join(dir, 'a1.tar')]);
    assert.equal(load.status, 0, text(load));
    assert.match(load.stdout.toString(), /localhost\/test\/bb:v1/);
    load = podman(dir, ['load', '-q', '-i', join(dir, 'd.tar')]);
    assert.equal(load.status, 0, text(load));
    assert.match(load.stdout.toString(), /test\/bbd:v2/);
    for (const image of ['localhost/test/bb:v1', 'test/bbd:v2']) {
      const run = podman(dir, ['run', '--rm', '--network', 'none', image, 'stat', '-c', '%u:%g %A %h %n', '/var/www/index.html', '/etc/shadow', '/bin/suid']);
      assert.equal(run.status, 0, text(run));
      assert.equal(run.stdout.toString(), '33:33 -rw-r--r-- 2 /var/www/index.html\n0:42 -rw-r----- 1 /etc/shadow\n0:0 -rwsr-xr-x 1 /bin/suid\n', image);
      const link = podman(dir, ['run', '--rm', '--network', 'none', image, 'readlink', '/var/www/sym']);
      assert.equal(link.stdout.toString(), '/var/www/index.html\n');
    }
    // The image config: Cmd, Env from the container's environ, WorkingDir.
    const def = podman(dir, ['run', '--rm', '--network', 'none', 'localhost/test/bb:v1']);
    assert.equal(def.status, 0, text(def));
    assert.equal(def.stdout.toString(), 'hello from the image\n');
    const pwd = podman(dir, ['run', '--rm', '--network', 'none', 'localhost/test/bb:v1', 'pwd']);
    assert.equal(pwd.stdout.toString(), '/var/www\n');
  });

  test('the image: section does not change the version hash: removing it rebuilds nothing', async () => {
    let r = await vagga(dir, ['_version_hash', 'bb']);
    assert.equal(r.status, 0, show(r));
    const before = r.stdout;
    await writeProjectFile(dir, 'vagga.yaml', busyboxYaml(''));
    r = await vagga(dir, ['_version_hash', 'bb']);
    assert.equal(r.stdout, before);
    r = await vagga(dir, ['_pack_image', '--format', 'oci', '-f', 'oci-noimage', 'bb']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /Step \d/, 'nothing was built');
    const index = JSON.parse(readFileSync(join(dir, 'oci-noimage/index.json'), 'utf8'));
    const oci1 = JSON.parse(readFileSync(join(dir, 'oci1/index.json'), 'utf8'));
    const manifest = (d: string, digest: string) => JSON.parse(readFileSync(join(dir, d, 'blobs/sha256', digest.slice(7)), 'utf8'));
    assert.deepEqual(manifest('oci-noimage', index.manifests[0].digest).layers, manifest('oci1', oci1.manifests[0].digest).layers, 'the same layer');
    assert.notEqual(index.manifests[0].digest, oci1.manifests[0].digest, 'another config');
    await writeProjectFile(dir, 'vagga.yaml', busyboxYaml(IMAGE));
  });

  test('argument errors exit 122 before building', async () => {
    let r = await vagga(dir, ['_pack_image', '--format', 'oci', 'bb']);
    assert.equal(r.status, 122, show(r));
    assert.match(r.stderr, /--format oci needs -f DIR/);
    r = await vagga(dir, ['_pack_image', '--format', 'docker', '--name', 'Bad:Name', '-f', 'x.tar', 'bb']);
    assert.equal(r.status, 122, show(r));
    assert.match(r.stderr, /Invalid image name "Bad:Name"/);
    r = await vagga(dir, ['_pack_image', '-z', '-J', 'bb']);
    assert.equal(r.status, 122, show(r));
    r = await vagga(dir, ['_pack_image', '--format', 'oci', '-f', 'vagga.yaml', 'bb']);
    assert.equal(r.status, 121, show(r));
  });
});

const layeredYaml = (text: string) => `
containers:
  lay:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /a /d/sub /-x
        echo keep > /a/keep; echo gone > /a/gone; echo old > /d/old; echo old > /d/sub/old
        echo x > /-x/f; mkdir /e; echo e > /e/f
    - !Sh |
        rm /a/gone
        rm -rf /d /e && mkdir /d /e && echo new > /d/new
        rm /-x/f
    - !Text { /etc/motd: "${text}" }
`;

/**
 * `find / -xdev` with owner and mode of every member, size and link count of non-dirs (a
 * directory's size and link count are the storage's), run in `image` by podman.
 */
function imageTree(dir: string, image: string): string {
  const r = podman(dir, ['run', '--rm', '--network', 'none', image, 'sh', '-c',
    'find / -xdev ! -path /etc/hosts ! -path /etc/hostname ! -path /etc/resolv.conf | sort | while read -r f; do ' +
    'if [ -d "$f" ]; then stat -c "%n %u:%g %a %F" "$f"; else stat -c "%n %u:%g %a %s %h %F" "$f"; fi; done']);
  assert.equal(r.status, 0, text(r));
  return r.stdout.toString();
}

describe('_pack_image of a container built in the build cache\'s layers', { timeout: 900_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': layeredYaml('one') }, { name: 'pack-layers' });
  });

  test('one image layer per step (deletions as whiteouts, a replaced dir as opaque); podman sees the same tree as in a one-layer export', async () => {
    let r = await vagga(dir, ['_pack_image', '--format', 'oci-archive', '--name', 'localhost/test/lay:layers', '-f', 'layers.tar', 'lay']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /\(oci-archive, 5 layers\)/, 'four steps and the finish phase');
    r = await vagga(dir, ['_pack_image', '--format', 'oci-archive', '--squash', '--name', 'localhost/test/lay:squashed', '-f', 'squashed.tar', 'lay']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /\(oci-archive, 1 layer\)/);
    // Layer 3 (the second !Sh) holds the OCI whiteout markers, before their siblings.
    const layerTars = spawnSync('tar', ['-xf', join(dir, 'layers.tar'), '-C', dir, 'index.json', 'blobs'], { encoding: 'utf8' });
    assert.equal(layerTars.status, 0, layerTars.stderr);
    const blob = (d: string) => join(dir, 'blobs/sha256', d.slice(7));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
    assert.equal(manifest.layers.length, 5);
    const third = spawnSync('tar', ['-tzf', blob(manifest.layers[2].digest)], { encoding: 'utf8' });
    assert.equal(third.status, 0, third.stderr);
    const names = third.stdout.trim().split('\n');
    for (const n of ['./a/.wh.gone', './d/.wh..wh..opq', './e/.wh..wh..opq', './d/new', './-x/.wh.f']) assert.ok(names.includes(n), `${n} in\n${names.join('\n')}`);
    assert.ok(names.indexOf('./d/.wh..wh..opq') < names.indexOf('./d/new'), 'the opaque marker comes before its siblings');
    assert.ok(!names.some((n) => n.includes('/.wh.') && n.startsWith('./a/keep')));
    for (const [f, image] of [['layers.tar', 'localhost/test/lay:layers'], ['squashed.tar', 'localhost/test/lay:squashed']]) {
      const load = podman(dir, ['load', '-q', '-i', join(dir, f!)]);
      assert.equal(load.status, 0, text(load));
      assert.match(load.stdout.toString(), new RegExp(image!.replace(/[/.]/g, '\\$&')));
    }
    const layered = imageTree(dir, 'localhost/test/lay:layers');
    assert.equal(layered, imageTree(dir, 'localhost/test/lay:squashed'));
    assert.match(layered, /^\/a\/keep 0:0 644 5 1 regular file$/m);
    assert.match(layered, /^\/d\/new 0:0 644 4 1 regular file$/m);
    assert.match(layered, /^\/e 0:0 755 directory$/m);
    for (const gone of ['/a/gone', '/d/old', '/d/sub', '/e/f', '/-x/f']) assert.ok(!layered.split('\n').some((l) => l.startsWith(`${gone} `)), `${gone} is deleted`);
  });

  test('after an edit of the last step, the new image shares the unchanged layers with the old one', async () => {
    const layersOf = async (out: string) => {
      const r = await vagga(dir, ['_pack_image', '--format', 'oci', '-f', out, 'lay']);
      assert.equal(r.status, 0, show(r));
      const index = JSON.parse(readFileSync(join(dir, out, 'index.json'), 'utf8'));
      return JSON.parse(readFileSync(join(dir, out, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8')).layers.map((l: { digest: string }) => l.digest) as string[];
    };
    const before = await layersOf('oci-before');
    assert.deepEqual(await layersOf('oci-again'), before, 'the same image again');
    await writeProjectFile(dir, 'vagga.yaml', layeredYaml('two'));
    const after = await layersOf('oci-after');
    assert.equal(after.length, 5);
    assert.deepEqual(after.slice(0, 3), before.slice(0, 3), 'busybox and the two !Sh layers are shared');
    assert.notEqual(after[3], before[3], 'the edited !Text layer differs');
  });
});

const skipDebian = process.env.VAGGA_E2E_SKIP_DEBIAN === '1' ? 'VAGGA_E2E_SKIP_DEBIAN=1' : false;

describe('_pack_image of a Debian container runs under podman', { skip: skipDebian, timeout: 1_800_000 }, () => {
  test('setuid passwd, a file capability, a hard link, 33:33 and 0:42 owners survive; two exports have the same manifest digest', async () => {
    const dir = await makeProject({
      'vagga.yaml': `
containers:
  deb:
    setup:
    - !Debian bookworm
    - !Install [libcap2-bin]
    - !Sh |
        mkdir -p /var/www && echo hi > /var/www/index.html && chown -R 33:33 /var/www
        cp /usr/bin/true /usr/local/bin/rawtool
        setcap cap_net_raw+ep /usr/local/bin/rawtool
`,
    }, { busybox: false, name: 'pack-debian' });
    const digests: string[] = [];
    for (const f of ['deb1.tar', 'deb2.tar']) {
      const r = await vagga(dir, ['_pack_image', '--format', 'docker', '--name', 'test/deb:v1', '-f', f, 'deb'], { timeoutMs: 1_200_000 });
      assert.equal(r.status, 0, show(r));
      digests.push(/Manifest: (sha256:[0-9a-f]{64})/.exec(r.stderr)![1]!);
    }
    assert.equal(digests[0], digests[1]);
    const load = podman(dir, ['load', '-q', '-i', join(dir, 'deb1.tar')]);
    assert.equal(load.status, 0, text(load));
    const run = podman(dir, ['run', '--rm', '--network', 'none', 'test/deb:v1', 'sh', '-c',
      'stat -c "%u:%g %A %n" /var/www/index.html /usr/bin/passwd /etc/shadow; getcap /usr/local/bin/rawtool; ' +
      'p=$(readlink -f /usr/bin/perl); stat -c "%h %i" "$p" /usr/bin/perl5.36.0']);
    assert.equal(run.status, 0, text(run));
    const lines = run.stdout.toString().trim().split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      '33:33 -rw-r--r-- /var/www/index.html',
      '0:0 -rwsr-xr-x /usr/bin/passwd',
      '0:42 -rw-r----- /etc/shadow',
      '/usr/local/bin/rawtool cap_net_raw=ep',
    ], text(run));
    const [a, b] = lines.slice(4);
    assert.equal(a, b, 'perl and perl5.36.0 are one file (hard link)');
    assert.match(a!, /^2 /);
  });
});
