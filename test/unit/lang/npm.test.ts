/** npm steps: planning, the host npm configuration carried into the build, and the build sequence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { StepFailedError } from '../../../src/builder/errors.js';
import { stepDef } from '../../../src/steps/registry.js';
import {
  DEFAULT_NPM_SETTINGS, checkAlpineNpm, dependencySpecs, npmInstallArgv, yarnInstallArgv, yarnNpmSpec,
} from '../../../src/steps/npm/plan.js';
import {
  captureHostNpmConfig, installHostNpmConfig, npmEnvFor, parseNpmConfigGet, readHostNpmConfig,
} from '../../../src/steps/npm/host-config.js';
import { joinNodeModulePaths } from '../../../src/steps/npm/module-paths.js';
import { ensureNpmDistro, implicitDebianSuite, mayNeedImplicitDistro } from '../../../src/steps/npm/implicit-distro.js';
import { step } from '../version/helpers.js';
import { tempDir, removeTempTree } from '../temp-dir.js';
import { aptInstalls, fakeBuild, toolRuns } from './fake-build.js';

const ALL = { package: true, dev: true, peer: true, bundled: true, optional: true };

test('npm argv is Vagga\'s', () => {
  assert.deepEqual(npmInstallArgv(DEFAULT_NPM_SETTINGS, ['semver', 'x@1']), ['npm', 'install', '--global', '--user=root', '--cache=/tmp/npm-cache', '--prefer-offline', 'semver', 'x@1']);
  assert.deepEqual(yarnInstallArgv({ ...DEFAULT_NPM_SETTINGS, yarnExe: 'yarn' }, true),
    ['yarn', 'install', '--no-progress', '--modules-folder=/usr/lib/node_modules', '--cache-folder=/tmp/yarn-cache', '--production']);
  assert.equal(yarnNpmSpec('v1.0.1'), 'yarn@1.0.1');
});

test('dependencySpecs: selected maps in order, names sorted, Vagga\'s errors', () => {
  const pkg = {
    dependencies: { b: '^1', a: '2' }, devDependencies: { d: '*' }, peerDependencies: { p: '1' },
    bundleDependencies: { q: '3' }, optionalDependencies: { o: '4' },
  };
  assert.deepEqual(dependencySpecs(pkg, { ...ALL, peer: false, optional: false }), ['a@2', 'b@^1', 'd@*', 'q@3']);
  assert.deepEqual(dependencySpecs(pkg, { ...ALL, dev: false, bundled: false }), ['a@2', 'b@^1', 'p@1', 'o@4']);
  assert.deepEqual(dependencySpecs({}, ALL), []);
  assert.throws(() => dependencySpecs({ dependencies: { x: 1 } }, ALL), (e: unknown) => e instanceof VaggaError && e.message === 'Package "x" has wrong version 1');
  assert.throws(() => dependencySpecs({ devDependencies: [] }, ALL), /The "devDependencies" is not a mapping \(JSON object\)$/);
});

test('npm on Alpine older than v3.9 is refused with Vagga\'s message', () => {
  assert.throws(() => checkAlpineNpm('v3.6'), (e: unknown) => e instanceof VaggaError && e.exitCode === 121 && e.message === 'Vagga does not support npm on Alpine v3.6 (use >= v3.9)');
  checkAlpineNpm('v3.9');
  checkAlpineNpm('v3.15');
  checkAlpineNpm(undefined);
});

test('npm config output parsing and the env handed to npm/yarn', () => {
  const got = parseNpmConfigGet('registry=http://reg.example/\nstrict-ssl=false\ncafile=null\nproxy=\nhttps-proxy=http://p.example:3128\n');
  assert.deepEqual([...got], [['registry', 'http://reg.example/'], ['strict-ssl', 'false'], ['https-proxy', 'http://p.example:3128']]);
  const env = npmEnvFor({ registry: 'http://reg.example/', strictSsl: false, cafile: true, extraCaCerts: true });
  assert.equal(env.npm_config_registry, 'http://reg.example/');
  assert.equal(env.YARN_REGISTRY, 'http://reg.example/');
  assert.equal(env.npm_config_strict_ssl, 'false');
  assert.equal(env.npm_config_cafile, '/tmp/.vagga-npm/cafile.pem');
  assert.equal(env.NODE_EXTRA_CA_CERTS, '/tmp/.vagga-npm/extra-ca.pem');
  assert.equal(npmEnvFor({}).npm_config_registry, undefined);
});

test('captureHostNpmConfig asks the host npm, copies CA files; the builder installs them into the root', () => {
  const base = tempDir('vnpm-host-');
  try {
    const bin = join(base, 'bin');
    mkdirSync(bin);
    writeFileSync(join(base, 'ca.pem'), 'CA BUNDLE\n');
    writeFileSync(join(base, 'extra.pem'), 'EXTRA\n');
    // A stand-in npm that prints what `npm config get KEYS...` prints, with its args echoed into a file.
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "$@" > ${base}/args\nprintf 'registry=http://reg.example/\\nstrict-ssl=true\\ncafile=${base}/ca.pem\\nproxy=null\\nhttps-proxy=null\\nnoproxy=\\n'\n`);
    chmodSync(join(bin, 'npm'), 0o755);
    const cache = join(base, 'cache');
    const cfg = captureHostNpmConfig(cache, { PATH: `${bin}:/usr/bin:/bin`, NODE_EXTRA_CA_CERTS: join(base, 'extra.pem') });
    assert.equal(readFileSync(join(base, 'args'), 'utf8').trim(), 'config get registry strict-ssl cafile proxy https-proxy noproxy');
    assert.deepEqual(cfg, { registry: 'http://reg.example/', cafile: true, extraCaCerts: true });
    assert.deepEqual(readHostNpmConfig(cache), cfg);
    const root = join(base, 'root');
    mkdirSync(root);
    const env = installHostNpmConfig(cache, root);
    assert.equal(readFileSync(join(root, 'tmp/.vagga-npm/cafile.pem'), 'utf8'), 'CA BUNDLE\n');
    assert.equal(readFileSync(join(root, 'tmp/.vagga-npm/extra-ca.pem'), 'utf8'), 'EXTRA\n');
    assert.equal(env.npm_config_registry, 'http://reg.example/');
    // Without npm on the host, the environment's registry is used.
    const cfg2 = captureHostNpmConfig(join(base, 'cache2'), { PATH: '/nonexistent', npm_config_registry: 'http://env.example/' });
    assert.deepEqual(cfg2, { registry: 'http://env.example/' });
    assert.deepEqual(readHostNpmConfig(join(base, 'nothing')), {});
  } finally { removeTempTree(base); }
});

test('implicit distribution: host suite, and when it may be needed', () => {
  assert.equal(implicitDebianSuite('ID=debian\nVERSION_CODENAME=bookworm\n'), 'bookworm');
  assert.equal(implicitDebianSuite('ID=ubuntu\nVERSION_CODENAME=jammy\n'), 'stable');
  assert.equal(implicitDebianSuite(undefined), 'stable');
  assert.equal(mayNeedImplicitDistro([]), true);
  assert.equal(mayNeedImplicitDistro([{ tag: 'Text' }]), true);
  assert.equal(mayNeedImplicitDistro([{ tag: 'Ubuntu' }]), false);
  assert.equal(mayNeedImplicitDistro([{ tag: 'Container' }]), false);
});

test('without a distribution and with files already in the root, npm steps say what to do', async () => {
  const ctx = fakeBuild({ distro: null });
  try {
    mkdirSync(join(ctx.root, 'etc'));
    writeFileSync(join(ctx.root, 'etc/x'), '');
    await assert.rejects(ensureNpmDistro(ctx, '!NpmInstall'), (e: unknown) =>
      e instanceof VaggaError && /!NpmInstall needs a distribution/.test(e.message) && /!Debian/.test(e.hint ?? ''));
  } finally { ctx.cleanup(); }
});

test('!NpmInstall build: node + npm from the distribution, npm with the host registry and the npm cache', async () => {
  const ctx = fakeBuild();
  try {
    mkdirSync(join(ctx.cacheDir, 'npm-host'), { recursive: true });
    writeFileSync(join(ctx.cacheDir, 'npm-host/config.json'), JSON.stringify({ registry: 'http://reg.example/' }));
    const s = step('NpmInstall', ['semver']);
    await stepDef('NpmInstall')!.build!(s.params, ctx);
    assert.deepEqual(aptInstalls(ctx), [['nodejs'], ['build-essential', 'libnode-dev', 'npm']]);
    const npm = toolRuns(ctx);
    assert.deepEqual(npm.map((r) => r.argv), [['npm', 'install', '--global', '--user=root', '--cache=/tmp/npm-cache', '--prefer-offline', 'semver']]);
    assert.equal(npm[0]!.env.npm_config_registry, 'http://reg.example/');
    assert.equal(ctx.cacheMounts.get('/tmp/npm-cache'), 'npm-cache');
  } finally { ctx.cleanup(); }
});

test('!NpmConfig changes npm and node installs; !NpmDependencies installs name@range', async () => {
  const ctx = fakeBuild();
  try {
    writeFileSync(join(ctx.projectRoot, 'package.json'), JSON.stringify({ dependencies: { semver: '^7' }, devDependencies: { 'resolve-cli': '*' } }));
    const cfg = step('NpmConfig', { 'install-node': false, 'npm-exe': '/opt/npm' });
    await stepDef('NpmConfig')!.build!(cfg.params, ctx);
    await stepDef('NpmDependencies')!.build!(step('NpmDependencies', { dev: false }).params, ctx);
    assert.deepEqual(aptInstalls(ctx), [['build-essential']]);
    assert.deepEqual(toolRuns(ctx).map((r) => r.argv), [['/opt/npm', 'install', '--global', '--user=root', '--cache=/tmp/npm-cache', '--prefer-offline', 'semver@^7']]);
  } finally { ctx.cleanup(); }
});

test('a failing npm becomes a build error saying where the registry setting comes from', async () => {
  const ctx = fakeBuild({ onRun: (r) => { if (r.argv[0] === 'npm') throw new StepFailedError(r.argv, 1); } });
  try {
    await assert.rejects(stepDef('NpmInstall')!.build!(['nope'], ctx), (e: unknown) =>
      e instanceof VaggaError && e.exitCode === 121 && /^!NpmInstall: Command `npm install/.test(e.message) && /npm config get registry/.test(e.hint ?? ''));
  } finally { ctx.cleanup(); }
});

test('!YarnDependencies: Debian yarnpkg linked as /usr/bin/yarn, node_modules shadowed, bins linked', async () => {
  const ctx = fakeBuild({
    onRun: (r, c) => {
      if (r.argv[0] === 'apt-get' && r.argv.includes('yarnpkg')) {
        mkdirSync(join(c.root, 'usr/bin'), { recursive: true });
        writeFileSync(join(c.root, 'usr/bin/yarnpkg'), '');
      }
      if (r.argv[0] === '/usr/bin/yarn') {
        mkdirSync(join(c.root, 'usr/lib/node_modules/.bin'), { recursive: true });
        writeFileSync(join(c.root, 'usr/lib/node_modules/.bin/tool'), '');
      }
    },
  });
  try {
    const s = step('YarnDependencies', { dir: 'app', production: true });
    mkdirSync(join(ctx.projectRoot, 'app'));
    await stepDef('YarnDependencies')!.build!(s.params, ctx);
    assert.deepEqual(aptInstalls(ctx), [['nodejs'], ['build-essential', 'libnode-dev'], ['yarnpkg']]);
    const yarn = toolRuns(ctx);
    assert.equal(yarn.length, 1);
    assert.equal(yarn[0]!.cwd, '/work/app');
    assert.ok(yarn[0]!.argv.includes('--production'));
    assert.deepEqual(yarn[0]!.extraMounts, [{ kind: 'bind', source: join(ctx.root, 'tmp/yarn-modules'), dest: '/work/app/node_modules', readOnly: false }]);
    assert.equal(existsSync(join(ctx.projectRoot, 'app/node_modules')), false, 'the mount point made for yarn is removed again');
    const { readlinkSync } = await import('node:fs');
    assert.equal(readlinkSync(join(ctx.root, 'usr/bin/yarn')), '/usr/bin/yarnpkg');
    assert.equal(readlinkSync(join(ctx.root, 'usr/bin/tool')), '/usr/lib/node_modules/.bin/tool');
    assert.equal(ctx.cacheMounts.get('/tmp/yarn-cache'), 'yarn-cache');
  } finally { ctx.cleanup(); }
});

test('joinNodeModulePaths: npm\'s global modules also under /usr/lib/node_modules (Vagga\'s NODE_PATH), nothing replaced', () => {
  const root = tempDir('npm-paths-');
  try {
    const npmDir = join(root, 'usr/local/lib/node_modules');
    joinNodeModulePaths(root);
    assert.equal(existsSync(join(root, 'usr/lib/node_modules')), false, 'nothing installed: nothing linked');
    mkdirSync(join(npmDir, 'express'), { recursive: true });
    writeFileSync(join(npmDir, 'express/index.js'), 'x');
    joinNodeModulePaths(root);
    assert.equal(readlinkSync(join(root, 'usr/lib/node_modules')), '../local/lib/node_modules');
    assert.equal(readFileSync(join(root, 'usr/lib/node_modules/express/index.js'), 'utf8'), 'x');
    joinNodeModulePaths(root);
    assert.equal(readlinkSync(join(root, 'usr/lib/node_modules')), '../local/lib/node_modules', 'idempotent');

    // yarn's real directory first: npm's modules are linked in one by one, yarn's kept.
    const other = tempDir('npm-paths-yarn-');
    try {
      const yarnDir = join(other, 'usr/lib/node_modules');
      mkdirSync(join(yarnDir, 'left-pad'), { recursive: true });
      mkdirSync(join(yarnDir, '@types/node'), { recursive: true });
      const npm2 = join(other, 'usr/local/lib/node_modules');
      for (const m of ['left-pad', 'express', '@types/node', '@types/express', '.package-lock.json']) mkdirSync(join(npm2, m), { recursive: true });
      joinNodeModulePaths(other);
      assert.equal(lstatSync(join(yarnDir, 'left-pad')).isSymbolicLink(), false, 'yarn\'s own module stays');
      assert.equal(readlinkSync(join(yarnDir, 'express')), '/usr/local/lib/node_modules/express');
      assert.equal(lstatSync(join(yarnDir, '@types/node')).isSymbolicLink(), false);
      assert.equal(readlinkSync(join(yarnDir, '@types/express')), '/usr/local/lib/node_modules/@types/express');
      assert.equal(existsSync(join(yarnDir, '.package-lock.json')), false, 'npm\'s bookkeeping is not linked');
    } finally {
      removeTempTree(other);
    }
  } finally {
    removeTempTree(root);
  }
});
