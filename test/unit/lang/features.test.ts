/** Distribution packages of the language steps: the pure table and the install sequence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { ensureFeatures, packagesForFeatures } from '../../../src/steps/lang/features.js';
import { aptInstalls, fakeBuild } from './fake-build.js';

test('apt distributions: kept packages and build dependencies, de-duplicated', () => {
  const p = packagesForFeatures('debian', ['build-essential', 'nodejs', 'nodejs-dev', 'npm', 'build-essential'], '!NpmInstall');
  assert.deepEqual(p, { install: ['nodejs'], buildDeps: ['build-essential', 'libnode-dev', 'npm'] });
  assert.deepEqual(packagesForFeatures('ubuntu', ['python3', 'python3-dev', 'pip-py3'], 'x'), { install: ['python3'], buildDeps: ['python3-dev', 'python3-pip'] });
});

test('kept features install their build dependencies for good', () => {
  const p = packagesForFeatures('debian', ['https', 'composer', 'php'], '!ComposerInstall', ['composer']);
  assert.deepEqual(p, { install: ['composer', 'unzip', 'php-cli'], buildDeps: ['ca-certificates'] });
});

test('alpine names, and unknown features fail naming the step and distribution', () => {
  assert.deepEqual(packagesForFeatures('alpine', ['build-essential', 'nodejs', 'npm'], 'x'), { install: ['nodejs', 'npm'], buildDeps: ['build-base'] });
  assert.throws(() => packagesForFeatures('alpine', ['php'], '!ComposerInstall'), (e: unknown) =>
    e instanceof VaggaError && e.exitCode === 121 && /!ComposerInstall needs php packages.*"alpine"/.test(e.message));
  assert.throws(() => packagesForFeatures('gentoo', ['nodejs'], '!NpmInstall'), /"gentoo" distribution/);
});

test('ensureFeatures: apt update once, installs then build deps, nothing twice per build', async () => {
  const ctx = fakeBuild();
  try {
    await ensureFeatures(ctx, ['build-essential', 'nodejs', 'npm'], '!NpmInstall');
    await ensureFeatures(ctx, ['nodejs', 'npm'], '!NpmInstall');
    await ensureFeatures(ctx, ['git'], '!NpmInstall');
    assert.deepEqual(ctx.runs.filter((r) => r.argv[1] === 'update').length, 1);
    assert.deepEqual(aptInstalls(ctx), [['nodejs'], ['build-essential', 'npm'], ['git']]);
    assert.equal(ctx.finish.hooks.length, 1, 'the Debian finish hook removes the build deps');
  } finally { ctx.cleanup(); }
});

test('ensureFeatures needs an active distribution', async () => {
  const ctx = fakeBuild({ distro: null });
  try {
    await assert.rejects(ensureFeatures(ctx, ['python3'], '!Py3Install'), /this step requires some linux distribution to be active/);
    assert.equal(ctx.runs.length, 0);
  } finally { ctx.cleanup(); }
});
