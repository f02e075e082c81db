/**
 * End-to-end: `!CapsuleCommand` and `vagga _capsule` (vagga-inventory.md §1.6, §1.8; Vagga's
 * capsule.bats: `vagga vagga` runs vagga inside the capsule, which lists the commands and
 * exits 127; `vagga vagga _capsule build NAME` builds a container from inside), as an
 * ordinary user (harness.ts) on the offline busybox base. Also: a container built inside a
 * capsule is the one the host uses (same version, same host owners, no rebuild), also with
 * the storage-dir setting; the capsule shows nothing of the host but /usr and what vagga owns;
 * exit statuses and arguments pass through; `_capsule` outside a capsule is refused.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, chownSync, readlinkSync, realpathSync, statSync } from 'node:fs';
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
commands:
  vagga: !CapsuleCommand
    description: Recursive vagga
    run: [vagga]
  csh: !CapsuleCommand
    description: A shell in the capsule
    run: [sh, -c]
  fixed: !CapsuleCommand
    run: exit 7
`;

/** A storage dir of the test user under the stage and settings using it (with the shared cache dir). */
function storageDirSettings(env: E2EEnv, name: string): { storage: string; settings: string } {
  const storage = join(env.stageDir, name);
  mkdirSync(storage, { recursive: true });
  chownSync(storage, env.uid, env.gid);
  return { storage, settings: `cache-dir: ${env.cacheDir}\nstorage-dir: ${storage}\n` };
}

describe('!CapsuleCommand', () => {
  let env: E2EEnv;
  let dir: string;
  before(async () => {
    env = await e2eEnv();
    dir = await makeProject({ 'vagga.yaml': yaml }, { name: 'capsule' });
  });

  test("Vagga's test: vagga in a capsule runs (lists the commands, exit 127)", async () => {
    const r = await vagga(dir, ['vagga']);
    assert.equal(r.status, 127, show(r));
    assert.match(r.stdout + r.stderr, /Recursive vagga/, show(r));
  });

  test("Vagga's test: vagga in a capsule builds a container, the one the host then uses", async () => {
    const hash = await vagga(dir, ['_version_hash', '--short', 'box']);
    assert.equal(hash.status, 0, show(hash));
    const short = hash.stdout.trim();
    let r = await vagga(dir, ['vagga', '_capsule', 'build', 'box']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr + r.stdout, new RegExp(`Container box \\(${short}\\) built`), show(r));
    assert.equal(readlinkSync(join(dir, '.vagga', 'box')), `.roots/box.${short}/root`);
    // The file of uid 1000 belongs to the host id a host build gives it: not the user, and
    // the host's vagga neither rebuilds nor complains about the uid map.
    const owned = join(dir, '.vagga', 'box', 'data', 'owned');
    const owner = statSync(owned).uid;
    assert.notEqual(owner, env.uid);
    r = await vagga(dir, ['_build', 'box']);
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /rebuilding|built in/, show(r));
    r = await vagga(dir, ['_run', 'box', 'stat', '-c', '%u', '/data/owned']);
    assert.equal(r.stdout.trim(), '1000', show(r));
    assert.equal(statSync(owned).uid, owner);
    // _capsule run: a command in that container, from the capsule.
    r = await vagga(dir, ['vagga', '_capsule', 'run', 'box', 'cat', '/data/owned']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'secret of 1000\n', show(r));
  });

  test('the capsule sees /usr, the project at /work, vagga on PATH, and nothing else of the host', async () => {
    const r = await vagga(dir, ['csh', 'id -u; pwd; command -v vagga; ls /; test -e /home && echo home; test -e /etc/passwd && echo passwd; ls /work/vagga.yaml; echo $_VAGGA_IN_CAPSULE']);
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['0', '/work', '/vagga/bin/vagga'], show(r));
    assert.ok(!lines.includes('home') && !lines.includes('passwd'), show(r));
    assert.ok(lines.includes('/work/vagga.yaml') && lines.at(-1) === '1', show(r));
  });

  test('exit statuses and arguments pass through; a string `run` takes none', async () => {
    let r = await vagga(dir, ['fixed']);
    assert.equal(r.status, 7, show(r));
    r = await vagga(dir, ['fixed', 'extra']);
    assert.equal(r.status, 122, show(r));
    r = await vagga(dir, ['csh', 'echo "$0:$1"; exit 3', 'a b', 'c']);
    assert.equal(r.status, 3, show(r));
    assert.equal(r.stdout, 'a b:c\n', show(r));
  });

  test('_capsule: unknown subcommand 127, bad arguments 122, outside a capsule 121', async () => {
    let r = await vagga(dir, ['vagga', '_capsule', 'nope']);
    assert.equal(r.status, 127, show(r));
    assert.match(r.stderr, /Unknown command "nope"/, show(r));
    r = await vagga(dir, ['vagga', '_capsule', 'build']);
    assert.equal(r.status, 122, show(r));
    r = await vagga(dir, ['_capsule', 'build', 'box']);
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /only inside a !CapsuleCommand/, show(r));
  });

  test('with storage-dir: the capsule builds into the same storage, the back-link stays the host path', async () => {
    const { storage, settings } = storageDirSettings(env, 'capsule-storage');
    const other = await makeProject({ 'vagga.yaml': yaml }, { name: 'capsule-storage' });
    let r = await vagga(other, ['vagga', '_capsule', 'build', 'box'], { settings });
    assert.equal(r.status, 0, show(r));
    const lnk = readlinkSync(join(other, '.vagga', '.lnk'));
    assert.ok(lnk.startsWith(storage), lnk);
    assert.equal(readlinkSync(join(lnk, '.lnk')), realpathSync(other));
    r = await vagga(other, ['_build', 'box'], { settings });
    assert.equal(r.status, 0, show(r));
    assert.doesNotMatch(r.stderr, /rebuilding|built in/, show(r));
    assert.equal(readlinkSync(join(lnk, '.lnk')), realpathSync(other));
  });

  test('the capsule reaches neither the shared cache nor other projects\' storage', async () => {
    const { storage, settings } = storageDirSettings(env, 'capsule-storage-2');
    const first = await makeProject({ 'vagga.yaml': yaml }, { name: 'capsule-first' });
    let r = await vagga(first, ['_build', 'box'], { settings });
    assert.equal(r.status, 0, show(r));
    const firstBase = readlinkSync(join(first, '.vagga', '.lnk'));
    const second = await makeProject({ 'vagga.yaml': yaml }, { name: 'capsule-second' });
    r = await vagga(second, ['csh', `ls -A ${env.cacheDir}; ls ${firstBase} || echo no-other; ls ${storage}`], { settings });
    assert.equal(r.status, 0, show(r));
    // Of the shared cache only the path to the capsule's own cache exists (bwrap made its parents).
    assert.equal(r.stdout.split('\n')[0], 'capsules', show(r));
    assert.match(r.stdout, /no-other/, show(r));
    const own = readlinkSync(join(second, '.vagga', '.lnk'));
    assert.equal(r.stdout.trim().split('\n').at(-1), own.split('/').at(-1), show(r));
  });

  test('regression: a command cannot remount its read-only root writable (no CAP_SYS_ADMIN)', async () => {
    const r = await vagga(dir, ['_run', 'box', 'sh', '-c', 'mount -o remount,rw,bind / || echo no-remount; unshare -U -r -m sh -c "mount -o remount,rw,bind / || echo locked"; echo x > /evil || echo read-only']);
    assert.equal(r.status, 0, show(r));
    assert.deepEqual(r.stdout.trim().split('\n'), ['no-remount', 'locked', 'read-only'], show(r));
    assert.equal(existsSync(join(dir, '.vagga', 'box', 'evil')), false);
  });

  test('regression: the capsule runs a copy of vagga, never the files the host runs', async () => {
    const r = await vagga(dir, ['csh', 'stat -c %d:%i /vagga/bundle/vagga.cjs; mount -o remount,rw,bind /vagga/bundle && echo "//tampered" >> /vagga/bundle/vagga.cjs && echo written']);
    assert.equal(r.status, 0, show(r));
    const [inside, written] = r.stdout.trim().split('\n');
    const host = statSync(join(env.distDir, 'vagga.cjs'));
    assert.notEqual(inside, `${host.dev}:${host.ino}`, show(r));
    assert.equal(written, 'written', show(r));
    const again = await vagga(dir, ['_version_hash', 'box']);
    assert.equal(again.status, 0, show(again));
  });

  test('regression: links a capsule plants in its storage-dir subdir are refused by the host\'s vagga', async () => {
    const { settings } = storageDirSettings(env, 'capsule-storage-3');
    const p = await makeProject({ 'vagga.yaml': yaml }, { name: 'capsule-plant' });
    let r = await vagga(p, ['csh', 'S=$(readlink .vagga/.lnk); rm -rf "$S/.volumes" && ln -s /tmp "$S/.volumes" && echo planted'], { settings });
    assert.equal(r.stdout.trim(), 'planted', show(r));
    r = await vagga(p, ['_build', 'box'], { settings });
    assert.equal(r.status, 121, show(r));
    assert.match(r.stderr, /\.volumes is a symbolic link, not a directory vagga made/, show(r));
  });
});
