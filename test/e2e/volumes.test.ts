/**
 * End-to-end: every volume kind (vagga-inventory.md §1.5, §2.7, §4 "Snapshot volumes",
 * "!Persistent init command") on the offline busybox base, run as an ordinary user
 * (harness.ts): !Tmpfs parts, !BindRW/!BindRO (project and external volume), !Empty,
 * !CacheDir, !VaggaBin (vagga itself runs in the busybox container, which has no node and no
 * libc), !Container, !Snapshot (own dir, other container, owner override;
 * writes vanish, owner/mode kept), !Persistent (init runs once; a failing init leaves no volume).
 */
import { strict as assert } from 'node:assert';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, writeProjectFile, type E2EEnv } from './harness.js';

after(cleanupStage);

const yaml = `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /snap/sub /home/h /data /mnt/other /mnt/vbin /mnt/cache /var/db /var/ro /var/rw /var/ext /var/empty /var/tfs
        echo original > /snap/sub/file
        echo secret > /home/h/f
        chown 1000:1000 /home/h /home/h/f
        chmod 700 /home/h
        echo hidden > /var/empty/hidden
        echo own > /data/own.txt
    volumes:
      /snap: !Snapshot
      /home/h: !Snapshot { size: 1048576 }
  other:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh mkdir /data && echo other > /data/from-other.txt

commands:
  snap-write: !Command
    container: bb
    run: |
      echo changed > /snap/sub/file && echo new > /snap/new && cat /snap/sub/file
      echo more > /home/h/g && stat -c '%a %u %g' /home/h /home/h/f
  snap-read: !Command
    container: bb
    run: cat /snap/sub/file; ls /snap; ls /home/h; stat -c '%a %u %g' /home/h
  snap-env: !Command
    container: bb
    run: [env]
  other-env: !Command
    container: other
    run: [env]
  snap-owner: !Command
    container: bb
    volumes:
      /home/h: !Snapshot { owner-uid: 7, owner-gid: 8 }
    run: stat -c '%a %u %g' /home/h /home/h/f
  snap-other: !Command
    container: bb
    volumes:
      /data: !Snapshot { container: other }
    run: ls /data; cat /data/from-other.txt; echo w > /data/w && echo writable
  container-vol: !Command
    container: bb
    volumes:
      /mnt/other: !Container other
    run: cat /mnt/other/data/from-other.txt; touch /mnt/other/x 2>/dev/null && echo WRITABLE || echo read-only
  tmpfs: !Command
    container: bb
    volumes:
      /var/tfs: !Tmpfs
        size: 1Mi
        mode: 0o700
        subdirs:
          a: { mode: 0o750 }
          b: {}
        files:
          a/f.txt: "text"
          e: ~
    run: |
      stat -c '%n %a' /var/tfs /var/tfs/a /var/tfs/b /var/tfs/a/f.txt /var/tfs/e
      cat /var/tfs/a/f.txt; echo; wc -c < /var/tfs/e
  binds: !Command
    container: bb
    volumes:
      /var/rw: !BindRW /work/rw
      /var/ro: !BindRO /work/ro
      /var/ext: !BindRW /volumes/ext/sub
    run: |
      echo written > /var/rw/out; cat /var/ro/in; echo ext > /var/ext/e
      touch /var/ro/nope 2>/dev/null && echo RO-WRITABLE || echo ro-refused
  empty: !Command
    container: bb
    volumes:
      /var/empty: !Empty
    run: ls -A /var/empty | wc -l; touch /var/empty/x 2>/dev/null && echo WRITABLE || echo read-only
  cachedir: !Command
    container: bb
    volumes:
      /mnt/cache: !CacheDir vol-e2e
    run: echo cached > /mnt/cache/c; cat /mnt/cache/c
  vaggabin: !Command
    container: bb
    volumes:
      /mnt/vbin: !VaggaBin
    run: |
      ls /mnt/vbin; command -v node || echo no-node-here
      /mnt/vbin/vagga --version; echo "version-status $?"
      /mnt/vbin/vagga _version_hash bb; echo "hash-status $?"
      /mnt/vbin/vagga 2>&1; echo "bare-status $?"
      touch /mnt/vbin/x 2>/dev/null && echo WRITABLE || echo read-only
  _init-db: !Command
    container: bb
    volumes: &db
      /var/db: !Persistent { name: db, init-command: _init-db, owner-uid: 1000, owner-gid: 1000 }
    run: |
      echo init >> /work/init-count
      echo hello > /var/db/data
      if [ -e /work/fail-init ]; then exit 3; fi
  use-db: !Command
    container: bb
    volumes: *db
    run: cat /var/db/data; stat -c '%u %g' /var/db
`;

describe('volumes', { timeout: 900_000 }, () => {
  let env: E2EEnv;
  let dir: string;
  let extDir: string;
  let settings: string;

  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': yaml, 'ro/in': 'from-ro\n', 'rw/.keep': '' }, { name: 'volumes' });
    extDir = join(env.stageDir, `ext-${process.pid}`);
    mkdirSync(join(extDir, 'sub'), { recursive: true });
    if (env.asRoot) {
      chownSync(extDir, env.uid, env.gid);
      chownSync(join(extDir, 'sub'), env.uid, env.gid);
    }
    settings = `cache-dir: ${env.cacheDir}\nexternal-volumes:\n  ext: ${extDir}\n`;
  });
  after(() => rmSync(extDir, { recursive: true, force: true }));

  test('!Snapshot: writes vanish; the mount point keeps its owner and mode; the environment is untouched', async () => {
    const w = await vagga(dir, ['snap-write'], { timeoutMs: 300_000 });
    assert.equal(w.status, 0, show(w));
    assert.equal(w.stdout, 'changed\n700 1000 1000\n644 1000 1000\n', show(w));
    const r = await vagga(dir, ['snap-read']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'original\nsub\nf\n700 1000 1000\n', show(r));
    // The prelude shell leaves the environment as a container without snapshots gets it.
    const withSnap = await vagga(dir, ['snap-env']);
    const without = await vagga(dir, ['other-env'], { timeoutMs: 300_000 });
    assert.equal(withSnap.status, 0, show(withSnap));
    assert.equal(without.status, 0, show(without));
    assert.deepEqual(withSnap.stdout.split('\n').sort(), without.stdout.split('\n').sort());
    assert.doesNotMatch(withSnap.stdout, /^(SHLVL|B)=/m);
  });

  test('!Snapshot owner-uid/owner-gid change the copied entries, not the mount point', async () => {
    const r = await vagga(dir, ['snap-owner']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, '700 1000 1000\n644 7 8\n', show(r));
  });

  test('!Snapshot { container } copies the other container (built on demand) and is writable', async () => {
    const r = await vagga(dir, ['snap-other'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'from-other.txt\nother\nwritable\n', show(r));
  });

  test('!Container: the other container root, read-only', async () => {
    const r = await vagga(dir, ['container-vol']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'other\nread-only\n', show(r));
  });

  test('!Tmpfs: mode, subdirs with modes, files with text or empty', async () => {
    const r = await vagga(dir, ['tmpfs']);
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 7), [
      '/var/tfs 700', '/var/tfs/a 750', '/var/tfs/b 755', '/var/tfs/a/f.txt 644', '/var/tfs/e 644', 'text', '0',
    ], show(r));
  });

  test('!BindRW / !BindRO from /work and from an external volume', async () => {
    const r = await vagga(dir, ['binds'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'from-ro\nro-refused\n', show(r));
    assert.equal(readFileSync(join(dir, 'rw/out'), 'utf8'), 'written\n');
    assert.equal(readFileSync(join(extDir, 'sub/e'), 'utf8'), 'ext\n');
  });

  test('!Empty hides the directory read-only; !CacheDir', async () => {
    const e = await vagga(dir, ['empty']);
    assert.equal(e.stdout, '0\nread-only\n', show(e));
    const c = await vagga(dir, ['cachedir']);
    assert.equal(c.stdout, 'cached\n', show(c));
    assert.equal(readFileSync(join(env.cacheDir, 'vol-e2e/c'), 'utf8'), 'cached\n');
  });

  test('!VaggaBin: vagga runs in a container without node (busybox, no libc): --version, _version_hash, the command list', async () => {
    const host = await vagga(dir, ['_version_hash', 'bb']);
    assert.equal(host.status, 0, show(host));
    assert.match(host.stdout, /^[0-9a-f]{128}\n$/, show(host));
    const version = await vagga(dir, ['--version']);
    const v = await vagga(dir, ['vaggabin']);
    assert.equal(v.status, 0, show(v));
    const lines = v.stdout.split('\n');
    assert.ok(lines.includes('vagga.cjs') && lines.includes('vagga') && lines.includes('chunks'), show(v));
    assert.ok(lines.includes('no-node-here'), `the container has no node: ${show(v)}`);
    assert.ok(v.stdout.includes(`${version.stdout}version-status 0\n`), show(v));
    assert.ok(v.stdout.includes(`${host.stdout}hash-status 0\n`), `the same hash as the host's vagga: ${show(v)}`);
    assert.match(v.stdout, /Available commands:\n(.*\n)*    vaggabin\n(.*\n)*bare-status 127\n/, show(v));
    assert.ok(!/^\s+_init-db$/m.test(v.stdout), show(v));
    assert.ok(lines.includes('read-only'), show(v));
  });

  test('!Persistent: a failing init leaves no volume; init runs once; owner applied', async () => {
    await writeProjectFile(dir, 'fail-init', '');
    const f = await vagga(dir, ['use-db']);
    assert.equal(f.status, 3, show(f));
    assert.equal(readFileSync(join(dir, 'init-count'), 'utf8'), 'init\n');
    assert.deepEqual(readdirSync(join(dir, '.vagga/.volumes')).filter((n) => !n.endsWith('.lock')), [], 'no volume, no .tmp left');
    rmSync(join(dir, 'fail-init'));
    const ok = await vagga(dir, ['use-db']);
    assert.equal(ok.status, 0, show(ok));
    assert.equal(ok.stdout, 'hello\n1000 1000\n', show(ok));
    const again = await vagga(dir, ['use-db']);
    assert.equal(again.stdout, 'hello\n1000 1000\n', show(again));
    assert.equal(readFileSync(join(dir, 'init-count'), 'utf8'), 'init\ninit\n', 'the init command ran once more only');
    assert.ok(existsSync(join(dir, '.vagga/.volumes/db/data')));
  });
});
