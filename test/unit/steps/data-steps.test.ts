/**
 * Build side of the data-only steps against a temp root with a fake BuildContext. These run
 * as the test process (root on the dev machine), not inside the builder's user namespace:
 * they prove what the steps write (content, modes, times, owners, links, registrations),
 * not that the sandbox allows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { stepDef } from '../../../src/steps/registry.js';
import { step } from '../version/helpers.js';
import { fakeContext } from './fake-context.js';
import { SHARED_DIR } from '../shared-dir.js';

async function run(ctx: ReturnType<typeof fakeContext>, tag: string, value: Parameters<typeof step>[1]): Promise<void> {
  const s = step(tag, value);
  await stepDef(tag)!.build!(s.params, ctx);
}
const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;

/**
 * Owners for tests that set or keep "some owner": distinct ids as root; as an ordinary user
 * only its own uid/gid can be given to a file, so there the owner checks are weaker (the
 * builder runs as namespace root, which the end-to-end tests cover rootless).
 */
const isRoot = process.geteuid?.() === 0;
const someOwner = (uid: number, gid: number): [number, number] => (isRoot ? [uid, gid] : [process.getuid!(), process.getgid!()]);

test('!Text writes files with mode 0644 and needs the parent dir', async () => {
  const ctx = fakeContext();
  try {
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    await run(ctx, 'Text', { '/etc/a.txt': 'hello\n' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/a.txt'), 'utf8'), 'hello\n');
    assert.equal(mode(path.join(ctx.root, 'etc/a.txt')), 0o644);
    await assert.rejects(run(ctx, 'Text', { '/nodir/a': 'x' }), /Can't create file/);
  } finally { ctx.cleanup(); }
});

test('!Env adds to the build env (and replays)', async () => {
  const ctx = fakeContext();
  try {
    await run(ctx, 'Env', { A: '1', B: 'two' });
    assert.deepEqual(ctx.env, { A: '1', B: 'two' });
    stepDef('Env')!.replay!({ C: '3' }, ctx);
    assert.equal((ctx.env as Record<string, string>)['C'], '3');
  } finally { ctx.cleanup(); }
});

test('!EnsureDir / !EmptyDir / !Remove act now and register for the finish phase', async () => {
  const ctx = fakeContext({ volumes: ['/var/lib/mount_point'] });
  try {
    await run(ctx, 'EnsureDir', '/var/lib/mount_point/subdir');
    assert.ok(fs.statSync(path.join(ctx.root, 'var/lib/mount_point/subdir')).isDirectory());
    assert.deepEqual(ctx.finish.ensureDirs, ['/var/lib/mount_point/subdir']);
    assert.match(ctx.warnings[0] ?? '', /^"\/var\/lib\/mount_point\/subdir" directory is in the volume: "\/var\/lib\/mount_point"/);
    await run(ctx, 'EnsureDir', '/var/lib/mount_point');
    assert.equal(ctx.warnings.length, 1);
    fs.writeFileSync(path.join(ctx.root, 'file'), '');
    await assert.rejects(run(ctx, 'EnsureDir', '/file'), /exists but not a directory/);

    fs.mkdirSync(path.join(ctx.root, 'opt/x'), { recursive: true });
    fs.writeFileSync(path.join(ctx.root, 'opt/f'), '');
    await run(ctx, 'EmptyDir', '/opt');
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'opt')), []);
    assert.deepEqual(ctx.finish.emptyDirs, ['/opt']);

    fs.symlinkSync('/nowhere', path.join(ctx.root, 'link'));
    await run(ctx, 'Remove', '/link');
    await run(ctx, 'Remove', '/var');
    await run(ctx, 'Remove', '/missing');
    assert.throws(() => fs.lstatSync(path.join(ctx.root, 'link')));
    assert.throws(() => fs.lstatSync(path.join(ctx.root, 'var')));
    assert.deepEqual(ctx.finish.removePaths, ['/link', '/var', '/missing']);
  } finally { ctx.cleanup(); }
});

test('!CacheDirs creates the mount point and registers the cache bind', async () => {
  const ctx = fakeContext();
  try {
    await run(ctx, 'CacheDirs', { '/var/cache/x': 'x-cache' });
    assert.ok(fs.statSync(path.join(ctx.root, 'var/cache/x')).isDirectory());
    assert.deepEqual([...ctx.cacheMounts], [['/var/cache/x', 'x-cache']]);
  } finally { ctx.cleanup(); }
});

function fixture(dir: string): void {
  execFileSync('cp', ['-r', path.join(SHARED_DIR, 'vagga-fixtures/copy') + '/.', dir]);
  execFileSync('chmod', ['-R', 'u+w', dir]);
  fs.symlinkSync('hello', path.join(dir, 'dir/link'));
}

test('!Copy of a /work tree: umask modes, times 1, symlinks verbatim, owners kept', async () => {
  const ctx = fakeContext();
  try {
    fixture(ctx.projectRoot);
    fs.mkdirSync(path.join(ctx.root, 'var'));
    await run(ctx, 'Copy', { source: '/work/dir', path: '/var/dir' });
    const d = path.join(ctx.root, 'var/dir');
    assert.equal(mode(d), 0o775);
    assert.equal(mode(path.join(d, 'hello')), 0o664);
    assert.equal(mode(path.join(d, 'exe.sh')), 0o775);
    assert.equal(mode(path.join(d, 'subdir')), 0o775);
    assert.equal(mode(path.join(d, 'subdir/file')), 0o664);
    assert.equal(fs.readFileSync(path.join(d, 'subdir/file'), 'utf8'), 'sub\n');
    assert.equal(fs.readlinkSync(path.join(d, 'link')), 'hello');
    const st = fs.statSync(path.join(d, 'hello'));
    assert.equal(st.mtimeMs, 1000);
    assert.equal(st.atimeMs, 1000);
    assert.equal(st.uid, fs.statSync(path.join(ctx.projectRoot, 'dir/hello')).uid);
  } finally { ctx.cleanup(); }
});

test('!Copy options: umask, owner, preserve-permissions/times, rules', async () => {
  const ctx = fakeContext();
  try {
    fixture(ctx.projectRoot);
    const [uid, gid] = someOwner(1, 2);
    await run(ctx, 'Copy', { source: '/work/dir', path: '/u', umask: '0o077', 'owner-uid': uid, 'owner-gid': gid });
    assert.equal(mode(path.join(ctx.root, 'u')), 0o700);
    assert.equal(mode(path.join(ctx.root, 'u/hello')), 0o600);
    assert.equal(mode(path.join(ctx.root, 'u/exe.sh')), 0o700);
    for (const rel of ['u', 'u/subdir', 'u/subdir/file', 'u/link']) {
      const o = fs.lstatSync(path.join(ctx.root, rel));
      assert.deepEqual([o.uid, o.gid], [uid, gid], rel);
    }

    execFileSync('chmod', ['-R', 'ug+rwX,o-rwx', path.join(ctx.projectRoot, 'dir')]);
    fs.utimesSync(path.join(ctx.projectRoot, 'dir/hello'), 5000, 6000);
    await run(ctx, 'Copy', { source: '/work/dir', path: '/p', 'preserve-permissions': true, 'preserve-times': true });
    assert.equal(mode(path.join(ctx.root, 'p/hello')), 0o660);
    assert.equal(mode(path.join(ctx.root, 'p/subdir')), 0o770);
    assert.equal(fs.statSync(path.join(ctx.root, 'p/hello')).mtimeMs, 6000 * 1000);

    await run(ctx, 'Copy', { source: '/work/dir', path: '/r', rules: ['/hello', '/**/file', '!file'] });
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'r')), ['hello']);
    await run(ctx, 'Copy', { source: '/work/dir', path: '/n', rules: ['!file'] });
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'n')), []);
    assert.ok(ctx.warnings.some((w) => w.includes("You didn't add any include rules")));
  } finally { ctx.cleanup(); }
});

test('!Copy of a single file and of a path inside the container', async () => {
  const ctx = fakeContext();
  try {
    fixture(ctx.projectRoot);
    await run(ctx, 'Copy', { source: '/work/file', path: '/file' });
    assert.equal(mode(path.join(ctx.root, 'file')), 0o664);
    assert.equal(fs.statSync(path.join(ctx.root, 'file')).mtimeMs, 1000);
    fs.mkdirSync(path.join(ctx.root, 'src'), { mode: 0o700 });
    fs.writeFileSync(path.join(ctx.root, 'src/f'), 'Hello', { mode: 0o600 });
    await run(ctx, 'Copy', { source: '/src', path: '/src.bak' });
    assert.equal(mode(path.join(ctx.root, 'src.bak')), 0o775);
    assert.equal(mode(path.join(ctx.root, 'src.bak/f')), 0o664);
    await assert.rejects(run(ctx, 'Copy', { source: '/missing', path: '/x' }), /can't read source/);
  } finally { ctx.cleanup(); }
});

test('!Copy creates missing parents of the destination with mode 0755 (whatever the umask)', async () => {
  const ctx = fakeContext();
  const saved = process.umask(0o077);
  try {
    fixture(ctx.projectRoot);
    await run(ctx, 'Copy', { source: '/work/dir', path: '/opt/files/dir' });
    for (const rel of ['opt', 'opt/files']) {
      assert.ok(fs.lstatSync(path.join(ctx.root, rel)).isDirectory(), rel);
      assert.equal(mode(path.join(ctx.root, rel)), 0o755, rel);
    }
    assert.equal(fs.readFileSync(path.join(ctx.root, 'opt/files/dir/subdir/file'), 'utf8'), 'sub\n');
    assert.equal(mode(path.join(ctx.root, 'opt/files/dir')), 0o775, 'the copy itself still follows !Copy\'s umask');
    await run(ctx, 'Copy', { source: '/work/file', path: '/srv/a/b/file' });
    assert.equal(mode(path.join(ctx.root, 'srv/a')), 0o755);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'srv/a/b/file'), 'utf8'), fs.readFileSync(path.join(ctx.projectRoot, 'file'), 'utf8'));
    // An existing parent is left as it is.
    fs.mkdirSync(path.join(ctx.root, 'var'), { mode: 0o700 });
    await run(ctx, 'Copy', { source: '/work/file', path: '/var/x/file' });
    assert.equal(mode(path.join(ctx.root, 'var')), 0o700);
    assert.equal(mode(path.join(ctx.root, 'var/x')), 0o755);
  } finally {
    process.umask(saved);
    ctx.cleanup();
  }
});

test('!Container copies the parent root and replays its context recursively', async () => {
  const parent = fakeContext();
  const ctx = fakeContext({
    roots: { parent: parent.root },
    containers: {
      grand: [step('Env', { G: '1' }), step('CacheDirs', { '/c': 'c' })],
      parent: [step('Container', 'grand'), step('Env', { P: '2' }), step('EnsureDir', '/e'), step('Remove', '/r'), step('Text', { '/t': 'x' })],
    },
  });
  try {
    fs.mkdirSync(path.join(parent.root, 'etc'), { mode: 0o750 });
    fs.writeFileSync(path.join(parent.root, 'etc/x'), 'data');
    const [uid, gid] = someOwner(7, 8);
    fs.chownSync(path.join(parent.root, 'etc/x'), uid, gid);
    fs.symlinkSync('x', path.join(parent.root, 'etc/l'));
    await run(ctx, 'Container', 'parent');
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/x'), 'utf8'), 'data');
    const st = fs.statSync(path.join(ctx.root, 'etc/x'));
    assert.deepEqual([st.uid, st.gid], [uid, gid]);
    assert.equal(mode(path.join(ctx.root, 'etc')), 0o750);
    assert.equal(fs.readlinkSync(path.join(ctx.root, 'etc/l')), 'x');
    assert.deepEqual(ctx.env, { G: '1', P: '2' });
    assert.deepEqual([...ctx.cacheMounts], [['/c', 'c']]);
    assert.deepEqual(ctx.finish.ensureDirs, ['/e']);
    assert.deepEqual(ctx.finish.removePaths, ['/r']);
    assert.deepEqual(stepDef('Container')!.dependsOn!('parent'), ['parent']);
  } finally { ctx.cleanup(); parent.cleanup(); }
});

test('!Depends build only warns about missing include rules', async () => {
  const ctx = fakeContext();
  try {
    await run(ctx, 'Depends', { path: 'x', rules: ['!y'] });
    assert.match(ctx.warnings[0] ?? '', /You didn't add any include rules/);
  } finally { ctx.cleanup(); }
});

test('steps reject malformed parameters', () => {
  assert.throws(() => step('UbuntuUniverse', 'x'), /Expected nothing/);
  assert.throws(() => step('RunAs', {}), /Field script is expected/);
  assert.throws(() => step('Copy', { source: '/work', path: 'rel' }), /Path must be absolute/);
});
