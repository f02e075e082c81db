/**
 * End-to-end: Vagga-compatibility of build steps on the busybox base (issue 14), each test
 * holding Vagga's value (vagga-inventory.md):
 *  - `mount` in a build step lists `/dev`, `/proc`, `/sys`, `/run` but no `/tmp` (§2.6);
 *  - `!Unzip` with a `subdir` that is not in the archive fails the build, exit 121,
 *    `"<subdir>" is not found in archive` (§1.4);
 *  - a local `!Tar`/`!Unzip` of a file an earlier step of the same build made in the
 *    project (`!Download` into /work, `!Sh` writing /work) is read when the step runs (§2.1
 *    test vector `!Download` + `!Tar ./file`), and a symlink made that way out of the
 *    project is still refused.
 * Runs vagga as an ordinary user (see harness.ts).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUSYBOX_CONTAINERS_HEAD } from './fixtures.js';
import { cleanupStage, e2eEnv, makeProject, show, vagga, type E2EEnv } from './harness.js';

after(cleanupStage);

/** A zip with `pkg/hello.txt` (mode 0644) and `top.txt`, made with python3's zipfile. */
function makeZip(): Buffer {
  return execFileSync('python3', ['-c', String.raw`
import io, sys, zipfile, stat
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    for name, data in [('pkg/hello.txt', b'hello from zip\n'), ('top.txt', b'top\n')]:
        i = zipfile.ZipInfo(name); i.create_system = 3; i.external_attr = (stat.S_IFREG | 0o644) << 16
        z.writestr(i, data)
sys.stdout.buffer.write(buf.getvalue())
`]);
}

/** The built root of container `name` in project `dir` (through the .vagga link). */
const rootOf = (dir: string, name: string) => join(dir, '.vagga', name);

describe('build steps as in Vagga (issue 14)', { timeout: 600_000 }, () => {
  let env: E2EEnv;
  let zip: Buffer;

  before(async () => {
    env = await e2eEnv();
    zip = makeZip();
  });

  test('mount in a build step shows /dev, /proc, /sys (read-only), /run and no /tmp', async () => {
    const yaml = `${BUSYBOX_CONTAINERS_HEAD}    - !Sh mount > /etc/build-mounts.txt\n`;
    const dir = await makeProject({ 'vagga.yaml': yaml }, { name: 'compat-mount' });
    const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    const mounts = readFileSync(join(rootOf(dir, 'bb'), 'etc/build-mounts.txt'), 'utf8');
    for (const p of ['/dev', '/proc', '/sys', '/run']) assert.match(mounts, new RegExp(`^\\S+ on ${p} `, 'm'), `${p} in:\n${mounts}`);
    assert.doesNotMatch(mounts, /^\S+ on \/tmp /m, mounts);
    assert.match(mounts, /^\S+ on \/sys type sysfs \((ro|[^)]*,ro)[,)]/m, `sysfs read-only:\n${mounts}`);
  });

  for (const [what, step] of [
    ['into a path', '!Unzip { url: ./pkg.zip, path: /opt/pkg, subdir: ./dir }'],
    ['at / (the default path)', '!Unzip { url: ./pkg.zip, subdir: ./dir }'],
  ]) {
    test(`!Unzip ${what} with a subdir not in the archive fails: exit 121, "./dir" is not found in archive`, async () => {
      const yaml = `${BUSYBOX_CONTAINERS_HEAD}    - ${step}\n`;
      const dir = await makeProject({ 'vagga.yaml': yaml, 'pkg.zip': zip }, { name: 'compat-unzip' });
      const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
      assert.equal(r.status, 121, show(r));
      assert.match(r.stderr, /"\.\/dir" is not found in archive/, show(r));
      assert.ok(!existsSync(rootOf(dir, 'bb')), 'nothing was built');
    });
  }

  test('!Download into /work, then !Tar of it; !Sh writing /work, then !Unzip of it', async () => {
    const yaml = `${BUSYBOX_CONTAINERS_HEAD}` +
      '    - !Download { url: ./busybox.tar, path: /work/made/copy.tar }\n' +
      '    - !Tar { url: ./made/copy.tar, path: /opt/bb }\n' +
      '    - !Sh cp /work/pkg.zip /work/made/copy.zip\n' +
      '    - !Unzip { url: ./made/copy.zip, path: /opt/pkg, subdir: pkg }\n';
    const dir = await makeProject({ 'vagga.yaml': yaml, 'pkg.zip': zip }, { name: 'compat-made' });
    const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /does not exist in the project/, show(r));
    // The downloaded file is in the project, as in Vagga (its builder has the project at /work).
    const copy = statSync(join(dir, 'made/copy.tar'));
    assert.equal(copy.size, statSync(join(dir, 'busybox.tar')).size);
    assert.equal(copy.uid, env.uid, 'owned by the user, like any file a build writes to /work');
    assert.ok(statSync(join(rootOf(dir, 'bb'), 'opt/bb/bin/busybox')).isFile(), 'the !Tar of the made file unpacked it');
    assert.equal(readFileSync(join(rootOf(dir, 'bb'), 'opt/pkg/hello.txt'), 'utf8'), 'hello from zip\n');
  });

  test('a file still missing when its !Tar runs fails then, naming it; a link an earlier step made out of the project is refused', async () => {
    const missing = `${BUSYBOX_CONTAINERS_HEAD}    - !Sh echo nothing made\n    - !Tar { url: ./never.tar, path: /opt/x }\n`;
    const dir = await makeProject({ 'vagga.yaml': missing }, { name: 'compat-missing' });
    const r = await vagga(dir, ['_build', 'bb'], { timeoutMs: 300_000 });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /!Tar: file "\.\/never\.tar" does not exist in the project/, show(r));

    const link = `${BUSYBOX_CONTAINERS_HEAD}    - !Sh ln -s /etc/passwd /work/evil.tar\n    - !Tar { url: ./evil.tar, path: /opt/x }\n`;
    const dir2 = await makeProject({ 'vagga.yaml': link }, { name: 'compat-link' });
    const r2 = await vagga(dir2, ['_build', 'bb'], { timeoutMs: 300_000 });
    assert.notEqual(r2.status, 0, show(r2));
    assert.match(r2.stderr, /url: "\.\/evil\.tar" resolves to .*outside the project/, show(r2));
    assert.ok(!existsSync(rootOf(dir2, 'bb')), 'nothing was built');
  });
});
