/**
 * End-to-end: `_verify` and `_hardlink` (vagga-inventory.md §1.8, §4) on the offline busybox
 * base, as an ordinary user (harness.ts). Builds write `.roots/<name>.<8hex>/index.txt`;
 * `_verify` re-walks the root inside the user namespace (Ok / corrupted with exit 1);
 * `_hardlink` links identical files of two containers, including a file owned by a
 * subordinate uid, and a second run finds nothing left to link.
 */
import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync, chownSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, type E2EEnv } from './harness.js';

after(cleanupStage);

const common = `
    - !Tar { url: ./busybox.tar }
    - !Text { /etc/shared.txt: "shared text\\n" }
    - !Sh |
        mkdir /data
        echo owned by 1000 > /data/owned
        chown 1000:1000 /data/owned
        chmod 600 /data/owned`;

const yaml = `
containers:
  one:
    setup:${common}
  two:
    setup:${common}
    - !Sh echo two > /etc/two
`;

describe('_verify and _hardlink', () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': yaml }, { name: 'verify' });
    for (const c of ['one', 'two']) {
      const r = await vagga(dir, ['_build', c]);
      assert.equal(r.status, 0, show(r));
    }
  });
  const root = (c: string) => join(dir, '.vagga', c);

  test('a build writes index.txt next to the root; _verify prints Ok', async () => {
    assert.ok(existsSync(join(dirname(realpathSync(root('one'))), 'index.txt')));
    let r = await vagga(dir, ['_run', 'one', 'cat', '/etc/shared.txt']); // running leaves the root as built
    assert.equal(r.status, 0, show(r));
    r = await vagga(dir, ['_verify', 'one']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^Checking container: ".*\/\.roots\/one\.[0-9a-f]{8}\/root"\nOk\n$/);
  });

  test('_hardlink links identical files (also subuid-owned ones); a second run links nothing', async () => {
    const file = (c: string, p: string) => join(root(c), p);
    assert.notEqual(statSync(file('one', 'etc/shared.txt')).ino, statSync(file('two', 'etc/shared.txt')).ino);
    const owner = lstatSync(file('one', 'data/owned')).uid;
    assert.notEqual(owner, env.uid, 'uid 1000 inside is a subordinate uid outside');
    let r = await vagga(dir, ['_hardlink']);
    assert.equal(r.status, 0, show(r));
    const m = /^Found and linked (\d+) \((\d+(?:\.\d)?[KMG]?B)\) identical files\n$/.exec(r.stdout);
    assert.ok(m, show(r));
    assert.ok(Number(m[1]) >= 3, show(r));
    for (const p of ['etc/shared.txt', 'data/owned', 'bin/busybox']) {
      assert.equal(statSync(file('one', p)).ino, statSync(file('two', p)).ino, p);
    }
    assert.equal(lstatSync(file('two', 'data/owned')).uid, owner);
    r = await vagga(dir, ['_hardlink']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'Found and linked 0 (0B) identical files\n');
    // Linking changes no content, mode or owner: both still verify.
    for (const c of ['one', 'two']) {
      r = await vagga(dir, ['_verify', c]);
      assert.equal(r.status, 0, show(r));
    }
  });

  test('_verify reports a tampered root as corrupted and exits 1', async () => {
    // Replace (not modify: the file is hard-linked with container two now), add, remove.
    unlinkSync(join(root('one'), 'etc/shared.txt'));
    writeFileSync(join(root('one'), 'etc/shared.txt'), 'tampered\n');
    writeFileSync(join(root('one'), 'etc/extra'), 'x');
    if (env.asRoot) {
      chownSync(join(root('one'), 'etc/shared.txt'), env.uid, env.gid);
      chownSync(join(root('one'), 'etc/extra'), env.uid, env.gid);
    }
    rmSync(join(root('one'), 'data/owned'));
    let r = await vagga(dir, ['_verify', 'one']);
    assert.equal(r.status, 1, show(r));
    assert.match(r.stdout, /^Checking container: ".*\/one\.[0-9a-f]{8}\/root"\nContainer is corrupted\n/);
    assert.match(r.stdout, /\nMissing paths:\n\t\/data\/owned\n/);
    assert.match(r.stdout, /\nExtra paths:\n\t\/etc\/extra\n/);
    assert.match(r.stdout, /\nCorrupted paths:\n(\t.*\n)*\t\/etc\/shared\.txt\n/);
    r = await vagga(dir, ['_verify', 'two']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /\nOk\n$/);
  });
});
