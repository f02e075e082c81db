/**
 * `!Install`/`!BuildDeps`/`!Debian` build logic against a fake BuildContext whose `run`
 * records argv (no apt runs here; the live check runs real apt). The id-map check reads this
 * process's own maps, which are full when tests run as root or in a multi-id namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { BuildContext } from '../../../src/steps/step.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { buildDepsStep, installStep } from '../../../src/steps/packages.js';
import { debianStep } from '../../../src/steps/debian.js';
import { bootstrapTarballPath } from '../../../src/steps/debian/bootstrap.js';
import { replaceChfn } from '../../../src/steps/debian/unpack.js';
import { aptAutoremoveArgv, aptInstallArgv, aptListsCacheName, aptUpdateArgv } from '../../../src/steps/debian/apt.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { tempDir } from '../temp-dir.js';
import { lockHeld } from '../../../src/storage/lock.js';

const MIRROR = 'http://mirror.example/debian';

function fakeCtx(): BuildContext & { runs: { argv: string[]; env?: Record<string, string> }[] } {
  const base = tempDir('vagga-pkg-');
  const root = join(base, 'root');
  const cacheDir = join(base, 'cache');
  mkdirSync(root);
  mkdirSync(cacheDir);
  const runs: { argv: string[]; env?: Record<string, string> }[] = [];
  const ctx = {
    containerName: 'test',
    root,
    projectRoot: base,
    cacheDir,
    settings: { debianMirror: MIRROR, buildLockWait: false, proxyEnvVars: true, propagateEnviron: [], environ: {}, externalVolumes: {} },
    log: { info() {}, warn() {}, debug() {} },
    env: { PATH: '/usr/bin:/bin' },
    state: new Map<string, unknown>(),
    cacheMounts: new Map<string, string>(),
    finish: { ensureDirs: [], emptyDirs: [], removePaths: [], hooks: [] },
    containerRoot: (n: string) => `/vagga/containers/${n}`,
    async run(argv: string[], options?: { env?: Record<string, string> }) {
      // The shared apt cache lock is held around every apt run.
      assert.ok(existsSync(join(cacheDir, 'apt-archives-debian.lock')), 'apt lock held during run');
      runs.push({ argv, env: options?.env });
    },
    runs,
  };
  return ctx as BuildContext & { runs: typeof runs };
}

test('package steps need an active distribution', async () => {
  const ctx = fakeCtx();
  await assert.rejects(installStep.build!({ packages: ['hello'] }, ctx), (e: unknown) => e instanceof VaggaError && e.message === 'this step requires some linux distribution to be active');
  await assert.rejects(buildDepsStep.build!({ packages: ['gcc'] }, ctx), /requires some linux distribution/);
  assert.equal(ctx.runs.length, 0);
});

test('Install: apt-get update once per build, then install; caches and env set; lock released', async () => {
  const ctx = fakeCtx();
  activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
  await installStep.build!({ packages: ['hello'] }, ctx);
  await installStep.build!({ packages: ['bc', 'curl'] }, ctx);
  await installStep.build!({ packages: [] }, ctx);
  assert.deepEqual(
    ctx.runs.map((r) => r.argv),
    [aptUpdateArgv(), aptInstallArgv(['hello']), aptInstallArgv(['bc', 'curl'])],
  );
  assert.equal(ctx.runs[0]!.env!.DEBIAN_FRONTEND, 'noninteractive');
  assert.equal(ctx.env.DEBIAN_FRONTEND, 'noninteractive');
  assert.equal(ctx.env.LANG, 'C.UTF-8');
  assert.equal(ctx.cacheMounts.get('/var/cache/apt/archives'), 'apt-archives-debian');
  assert.equal(ctx.cacheMounts.get('/var/lib/apt/lists'), aptListsCacheName('bookworm', MIRROR));
  assert.equal(ctx.finish.hooks.length, 1);
  assert.equal(lockHeld(join(ctx.cacheDir, 'apt-archives-debian.lock')), false, 'the apt cache lock is released');
  await assert.rejects(installStep.build!({ packages: ['--allow-unauthenticated'] }, ctx), /Invalid package name/);
});

test('BuildDeps are removed at finish unless !Install-ed; apt state in the root is cleared', async () => {
  const ctx = fakeCtx();
  activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
  await buildDepsStep.build!({ packages: ['gcc', 'make=4.3-4.1', 'bc'] }, ctx);
  await installStep.build!({ packages: ['bc=1.07.1-3+b1'] }, ctx);
  const lists = join(ctx.root, 'var/lib/apt/lists');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  writeFileSync(join(lists, 'lock'), '');
  writeFileSync(join(lists, 'mirror_dists_bookworm_InRelease'), 'x');
  writeFileSync(join(lists, 'partial', 'junk'), 'x');
  mkdirSync(join(ctx.root, 'var/cache/apt'), { recursive: true });
  writeFileSync(join(ctx.root, 'var/cache/apt/pkgcache.bin'), 'x');
  mkdirSync(join(ctx.root, 'var/log/apt'), { recursive: true });
  writeFileSync(join(ctx.root, 'var/log/apt/history.log'), 'lots');
  ctx.runs.length = 0;
  assert.equal(ctx.finish.hooks.length, 1);
  await ctx.finish.hooks[0]!();
  assert.deepEqual(ctx.runs.map((r) => r.argv), [
    ['apt-mark', 'auto', 'gcc', 'make'],
    aptAutoremoveArgv(),
  ]);
  assert.deepEqual(readdirSync(lists).sort(), ['lock', 'partial']);
  assert.deepEqual(readdirSync(join(lists, 'partial')), []);
  assert.equal(existsSync(join(ctx.root, 'var/cache/apt/pkgcache.bin')), false);
  assert.equal(statSync(join(ctx.root, 'var/log/apt/history.log')).size, 0);
});

test('BuildDeps removal: packages the root had before the build are kept, auto ones held manual during autoremove', async () => {
  const ctx = fakeCtx();
  activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
  mkdirSync(join(ctx.root, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(ctx.root, 'var/lib/apt'), { recursive: true });
  writeFileSync(join(ctx.root, 'var/lib/dpkg/status'), [
    'Package: perl\nStatus: install ok installed\nVersion: 5.36\n',
    'Package: libssl3\nStatus: install ok installed\n',
    'Package: gone\nStatus: deinstall ok config-files\n',
  ].join('\n'));
  writeFileSync(join(ctx.root, 'var/lib/apt/extended_states'), 'Package: libssl3\nArchitecture: amd64\nAuto-Installed: 1\n');
  await buildDepsStep.build!({ packages: ['perl', 'gcc', 'gone'] }, ctx);
  // What the build installed shows up in the status file only later: not part of the baseline.
  writeFileSync(join(ctx.root, 'var/lib/apt/extended_states'), 'Package: libssl3\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: cpp\nArchitecture: amd64\nAuto-Installed: 1\n');
  ctx.runs.length = 0;
  await ctx.finish.hooks[0]!();
  assert.deepEqual(ctx.runs.map((r) => r.argv), [
    ['apt-mark', 'manual', 'libssl3'],
    ['apt-mark', 'auto', 'gcc', 'gone'],
    aptAutoremoveArgv(),
    ['apt-mark', 'auto', 'libssl3'],
  ]);
});

test('replayed !Install (via !Container) protects packages from a later BuildDeps removal', async () => {
  const ctx = fakeCtx();
  debianStep.replay!({ suite: 'bookworm' }, ctx);
  installStep.replay!({ packages: ['gcc'] }, ctx);
  await buildDepsStep.build!({ packages: ['gcc', 'make'] }, ctx);
  ctx.runs.length = 0;
  await ctx.finish.hooks[0]!();
  assert.deepEqual(ctx.runs[0]!.argv, ['apt-mark', 'auto', 'make']);
  assert.throws(() => debianStep.replay!({ suite: 'bookworm' }, ctx), /step initializes distribution "debian" but the "debian" is already initialized/);
});

test('!Debian build: unpacks the cached base, writes apt config, refuses a non-empty root', async () => {
  const ctx = fakeCtx();
  // A tiny stand-in for the mmdebstrap tarball: ./-prefixed members, a device dir, owner 42.
  const src = join(ctx.projectRoot, 'src');
  for (const d of ['etc/apt/sources.list.d', 'var/lib/apt/lists/partial', 'dev', 'usr/sbin', 'usr/bin']) mkdirSync(join(src, d), { recursive: true });
  writeFileSync(join(src, 'etc/apt/sources.list.d/debian.sources'), 'Types: deb\n');
  writeFileSync(join(src, 'usr/bin/chfn'), 'the real chfn');
  writeFileSync(join(src, 'etc/os-release'), 'ID=debian\n');
  writeFileSync(join(src, 'dev/fake-node'), '');
  const tarball = bootstrapTarballPath(ctx.cacheDir, 'bookworm', MIRROR);
  mkdirSync(join(ctx.cacheDir, 'debian'));
  // Owners 0 and 42 need (namespace) root to restore; an ordinary user can only restore its
  // own ids, so there the tarball carries those and the owner-42 check is root-only (the
  // end-to-end tests unpack the real base rootless, inside the builder's namespace).
  const isRoot = process.geteuid?.() === 0;
  const [baseUid, baseGid] = isRoot ? [0, 0] : [process.getuid!(), process.getgid!()];
  const [aptUid, aptGid] = isRoot ? [42, 42] : [baseUid, baseGid];
  execFileSync('tar', ['-C', src, `--owner=${baseUid}`, `--group=${baseGid}`, '-cf', tarball, '.']);
  execFileSync('tar', ['-C', src, `--owner=${aptUid}`, `--group=${aptGid}`, '-rf', tarball, './var/lib/apt/lists/partial']);
  mkdirSync(join(ctx.root, 'proc'));
  mkdirSync(join(ctx.root, 'etc'));
  writeFileSync(join(ctx.root, 'etc/resolv.conf'), '');

  await debianStep.build!({ suite: 'bookworm' }, ctx);
  assert.equal(readFileSync(join(ctx.root, 'etc/os-release'), 'utf8'), 'ID=debian\n');
  const partial = statSync(join(ctx.root, 'var/lib/apt/lists/partial'));
  assert.deepEqual([partial.uid, partial.gid], [aptUid, aptGid]);
  assert.equal(statSync(join(ctx.root, 'etc/os-release')).uid, baseUid);
  assert.deepEqual(readdirSync(join(ctx.root, 'dev')), []);
  assert.equal(existsSync(join(ctx.root, 'etc/apt/sources.list.d/debian.sources')), false);
  assert.match(readFileSync(join(ctx.root, 'etc/apt/sources.list'), 'utf8'), /^deb http:\/\/mirror\.example\/debian bookworm main$/m);
  assert.equal(statSync(join(ctx.root, 'usr/sbin/policy-rc.d')).mode & 0o777, 0o755);
  // Regression (issue 14): like Vagga's Ubuntu, chfn is /bin/true, so a postinst calling it
  // does not fail with `chfn: cannot lock /etc/passwd` in the user namespace.
  assert.equal(readlinkSync(join(ctx.root, 'usr/bin/chfn')), '/bin/true');
  for (const d of ['dev', 'proc', 'run', 'sys', 'tmp', 'work']) assert.ok(statSync(join(ctx.root, d)).isDirectory(), d);
  assert.equal(ctx.env.DEBIAN_FRONTEND, 'noninteractive');
  assert.deepEqual(ctx.state.get('distro'), { name: 'debian', suite: 'bookworm', mirror: MIRROR });

  await assert.rejects(debianStep.build!({ suite: 'bookworm' }, ctx), /step initializes distribution "debian" but the "debian" is already initialized/);
  const other = fakeCtx();
  mkdirSync(join(other.cacheDir, 'debian'));
  execFileSync('cp', [tarball, bootstrapTarballPath(other.cacheDir, 'bookworm', MIRROR)]);
  mkdirSync(join(other.root, 'etc'));
  writeFileSync(join(other.root, 'etc/motd'), 'hi');
  await assert.rejects(debianStep.build!({ suite: 'bookworm' }, other), /!Debian must be the first step .* "\/etc\/motd" already exists/);
});

test('replaceChfn: chfn becomes a link to /bin/true (made when absent), a link there is replaced, not followed', () => {
  const base = tempDir('vagga-chfn-');
  const root = join(base, 'root');
  mkdirSync(root);
  replaceChfn(root);
  assert.equal(readlinkSync(join(root, 'usr/bin/chfn')), '/bin/true');
  const outside = join(base, 'outside');
  writeFileSync(outside, 'keep me');
  const other = join(base, 'other');
  mkdirSync(join(other, 'usr/bin'), { recursive: true });
  symlinkSync(outside, join(other, 'usr/bin/chfn'));
  replaceChfn(other);
  assert.equal(readlinkSync(join(other, 'usr/bin/chfn')), '/bin/true');
  assert.equal(readFileSync(outside, 'utf8'), 'keep me');
});
