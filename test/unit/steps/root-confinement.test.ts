/**
 * Steps and the finish phase never write, empty or delete outside the root being built,
 * whatever symlinks an earlier step left in it (issue 8): the builder resolves container
 * paths with the root as `/` (src/steps/root-path.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stepDef } from '../../../src/steps/registry.js';
import { inContainerRoot, refuseLinksOut, resolveBuildPath } from '../../../src/steps/root-path.js';
import { finishRoot } from '../../../src/builder/finish.js';
import { lendNetworkFiles } from '../../../src/builder/build-context.js';
import { step } from '../version/helpers.js';
import { fakeContext, type FakeContext } from './fake-context.js';

/** A canary dir next to the root (as the user's cache is next to /vagga/root in the builder). */
function canary(ctx: FakeContext): { dir: string; check(): void } {
  const dir = path.join(path.dirname(ctx.root), 'cache');
  fs.mkdirSync(path.join(dir, 'debian'), { recursive: true });
  const file = path.join(dir, 'debian', 'base.tar');
  fs.writeFileSync(file, 'CANARY');
  const before = fs.statSync(file).mtimeMs;
  return {
    dir,
    check() {
      assert.deepEqual(fs.readdirSync(dir).sort(), ['debian']);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'debian')), ['base.tar']);
      assert.equal(fs.readFileSync(file, 'utf8'), 'CANARY');
      assert.equal(fs.statSync(file).mtimeMs, before);
    },
  };
}

/** Run `fn` with a fresh fake build context, removed afterwards. */
async function inContext(fn: (ctx: FakeContext) => Promise<void>): Promise<void> {
  const ctx = fakeContext();
  try {
    await fn(ctx);
  } finally {
    ctx.cleanup();
  }
}

async function build(ctx: FakeContext, tag: string, value: Parameters<typeof step>[1]): Promise<void> {
  await stepDef(tag)!.build!(step(tag, value).params, ctx);
}

test('inContainerRoot: .. above / refused; symlinks followed inside the root', () => inContext(async (ctx) => {
  const { dir } = canary(ctx);
  assert.throws(() => inContainerRoot(ctx.root, '/../cache/x'), /leaves the container's root/);
  fs.symlinkSync(dir, path.join(ctx.root, 'abs'));
  fs.symlinkSync('../../cache', path.join(ctx.root, 'rel'));
  assert.equal(inContainerRoot(ctx.root, '/abs/debian'), path.join(ctx.root, dir.slice(1), 'debian'));
  assert.equal(inContainerRoot(ctx.root, '/rel/debian'), path.join(ctx.root, 'cache/debian'));
  assert.equal(inContainerRoot(ctx.root, '/rel', { followLast: false }), path.join(ctx.root, 'rel'));
}));

test('!Text, !EnsureDir, !EmptyDir, !Remove, !CacheDirs through planted symlinks stay in the root', () => inContext(async (ctx) => {
  const c = canary(ctx);
  // What `!Sh "ln -s ..."` could have left: absolute and relative links out of the root.
  fs.symlinkSync(c.dir, path.join(ctx.root, 'abs'));
  fs.symlinkSync('../cache', path.join(ctx.root, 'rel'));
  fs.symlinkSync(path.join(c.dir, 'debian'), path.join(ctx.root, 'deb'));
  await build(ctx, 'EnsureDir', '/abs/debian');
  await build(ctx, 'EnsureDir', '/rel/debian');
  await build(ctx, 'Text', { '/abs/debian/base.tar': 'evil', '/rel/debian/new': 'evil' });
  assert.equal(fs.readFileSync(path.join(ctx.root, c.dir.slice(1), 'debian/base.tar'), 'utf8'), 'evil', 'written inside the root');
  assert.equal(fs.readFileSync(path.join(ctx.root, 'cache/debian/new'), 'utf8'), 'evil');
  await build(ctx, 'EmptyDir', '/deb');
  await build(ctx, 'EmptyDir', '/rel/debian');
  await build(ctx, 'Remove', '/deb');
  await build(ctx, 'Remove', '/abs/debian/base.tar');
  await build(ctx, 'CacheDirs', { '/rel/x': 'name' });
  c.check();
  assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'cache/debian')), [], '!EmptyDir emptied the dir inside the root');
  assert.ok(!fs.existsSync(path.join(ctx.root, 'deb')), '!Remove removes the link itself');
}));

test('finish phase: /tmp, /var/tmp and /etc as symlinks out of the root are not followed', () => inContext(async (ctx) => {
  const c = canary(ctx);
  fs.symlinkSync(c.dir, path.join(ctx.root, 'tmp'));
  fs.mkdirSync(path.join(ctx.root, 'var'));
  fs.symlinkSync(c.dir, path.join(ctx.root, 'var/tmp'));
  fs.symlinkSync('../../cache/debian', path.join(ctx.root, 'etc'));
  fs.symlinkSync(c.dir, path.join(ctx.root, 'gone'));
  ctx.finish.removePaths.push('/gone');
  ctx.finish.emptyDirs.push('/gone');
  ctx.finish.ensureDirs.push('/etc/sub');
  lendNetworkFiles(ctx.root)();
  await finishRoot(ctx, ['/etc/sub/custom.conf']);
  c.check();
  assert.ok(fs.existsSync(path.join(ctx.root, 'cache/debian/resolv.conf')), 'network files made inside the root');
  assert.ok(fs.statSync(path.join(ctx.root, 'cache/debian/sub')).isDirectory());
  assert.equal(fs.readFileSync(path.join(ctx.root, 'cache/debian/sub/custom.conf'), 'utf8'), '', 'a custom resolv-conf-path made inside the root');
}));

test('resolveBuildPath: /work paths must stay in the project, symlinks followed', () => inContext(async (ctx) => {
  const c = canary(ctx);
  fs.symlinkSync(c.dir, path.join(ctx.projectRoot, 'cachelink'));
  assert.throws(() => resolveBuildPath('/work/cachelink/debian', ctx, 'source'), /^Error: source: .*outside the project|source: "[^"]*" resolves to/);
  assert.throws(() => resolveBuildPath('cachelink', ctx, 'source'), /outside the project/);
  assert.equal(resolveBuildPath('/work/sub/../x', ctx), path.join(ctx.projectRoot, 'x'));
}));

test('tree writers refuse a destination holding a symlink into the cache (builder view)', () => inContext(async (ctx) => {
  const c = canary(ctx);
  fs.mkdirSync(path.join(ctx.root, 'etc'));
  fs.symlinkSync('/etc/alternatives/awk', path.join(ctx.root, 'etc/awk'));
  refuseLinksOut(ctx.root, ctx.root, [c.dir]);
  fs.symlinkSync(path.join(c.dir, 'debian'), path.join(ctx.root, 'etc/deb'));
  assert.throws(() => refuseLinksOut(ctx.root, ctx.root, [c.dir]), /"\/etc\/deb" is a symlink to .*outside the container/);
  assert.throws(() => refuseLinksOut(ctx.root, path.join(ctx.root, 'etc'), [c.dir]), /"\/etc\/deb"/);
  refuseLinksOut(ctx.root, path.join(ctx.root, 'missing'), [c.dir]);
  // Links to an ancestor of the cache reach it too (`link/cache/x`): regression for `/vagga` and `/`.
  fs.rmSync(path.join(ctx.root, 'etc/deb'));
  fs.symlinkSync(path.dirname(c.dir), path.join(ctx.root, 'etc/up'));
  assert.throws(() => refuseLinksOut(ctx.root, ctx.root, [c.dir]), /"\/etc\/up" is a symlink/);
  fs.rmSync(path.join(ctx.root, 'etc/up'));
  fs.symlinkSync('/', path.join(ctx.root, 'etc/slash'));
  assert.throws(() => refuseLinksOut(ctx.root, ctx.root, [c.dir]), /"\/etc\/slash" is a symlink/);
  fs.rmSync(path.join(ctx.root, 'etc/slash'));
  fs.symlinkSync(path.join(c.dir, 'debian'), path.join(ctx.root, 'etc/deb'));
  ctx.cacheDir = c.dir;
  // A single path is resolved inside the root; a tree copied over the link is refused.
  fs.writeFileSync(path.join(ctx.projectRoot, 'f'), 'x');
  await build(ctx, 'Copy', { source: '/work/f', path: '/etc/deb/base.tar' });
  fs.mkdirSync(path.join(ctx.projectRoot, 'tree/deb'), { recursive: true });
  fs.writeFileSync(path.join(ctx.projectRoot, 'tree/deb/base.tar'), 'evil');
  await assert.rejects(build(ctx, 'Copy', { source: '/work/tree', path: '/etc' }), /"\/etc\/deb" is a symlink/);
  c.check();
}));
