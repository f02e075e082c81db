/**
 * End-to-end, issue 14 (Vagga compatibility of mounts), on the offline busybox base:
 *  - `!BindRW`/`!BindRO /vagga/root/PATH` bind the container's own PATH (Vagga's generic
 *    tests: `/var/lib/mount_point: !BindRW /vagga/root/tmp` with `!EnsureDir` inside it);
 *  - `environ-file: /work/.env` is read from the project, other paths from the root;
 *  - a build step can replace /etc/resolv.conf and /etc/hosts (Vagga's "resolv-file-path &
 *    hosts-file-path" test): the built root keeps the step's symlinks and empty files at
 *    `resolv-conf-path`/`hosts-file-path`, and a run shows the host's resolv.conf there.
 */
import { strict as assert } from 'node:assert';
import { lchownSync, lstatSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga } from './harness.js';

after(cleanupStage);

const yaml = `
containers:
  bb:
    environ-file: /work/.env
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir -p /srv/data /mnt/a /mnt/b /mnt/c
        echo own > /srv/data/own.txt
        ln -s /srv/data /srv/link
    volumes:
      /mnt/a: !BindRO /vagga/root/srv/link
  rootenv:
    environ-file: /etc/app.env
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh echo FROM=root > /etc/app.env
  ensure_dir:
    setup:
    - !Tar { url: ./busybox.tar }
    - !EnsureDir /var/lib/mount_point
    - !EnsureDir /var/lib/mount_point/subdir
    volumes:
      /var/lib/mount_point: !BindRW /vagga/root/tmp
  resolv-conf-and-hosts:
    resolv-conf-path: /state/resolv.conf
    hosts-file-path: /state/hosts
    volumes:
      /state: !Tmpfs
    setup:
    - !Tar { url: ./busybox.tar }
    - !EnsureDir /state
    - !Sh |
        cat /etc/resolv.conf > /work/build-saw-resolv.conf
        cat /etc/hosts > /work/build-saw-hosts
        ln -sfn /state/resolv.conf /etc/resolv.conf
        ln -sfn /state/hosts /etc/hosts

commands:
  bind-root: !Command
    container: bb
    volumes:
      /mnt/b: !BindRW /vagga/root/work/shared
    run: |
      cat /mnt/a/own.txt
      touch /mnt/a/x 2>/dev/null && echo WRITABLE || echo read-only
      echo w > /mnt/b/w && echo written
  bind-escape: !Command
    container: bb
    volumes:
      /mnt/c: !BindRO /vagga/root/work/hostlink
    run: ls /mnt/c
  env-project: !Command
    container: bb
    run: echo "FROM=$FROM"
  env-root: !Command
    container: rootenv
    run: echo "FROM=$FROM"
`;

describe('issue 14: /vagga/root binds, environ-file, resolv.conf in builds', { timeout: 900_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await makeProject({ 'vagga.yaml': yaml, '.env': 'FROM=project\n', 'shared/.keep': '' }, { name: 'issue14' });
  });

  test('!BindRO /vagga/root/PATH shows the container\'s own PATH (symlink followed inside it), read-only; !BindRW of /work is writable', async () => {
    const r = await vagga(dir, ['bind-root'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'own\nread-only\nwritten\n', show(r));
    assert.equal(readFileSync(join(dir, 'shared/w'), 'utf8'), 'w\n');
  });

  test('a project symlink to a host dir used through /vagga/root/work is looked up in the container (its /home), never the host\'s', async () => {
    const env = await e2eEnv();
    symlinkSync('/home', join(dir, 'hostlink'));
    if (env.asRoot) lchownSync(join(dir, 'hostlink'), env.uid, env.gid);
    const r = await vagga(dir, ['bind-escape']);
    // The container has no /home: the link's target is looked up in the container.
    assert.equal(r.status, 124, show(r));
    assert.match(r.stderr, /mount !BindRO "\/vagga\/root\/work\/hostlink": \/home does not exist in the container/, show(r));
  });

  test('Vagga\'s ensure_dir container (!BindRW /vagga/root/tmp volume) builds with its warning', async () => {
    const r = await vagga(dir, ['_build', 'ensure_dir'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.ok(lstatSync(join(dir, '.vagga/ensure_dir/var/lib/mount_point/subdir')).isDirectory());
    assert.match(r.stderr, /"\/var\/lib\/mount_point\/subdir" directory is in the volume: "\/var\/lib\/mount_point"/, show(r));
    assert.doesNotMatch(r.stderr, /"\/var\/lib\/mount_point" directory is in the volume/, show(r));
  });

  test('environ-file /work/.env is read from the project; /etc/app.env from the root', async () => {
    const p = await vagga(dir, ['env-project']);
    assert.equal(p.status, 0, show(p));
    assert.equal(p.stdout, 'FROM=project\n', show(p));
    const r = await vagga(dir, ['env-root'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'FROM=root\n', show(r));
  });

  for (const noBuildCache of [false, true]) test(`resolv-file-path & hosts-file-path${noBuildCache ? ' (build-cache: false)' : ''}: a step replaces /etc/resolv.conf and /etc/hosts; the root keeps its links and empty files; a run shows the host's file`, async () => {
    const b = await vagga(dir, ['_build', ...(noBuildCache ? ['--force'] : []), 'resolv-conf-and-hosts'], { timeoutMs: 300_000, noBuildCache });
    assert.equal(b.status, 0, show(b));
    // During the build the step saw the host's files.
    assert.equal(readFileSync(join(dir, 'build-saw-resolv.conf'), 'utf8'), readFileSync('/etc/resolv.conf', 'utf8'));
    assert.equal(readFileSync(join(dir, 'build-saw-hosts'), 'utf8'), readFileSync('/etc/hosts', 'utf8'));
    const root = join(dir, '.vagga/resolv-conf-and-hosts');
    assert.equal(readFileSync(join(root, 'state/resolv.conf'), 'utf8'), '');
    assert.equal(readFileSync(join(root, 'state/hosts'), 'utf8'), '');
    assert.equal(readlinkSync(join(root, 'etc/resolv.conf')), '/state/resolv.conf');
    assert.equal(readlinkSync(join(root, 'etc/hosts')), '/state/hosts');
    const r = await vagga(dir, ['_run', 'resolv-conf-and-hosts', 'cat', '/state/resolv.conf']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, readFileSync('/etc/resolv.conf', 'utf8'), show(r));
  });

  test('a built root keeps no host resolv.conf/hosts text (empty files, Vagga\'s finish)', async () => {
    const root = join(dir, '.vagga/bb');
    assert.equal(readFileSync(join(root, 'etc/resolv.conf'), 'utf8'), '');
    assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '');
  });
});
