/**
 * Build side of `!TarInstall`, `!RunAs` (argv planning), `!Build` (copy) and `!SubConfig`
 * against temp roots with a fake BuildContext whose `run` records calls; and the
 * `data-dirs` pruning. The sandboxed parts (setpriv in the step sandbox, temporary-mount)
 * are covered by test/e2e/git-build-runas-steps.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { stepDef } from '../../../src/steps/registry.js';
import { installDir } from '../../../src/steps/tar-install.js';
import { runAsArgv, type RunAsParams } from '../../../src/steps/run-as.js';
import { elfInterpreter, hostExec, HOST_USR_MOUNT } from '../../../src/steps/run-as/host-exec.js';
import { applyDataDirs, dataDirPlan } from '../../../src/builder/data-dirs.js';
import { buildStep, fakeContext, type FakeContext } from './fake-context.js';
import { tempDir } from '../temp-dir.js';

/** Record `run` calls, with a listing of the cwd taken at call time. */
function recordRuns(ctx: FakeContext): Array<{ argv: string[]; cwd?: string; ls: string[] }> {
  const calls: Array<{ argv: string[]; cwd?: string; ls: string[] }> = [];
  ctx.run = async (argv, options = {}) => {
    const hostCwd = path.join(ctx.root, options.cwd ?? '/work');
    calls.push({ argv, cwd: options.cwd, ls: fs.readdirSync(hostCwd).sort() });
  };
  return calls;
}

test('!TarInstall unpacks into /tmp/<file>, runs the script in the single top dir or subdir', async () => {
  const ctx = fakeContext();
  try {
    const src = tempDir('vti-');
    fs.mkdirSync(path.join(src, 'pkg-1.0/sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'pkg-1.0/configure'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(src, 'pkg-1.0/sub/Makefile'), 'all:\n');
    execFileSync('tar', ['-C', src, '-czf', path.join(ctx.projectRoot, 'pkg-1.0.tar.gz'), 'pkg-1.0']);
    const calls = recordRuns(ctx);
    await buildStep(ctx, 'TarInstall', { url: './pkg-1.0.tar.gz' });
    assert.deepEqual(calls[0]!.argv, ['/bin/sh', '-exc', './configure --prefix=/usr\nmake\nmake install\n']);
    assert.equal(calls[0]!.cwd, '/tmp/pkg-1.0.tar.gz/pkg-1.0');
    assert.deepEqual(calls[0]!.ls, ['configure', 'sub']);
    await buildStep(ctx, 'TarInstall', { url: './pkg-1.0.tar.gz', subdir: 'pkg-1.0/sub', script: 'make' });
    assert.equal(calls[1]!.cwd, '/tmp/pkg-1.0.tar.gz/pkg-1.0/sub');
    assert.deepEqual(calls[1]!.ls, ['Makefile']);
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'tmp')), [], 'unpacked tree removed after success');
    await assert.rejects(buildStep(ctx, 'TarInstall', { url: './pkg-1.0.tar.gz', subdir: 'nope' }), /"nope" is not found in archive/);
  } finally { ctx.cleanup(); }
});

test('installDir wants exactly one top-level entry (hidden ones ignored)', async () => {
  const dir = tempDir('vti-');
  await assert.rejects(installDir(dir, undefined, '!TarInstall'), /exactly one top-level directory, found 0/);
  fs.mkdirSync(path.join(dir, 'a'));
  fs.writeFileSync(path.join(dir, '.hidden'), '');
  assert.equal(await installDir(dir, undefined, '!TarInstall'), 'a');
  fs.mkdirSync(path.join(dir, 'b'));
  await assert.rejects(installDir(dir, undefined, '!TarInstall'), /found 2: a, b/);
  assert.equal(await installDir(dir, '.', '!TarInstall'), '');
});

const base: RunAsParams = { userId: 0, groupId: 0, supplementaryGids: [], workDir: '/work', isolateNetwork: false, script: 'id' };
const fakeExec = { mounts: [], argv: (p: string) => [`<${p}>`] };

test('!RunAs argv: setpriv to the ids, groups cleared or set, unshare for external-user-id', () => {
  assert.deepEqual(runAsArgv({ ...base, userId: 1, groupId: 2 }, fakeExec),
    ['</usr/bin/setpriv>', '--reuid=1', '--regid=2', '--clear-groups', '--', '/bin/sh', '-exc', 'id']);
  assert.deepEqual(runAsArgv({ ...base, supplementaryGids: [501, 502] }, fakeExec),
    ['</usr/bin/setpriv>', '--reuid=0', '--regid=0', '--groups=501,502', '--', '/bin/sh', '-exc', 'id']);
  assert.deepEqual(runAsArgv({ ...base, userId: 1, externalUserId: 0 }, fakeExec), [
    '</usr/bin/setpriv>', '--reuid=0', '--regid=0', '--clear-groups', '--',
    '</usr/bin/unshare>', '--user', '--map-user=1', '--map-group=0', '--', '/bin/sh', '-exc', 'id',
  ]);
});

test('host programs run through the host loader from the /usr bind', () => {
  assert.equal(elfInterpreter('/usr/bin/setpriv'), '/lib64/ld-linux-x86-64.so.2');
  if (fs.existsSync('/usr/bin/busybox')) assert.equal(elfInterpreter('/usr/bin/busybox'), undefined, 'busybox-static has no PT_INTERP');
  assert.throws(() => elfInterpreter('/etc/hostname'), /not an ELF file/);
  const exec = hostExec();
  assert.deepEqual(exec.mounts, [{ kind: 'bind', source: '/usr', dest: HOST_USR_MOUNT, readOnly: true }]);
  const argv = exec.argv('/usr/bin/setpriv');
  assert.equal(argv[0], `${HOST_USR_MOUNT}/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`);
  assert.equal(argv[1], '--library-path');
  assert.equal(argv[2], `${HOST_USR_MOUNT}/lib/x86_64-linux-gnu:${HOST_USR_MOUNT}/lib`);
  assert.equal(argv[3], `${HOST_USR_MOUNT}/bin/setpriv`);
  // The planned command really runs when the bind is reproduced on the host (/run/x -> /usr).
  const out = execFileSync(argv[0]!.replace(HOST_USR_MOUNT, '/usr'), [argv[1]!, argv[2]!.replaceAll(HOST_USR_MOUNT, '/usr'), '/usr/bin/setpriv', '--help'], { encoding: 'utf8' });
  assert.match(out, /--reuid/);
  const fake = hostExec((p) => (p === '/usr/bin/x' ? '/opt/x' : p), () => undefined);
  assert.throws(() => fake.argv('/usr/bin/x'), /outside \/usr/);
});

test('!Build copies a tree or a file from another container, keeping modes; rules filter', async () => {
  const srcRoot = tempDir('vbuild-');
  fs.mkdirSync(path.join(srcRoot, 'usr/lib/app/sub'), { recursive: true });
  fs.writeFileSync(path.join(srcRoot, 'usr/lib/app/run'), 'x', { mode: 0o750 });
  fs.writeFileSync(path.join(srcRoot, 'usr/lib/app/sub/data.txt'), 'd');
  fs.writeFileSync(path.join(srcRoot, 'usr/lib/app/skip.log'), 'l');
  fs.symlinkSync('run', path.join(srcRoot, 'usr/lib/app/link'));
  fs.utimesSync(path.join(srcRoot, 'usr/lib/app/run'), 1000, 2000);
  const ctx = fakeContext({ roots: { src: srcRoot } });
  try {
    await buildStep(ctx, 'Build', { container: 'src', source: '/usr/lib/app', path: '/opt/app' });
    const app = path.join(ctx.root, 'opt/app');
    assert.deepEqual(fs.readdirSync(app).sort(), ['link', 'run', 'skip.log', 'sub']);
    assert.equal(fs.statSync(path.join(app, 'run')).mode & 0o7777, 0o750);
    assert.equal(fs.statSync(path.join(app, 'run')).mtimeMs, 2000_000);
    assert.equal(fs.readlinkSync(path.join(app, 'link')), 'run');

    await buildStep(ctx, 'Build', { container: 'src', source: '/usr/lib/app/run', path: '/bin/run' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'bin/run'), 'utf8'), 'x');

    await buildStep(ctx, 'Build', { container: 'src', source: '/usr/lib/app', path: '/opt/ruled', rules: ['/sub', '/run'] });
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'opt/ruled')).sort(), ['run', 'sub']);
    assert.equal(fs.statSync(path.join(ctx.root, 'opt/ruled/run')).mode & 0o7777, 0o750);

    await assert.rejects(buildStep(ctx, 'Build', { container: 'src', source: '/nope', path: '/x' }), /"\/nope" does not exist in container "src"/);
    await assert.rejects(buildStep(ctx, 'Build', { container: 'src' }), /exactly one of `path` and `temporary-mount`/);
  } finally { ctx.cleanup(); }
});

test('!SubConfig builds the steps of a container from another file in the project', async () => {
  const ctx = fakeContext();
  try {
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    fs.mkdirSync(path.join(ctx.projectRoot, 'sub'));
    fs.writeFileSync(path.join(ctx.projectRoot, 'sub/other.yaml'), [
      'containers:',
      '  inner:',
      '    setup:',
      '    - !Text { /etc/from-sub.txt: "sub\\n" }',
      '    - !Env { SUB_VAR: yes }',
      '  needs-other:',
      '    setup:',
      '    - !Container inner',
      '',
    ].join('\n'));
    await buildStep(ctx, 'SubConfig', { path: 'sub/other.yaml', container: 'inner' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/from-sub.txt'), 'utf8'), 'sub\n');
    assert.equal(ctx.env.SUB_VAR, 'yes', 'context (!Env) carries over to later steps');
    await assert.rejects(buildStep(ctx, 'SubConfig', { path: 'sub/other.yaml', container: 'nope' }), /Container "nope" not found/);
    await assert.rejects(buildStep(ctx, 'SubConfig', { path: 'sub/other.yaml', container: 'needs-other' }), /needs another container/);
    await assert.rejects(buildStep(ctx, 'SubConfig', { path: 'missing.yaml', container: 'inner' }), /"missing.yaml" does not exist/);
  } finally { ctx.cleanup(); }
});

test('!SubConfig from a container reads the file inside that root only', async () => {
  const gen = tempDir('subcfg-gen-');
  const ctx = fakeContext({ roots: { gen } });
  try {
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    fs.mkdirSync(path.join(gen, 'etc'));
    const yaml = 'containers:\n  inner:\n    setup:\n    - !Text { /etc/from-gen.txt: "gen\\n" }\n';
    fs.writeFileSync(path.join(gen, 'etc/sub.yaml'), yaml);
    const from = (p: string) => ({ source: { kind: 'Container', name: 'gen' }, path: p, container: 'inner' });
    await stepDef('SubConfig')!.build!(from('etc/sub.yaml'), ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/from-gen.txt'), 'utf8'), 'gen\n');
    // A symlink to a host path is followed inside the root: the host file is not read.
    const hostFile = path.join(ctx.projectRoot, 'host.yaml');
    fs.writeFileSync(hostFile, yaml.replace('from-gen', 'from-host'));
    fs.symlinkSync(hostFile, path.join(gen, 'vagga.yaml'));
    await assert.rejects(stepDef('SubConfig')!.build!(from('vagga.yaml'), ctx), /"vagga.yaml" in container "gen" does not exist/);
    fs.symlinkSync('../../../../../../../../..' + hostFile, path.join(gen, 'up.yaml'));
    await assert.rejects(stepDef('SubConfig')!.build!(from('up.yaml'), ctx), /does not exist/);
    await assert.rejects(stepDef('SubConfig')!.build!(from('../../' + path.relative('/', hostFile)), ctx), /may not contain "\.\."/);
    await assert.rejects(stepDef('SubConfig')!.build!(from(hostFile), ctx), /must be relative/);
    assert.ok(!fs.existsSync(path.join(ctx.root, 'etc/from-host.txt')));
  } finally { ctx.cleanup(); fs.rmSync(gen, { recursive: true, force: true }); }
});

test('data-dirs keep only the listed paths and their parents', async () => {
  assert.deepEqual(dataDirPlan(['/var/lib', '/etc']), { keep: new Set(['var/lib', 'etc']), parents: new Set(['var']) });
  const root = tempDir('vdata-');
  for (const d of ['etc/x', 'var/lib/a', 'var/lib/b', 'var/local', 'var/cache', 'usr/bin', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'var/local/hello.txt'), 'hi');
  fs.writeFileSync(path.join(root, 'var/local/other.txt'), 'no');
  fs.writeFileSync(path.join(root, 'etc/x/f'), 'f');
  fs.symlinkSync('/etc', path.join(root, 'lnk'));
  await applyDataDirs(root, ['/etc', '/var/lib', '/var/local/hello.txt', '/not/there']);
  assert.deepEqual(fs.readdirSync(root).sort(), ['etc', 'var']);
  assert.deepEqual(fs.readdirSync(path.join(root, 'var')).sort(), ['lib', 'local']);
  assert.deepEqual(fs.readdirSync(path.join(root, 'var/lib')).sort(), ['a', 'b']);
  assert.deepEqual(fs.readdirSync(path.join(root, 'var/local')), ['hello.txt']);
  assert.equal(fs.readFileSync(path.join(root, 'etc/x/f'), 'utf8'), 'f');
  await applyDataDirs(root, ['/']);
  assert.deepEqual(fs.readdirSync(root).sort(), ['etc', 'var']);
});
