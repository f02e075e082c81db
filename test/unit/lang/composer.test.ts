/** composer steps: argv, Vagga's `prefer` message, env, packages and the include_path ini. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { stepDef } from '../../../src/steps/registry.js';
import { DEFAULT_COMPOSER_SETTINGS, composerDependenciesArgv, composerInstallArgv, type ComposerDependenciesParams } from '../../../src/steps/composer/plan.js';
import { phpConfDirs } from '../../../src/steps/composer/steps.js';
import { step } from '../version/helpers.js';
import { aptInstalls, fakeBuild, toolRuns } from './fake-build.js';

const deps = (extra: Record<string, string | boolean> = {}) => step('ComposerDependencies', extra).params as ComposerDependenciesParams;

test('composer argv', () => {
  assert.deepEqual(composerInstallArgv(DEFAULT_COMPOSER_SETTINGS, ['a/b']),
    ['/usr/bin/php', '/usr/bin/composer', '--no-interaction', 'global', 'require', '--prefer-dist', '--update-no-dev', 'a/b']);
  assert.deepEqual(composerDependenciesArgv(DEFAULT_COMPOSER_SETTINGS, deps({ 'working-dir': 'app', dev: false, prefer: 'source', 'no-scripts': true, 'classmap-authoritative': true })),
    ['/usr/bin/php', '/usr/bin/composer', '--no-interaction', 'install', '--working-dir=app', '--no-dev', '--no-scripts', '--classmap-authoritative', '--prefer-source']);
  assert.throws(() => composerDependenciesArgv(DEFAULT_COMPOSER_SETTINGS, deps({ prefer: 'wrong' })), (e: unknown) =>
    e instanceof VaggaError && e.exitCode === 121 && e.message === "Value of 'ComposerDependencies.prefer' must be either 'source' or 'dist', 'wrong' given");
});

test('!ComposerInstall build: php kept, composer a build dep; env, cache and vagga.ini', async () => {
  const ctx = fakeBuild({
    onRun: (r, c) => { if (r.argv.includes('php-cli')) mkdirSync(join(c.root, 'etc/php/8.2/cli/conf.d'), { recursive: true }); },
  });
  try {
    await stepDef('ComposerInstall')!.build!(['a/b'], ctx);
    assert.deepEqual(aptInstalls(ctx), [['php-cli'], ['ca-certificates', 'composer', 'unzip', 'git']]);
    assert.deepEqual(phpConfDirs(ctx.root), ['/etc/php/8.2/cli/conf.d']);
    assert.equal(readFileSync(join(ctx.root, 'etc/php/8.2/cli/conf.d/vagga.ini'), 'utf8'), 'include_path=.:/usr/local/lib/composer\n');
    const run = toolRuns(ctx);
    assert.equal(run.length, 1);
    assert.equal(run[0]!.env.COMPOSER_HOME, '/usr/local/lib/composer');
    assert.equal(run[0]!.env.COMPOSER_VENDOR_DIR, '/usr/local/lib/composer/vendor');
    assert.equal(ctx.cacheMounts.get('/tmp/composer-cache'), 'composer-cache');
  } finally { ctx.cleanup(); }
});

test('keep-composer keeps composer; a bad prefer fails before anything is installed', async () => {
  const ctx = fakeBuild();
  try {
    await stepDef('ComposerConfig')!.build!(step('ComposerConfig', { 'keep-composer': true, 'install-runtime': false, 'vendor-dir': '/opt/vendor' }).params, ctx);
    await assert.rejects(stepDef('ComposerDependencies')!.build!(deps({ prefer: 'wrong' }), ctx), /must be either 'source' or 'dist'/);
    assert.equal(ctx.runs.length, 0);
    await stepDef('ComposerDependencies')!.build!(deps(), ctx);
    assert.deepEqual(aptInstalls(ctx), [['composer', 'unzip'], ['ca-certificates', 'git']]);
    assert.equal(ctx.env.COMPOSER_VENDOR_DIR, '/opt/vendor');
  } finally { ctx.cleanup(); }
});
