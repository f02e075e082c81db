/**
 * End-to-end: Vagga's hardlinking tests (vagga-inventory.md §4 "hardlinking.bats": plain
 * `!Text` containers, whose roots also hold an empty /etc/hosts and /etc/resolv.conf) as an
 * ordinary user (harness.ts): `_hardlink` links identical files of different containers
 * only (0 for one container), `hard-link-identical-files` links a new build after it is
 * built, `hard-link-between-projects` and `_hardlink --global` work across the projects of
 * storage-dir. The counts are Vagga's.
 */
import { strict as assert } from 'node:assert';
import { chownSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, e2eEnv, makeProject, show, vagga, type E2EEnv } from './harness.js';

after(cleanupStage);

const hello = `
  hello:
    setup:
    - !Text
      /etc/hello.txt: Hello world!
`;
const helloAndBye = `
  hello-and-bye:
    setup:
    - !Text
      /etc/hello.txt: Hello world!
      /etc/bye.txt: Good bye!
`;
const hi = `
  hi:
    setup:
    - !Text
      /etc/hi.txt: Hi!
`;

let env: E2EEnv;
before(async () => { env = await e2eEnv(); });

const file = (dir: string, c: string, p: string) => join(dir, '.vagga', c, p);
const ino = (p: string) => statSync(p).ino;

/** Replace a root file by a new one with `text` (like sed -i), owned by the user (root inside). */
function rewrite(path: string, text: string): void {
  unlinkSync(path);
  writeFileSync(path, text);
  if (env.asRoot) chownSync(path, env.uid, env.gid);
}

describe('hardlinking', () => {
  test('_hardlink: nothing within one container, 3 (12B) across two, 2 (0B) after an edit', async () => {
    const dir = await makeProject({ 'vagga.yaml': `containers:${hello}${helloAndBye}` }, { busybox: false, name: 'hl-cmd' });
    let r = await vagga(dir, ['_build', 'hello']);
    assert.equal(r.status, 0, show(r));
    r = await vagga(dir, ['_hardlink']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /Found and linked 0 \(0B\) identical files/);
    assert.notEqual(ino(file(dir, 'hello', 'etc/hosts')), ino(file(dir, 'hello', 'etc/resolv.conf')));
    r = await vagga(dir, ['_build', 'hello-and-bye']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /Found and linked/, 'no linking after a build without the settings');
    r = await vagga(dir, ['_hardlink']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /Found and linked 3 \(12B\) identical files/);
    assert.equal(ino(file(dir, 'hello', 'etc/hello.txt')), ino(file(dir, 'hello-and-bye', 'etc/hello.txt')));
    assert.equal(statSync(file(dir, 'hello-and-bye', 'etc/hello.txt')).nlink, 2);
    assert.equal(statSync(file(dir, 'hello-and-bye', 'etc/bye.txt')).nlink, 1);

    rewrite(file(dir, 'hello', 'etc/hello.txt'), 'Hello world?');
    r = await vagga(dir, ['_build', '--force', 'hello-and-bye']);
    assert.equal(r.status, 0, show(r));
    r = await vagga(dir, ['_hardlink']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /Found and linked 2 \(0B\) identical files/);
    assert.equal(readFileSync(file(dir, 'hello', 'etc/hello.txt'), 'utf8'), 'Hello world?');
    assert.equal(readFileSync(file(dir, 'hello-and-bye', 'etc/hello.txt'), 'utf8'), 'Hello world!');
  });

  test('hard-link-identical-files (with index-all-images) links each new build with the other containers', async () => {
    const dir = await makeProject({ 'vagga.yaml': `containers:${hello}${helloAndBye}` }, { busybox: false, name: 'hl-build' });
    const settings = `cache-dir: ${env.cacheDir}\nindex-all-images: true\nhard-link-identical-files: true\n`;
    let r = await vagga(dir, ['_build', 'hello'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /Found and linked/);
    r = await vagga(dir, ['_build', 'hello-and-bye'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /Found and linked 3 \(12B\) identical files from other containers/);
    assert.equal(ino(file(dir, 'hello', 'etc/hello.txt')), ino(file(dir, 'hello-and-bye', 'etc/hello.txt')));
    assert.equal(ino(file(dir, 'hello', 'etc/hosts')), ino(file(dir, 'hello-and-bye', 'etc/hosts')));

    rewrite(file(dir, 'hello', 'etc/hello.txt'), 'Hello world?');
    r = await vagga(dir, ['_build', '--force', 'hello-and-bye'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /Found and linked 2 \(0B\) identical files from other containers/);
    assert.equal(readFileSync(file(dir, 'hello', 'etc/hello.txt'), 'utf8'), 'Hello world?');
    assert.equal(readFileSync(file(dir, 'hello-and-bye', 'etc/hello.txt'), 'utf8'), 'Hello world!');
    // Linking keeps both containers as indexed.
    for (const c of ['hello', 'hello-and-bye']) {
      r = await vagga(dir, ['_verify', c]);
      assert.equal(r.status, c === 'hello' ? 1 : 0, show(r)); // hello.txt of hello was edited above
    }
  });

  describe('across the projects of storage-dir', () => {
    let storage: string;
    before(() => {
      storage = join(env.stageDir, `hl-storage-${process.pid}`);
      mkdirSync(storage);
      if (env.asRoot) chownSync(storage, env.uid, env.gid);
    });

    test('hard-link-between-projects: a build in project-2 is linked with project-1 (3 (12B))', async () => {
      const settings = `cache-dir: ${env.cacheDir}\nstorage-dir: ${storage}\nindex-all-images: true\nhard-link-identical-files: true\nhard-link-between-projects: true\n`;
      const p1 = await makeProject({ 'vagga.yaml': `containers:${hello}` }, { busybox: false, name: 'hl-project-1' });
      const p2 = await makeProject({ 'vagga.yaml': `containers:${helloAndBye}` }, { busybox: false, name: 'hl-project-2' });
      let r = await vagga(p1, ['_build', 'hello'], { settings });
      assert.equal(r.status, 0, show(r));
      r = await vagga(p2, ['_build', 'hello-and-bye'], { settings });
      assert.equal(r.status, 0, show(r));
      assert.match(r.stderr, /Found and linked 3 \(12B\) identical files from other containers/);
      assert.equal(ino(file(p1, 'hello', 'etc/hello.txt')), ino(file(p2, 'hello-and-bye', 'etc/hello.txt')));
    });

    test('_hardlink --global: 2 (0B) within project-1, then 3 (12B) with project-2; without storage-dir exit 121', async () => {
      const store = join(env.stageDir, `hl-global-${process.pid}`);
      mkdirSync(store);
      if (env.asRoot) chownSync(store, env.uid, env.gid);
      const settings = `cache-dir: ${env.cacheDir}\nstorage-dir: ${store}\n`;
      const p1 = await makeProject({ 'vagga.yaml': `containers:${hello}${hi}` }, { busybox: false, name: 'hl-global-1' });
      const p2 = await makeProject({ 'vagga.yaml': `containers:${helloAndBye}` }, { busybox: false, name: 'hl-global-2' });
      for (const c of ['hello', 'hi']) {
        const b = await vagga(p1, ['_build', c], { settings });
        assert.equal(b.status, 0, show(b));
      }
      let r = await vagga(p1, ['_hardlink', '--global'], { settings });
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, /Found and linked 2 \(0B\) identical files/);
      r = await vagga(p2, ['_build', 'hello-and-bye'], { settings });
      assert.equal(r.status, 0, show(r));
      r = await vagga(p2, ['_hardlink', '--global'], { settings });
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, /Found and linked 3 \(12B\) identical files/);
      assert.equal(ino(file(p1, 'hello', 'etc/hello.txt')), ino(file(p2, 'hello-and-bye', 'etc/hello.txt')));
      r = await vagga(p2, ['_hardlink', '--global']);
      assert.equal(r.status, 121, show(r));
      assert.match(r.stderr, /The --global flag is only meaningful if you configure storage-dir/);
    });
  });
});
