/** pip steps: Vagga's argv from !PipConfig, distribution packages, caches, and the failure hint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { StepFailedError } from '../../../src/builder/errors.js';
import { stepDef } from '../../../src/steps/registry.js';
import { DEFAULT_PIP_SETTINGS, pipFeatures, pipInstallArgv, pipRequirementsArgv, requirementLines } from '../../../src/steps/pip/plan.js';
import { step } from '../version/helpers.js';
import { aptInstalls, fakeBuild, toolRuns } from './fake-build.js';

test('pip argv: defaults, and every !PipConfig option', () => {
  assert.deepEqual(pipInstallArgv(DEFAULT_PIP_SETTINGS, 3, ['flask']), ['python3', '-m', 'pip', 'install', '--ignore-installed', '--no-deps', 'flask']);
  const s = step('PipConfig', {
    dependencies: true, 'index-urls': ['http://a.example/simple', 'http://b.example/simple'], 'trusted-hosts': ['a.example'],
    'find-links': ['/work/wheels'], 'allow-pre-releases': true, 'python-exe': 'python3.11',
  }).params as typeof DEFAULT_PIP_SETTINGS;
  assert.deepEqual(pipRequirementsArgv(s, 3, 'req.txt'), [
    'python3.11', '-m', 'pip', 'install', '--ignore-installed', '--index-url=http://a.example/simple',
    '--extra-index-url=http://b.example/simple', '--trusted-host', 'a.example', '--find-links=/work/wheels', '--pre',
    '--requirement', 'req.txt',
  ]);
});

test('pip features: python, headers, pip; git/hg for VCS specs; no python with install-python: false', () => {
  assert.deepEqual(pipFeatures(DEFAULT_PIP_SETTINGS, 3, ['git+https://x.example/r.git', 'hg+http://y.example/r']),
    ['build-essential', 'python3', 'python3-dev', 'pip-py3', 'git', 'https', 'mercurial']);
  assert.deepEqual(pipFeatures({ ...DEFAULT_PIP_SETTINGS, installPython: false }, 2, ['six']), ['build-essential', 'pip-py2']);
  assert.deepEqual(requirementLines('# c\n\n  a==1 \n-r other.txt\n'), ['a==1', '-r other.txt']);
});

test('!Py3Install build: packages, caches, env, then pip', async () => {
  const ctx = fakeBuild();
  try {
    await stepDef('Py3Install')!.build!(['flask'], ctx);
    assert.deepEqual(aptInstalls(ctx), [['python3'], ['build-essential', 'python3-dev', 'python3-pip']]);
    const pip = toolRuns(ctx);
    assert.deepEqual(pip.map((r) => r.argv), [['python3', '-m', 'pip', 'install', '--ignore-installed', '--no-deps', 'flask']]);
    assert.equal(pip[0]!.env.PIP_CACHE_DIR, '/tmp/pip-cache');
    assert.equal(pip[0]!.env.PIP_BREAK_SYSTEM_PACKAGES, '1');
    assert.equal(ctx.env.PIP_CACHE_DIR, '/tmp/pip-cache');
    assert.equal(ctx.cacheMounts.get('/tmp/pip-cache/http'), 'pip-cache-http');
    assert.equal(ctx.cacheMounts.get('/tmp/pip-cache/wheels'), `pip-cache-wheels-${process.arch}-debian-bookworm`);
  } finally { ctx.cleanup(); }
});

test('!PipConfig replaces settings; requirements run from /work; get-pip-args warn', async () => {
  const ctx = fakeBuild();
  try {
    await stepDef('PipConfig')!.build!(step('PipConfig', { 'cache-wheels': false, 'get-pip-args': ['--x'] }).params, ctx);
    writeFileSync(join(ctx.projectRoot, 'requirements.txt'), 'git+git://x.example/r.git\n');
    await stepDef('Py3Requirements')!.build!('requirements.txt', ctx);
    assert.deepEqual(toolRuns(ctx).map((r) => r.argv.slice(-2)), [['--requirement', 'requirements.txt']]);
    assert.ok(aptInstalls(ctx).flat().includes('git'));
    assert.equal(ctx.cacheMounts.has('/tmp/pip-cache/wheels'), false);
    assert.match(ctx.warnings.join('\n'), /get-pip-args/);
  } finally { ctx.cleanup(); }
});

test('an unreachable index: the error names !PipConfig index-urls', async () => {
  const ctx = fakeBuild({ onRun: (r) => { if (r.argv[0] === 'python3') throw new StepFailedError(r.argv, 1); } });
  try {
    await assert.rejects(stepDef('Py3Install')!.build!(['flask'], ctx), (e: unknown) =>
      e instanceof VaggaError && e.exitCode === 121 && /^!Py3Install: Command `python3 -m pip install/.test(e.message)
      && /default index \(PyPI\)/.test(e.hint ?? '') && /index-urls/.test(e.hint ?? ''));
  } finally { ctx.cleanup(); }
});
