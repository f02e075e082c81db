/**
 * End-to-end: `vagga _build_shell` (vagga-inventory.md §1.8, §2.5; Vagga's readonly.bats
 * "Vagga build shell": `echo echo ok | vagga _build_shell` prints `ok`), as an ordinary user
 * (harness.ts) on the offline busybox base. The shell runs as uid 0 of a namespace with the
 * "max" map, starts in the project at /work, sees the storage at /vagga/base, and can read
 * and remove a file of a built root that belongs to a subordinate uid, which the user cannot
 * do from outside.
 */
import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, type E2EEnv } from './harness.js';

after(cleanupStage);

const yaml = `
containers:
  box:
    setup:
    - !Tar { url: ./busybox.tar }
    - !Sh |
        mkdir /data
        echo secret of 1000 > /data/owned
        chown 1000:1000 /data/owned
        chmod 600 /data/owned
`;

describe('_build_shell', () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': yaml }, { name: 'build-shell' });
    const r = await vagga(dir, ['_build', 'box']);
    assert.equal(r.status, 0, show(r));
  });

  test("Vagga's test: commands piped in run (`echo ok` prints ok)", async () => {
    const r = await vagga(dir, ['_build_shell'], { input: 'echo ok\n' });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'ok\n');
  });

  test('uid 0 with the max map, in /work, the storage at /vagga/base and /work/.vagga', async () => {
    const r = await vagga(dir, ['_build_shell'], {
      input: 'id -u; id -g; pwd; cat /proc/self/uid_map; ls /vagga/base/.roots; ls -a /work/.vagga\n',
    });
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 3), ['0', '0', '/work'], show(r));
    const map = lines.slice(3).filter((l) => /^\s*\d+\s+\d+\s+\d+$/.test(l)).map((l) => l.trim().split(/\s+/).map(Number));
    assert.deepEqual(map[0], [0, env.uid, 1], show(r));
    assert.ok(map.length >= 2 && map.slice(1).every(([inside, outside]) => inside === outside), show(r));
    const version = realpathSync(join(dir, '.vagga', 'box')).split('/').at(-2)!;
    assert.ok(lines.includes(version), show(r));
    assert.ok(lines.includes('box') && lines.includes('.roots'), show(r));
  });

  test('a file owned by a subordinate uid is read and removed inside; the exit status is the shell\'s', async () => {
    const owned = join(dir, '.vagga', 'box', 'data', 'owned');
    const owner = lstatSync(owned).uid;
    assert.notEqual(owner, env.uid, 'uid 1000 inside the container is a subordinate uid outside');
    let r = await vagga(dir, ['_build_shell'], { input: 'cat .vagga/box/data/owned && stat -c %u .vagga/box/data/owned && rm .vagga/box/data/owned\n' });
    assert.equal(r.status, 0, show(r));
    // Subordinate ids map to themselves: the owner reads the same inside as outside.
    assert.equal(r.stdout, `secret of 1000\n${owner}\n`, show(r));
    assert.equal(existsSync(owned), false);
    r = await vagga(dir, ['_build_shell'], { input: 'exit 7\n' });
    assert.equal(r.status, 7, show(r));
  });
});

