/** gem steps: argv, Vagga's trust-policy message, git detection, and the build sequence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { StepFailedError } from '../../../src/builder/errors.js';
import { stepDef } from '../../../src/steps/registry.js';
import { DEFAULT_GEM_SETTINGS, bundleInstallArgv, gemInstallArgv, gemUpdateArgv, gemfileNeedsGit } from '../../../src/steps/gem/plan.js';
import { step } from '../version/helpers.js';
import { aptInstalls, fakeBuild, toolRuns, type FakeBuild, type RecordedRun } from './fake-build.js';

/** Acts like `gem env gemdir > FILE`. */
function fakeGemdir(r: RecordedRun, c: FakeBuild): void {
  if (r.argv[0] === '/bin/sh' && r.argv[2]!.includes('env gemdir')) {
    const out = /> '([^']+)'/.exec(r.argv[2]!)![1]!;
    writeFileSync(join(c.root, out.slice(1)), '/var/lib/gems/3.1.0\n');
  }
}

test('gem and bundler argv', () => {
  assert.deepEqual(gemInstallArgv(DEFAULT_GEM_SETTINGS, ['rake']), ['/usr/bin/gem', 'install', '--bindir', '/usr/local/bin', '--no-document', 'rake']);
  assert.deepEqual(gemUpdateArgv(DEFAULT_GEM_SETTINGS), ['/usr/bin/gem', 'update', '--system', '--no-document']);
  assert.equal(gemUpdateArgv({ ...DEFAULT_GEM_SETTINGS, updateGem: false }), undefined);
  assert.equal(gemUpdateArgv({ ...DEFAULT_GEM_SETTINGS, gemExe: '/opt/gem' }), undefined);
  assert.equal(gemUpdateArgv(DEFAULT_GEM_SETTINGS, 'debian'), undefined, 'Debian\'s RubyGems refuses to update itself');
  assert.deepEqual(gemUpdateArgv(DEFAULT_GEM_SETTINGS, 'alpine'), ['/usr/bin/gem', 'update', '--system', '--no-document']);
  assert.deepEqual(bundleInstallArgv({ gemfile: 'Gemfile', without: ['dev', 'test'], trustPolicy: 'HighSecurity' }),
    ['bundle', 'install', '--system', '--binstubs', '/usr/local/bin', '--gemfile', 'Gemfile', '--without', 'dev', 'test', '--trust-policy', 'HighSecurity']);
  assert.throws(() => bundleInstallArgv({ gemfile: 'Gemfile', without: [], trustPolicy: 'invalid' }), (e: unknown) =>
    e instanceof VaggaError && e.exitCode === 121
    && e.message === "Value of 'GemBundle.trust_policy' must be 'LowSecurity', 'MediumSecurity' or 'HighSecurity', 'invalid' given");
  assert.equal(gemfileNeedsGit("gem 'x', :git => 'https://x.example/x.git'"), true);
  assert.equal(gemfileNeedsGit("source 'https://rubygems.example'\ngem 'rake'"), false);
});

test('!GemInstall build on Alpine: ruby packages, self-update, gem cache at <gemdir>/cache, then gem install', async () => {
  const ctx = fakeBuild({ onRun: fakeGemdir, distro: { name: 'alpine', suite: 'v3.18' } });
  try {
    await stepDef('GemInstall')!.build!(['rake'], ctx);
    const apk = ctx.runs.filter((r) => r.argv[0] === 'apk').map((r) => r.argv.filter((a) => !a.startsWith('-') && a !== 'apk' && a !== 'add'));
    assert.deepEqual(apk, [['ruby'], ['build-base', 'ruby-dev', 'ca-certificates']]);
    const runs = toolRuns(ctx);
    assert.deepEqual(runs[0]!.argv, ['/usr/bin/gem', 'update', '--system', '--no-document']);
    assert.equal(runs[0]!.env.REALLY_GEM_UPDATE_SYSTEM, '1');
    assert.deepEqual(runs.at(-1)!.argv, gemInstallArgv(DEFAULT_GEM_SETTINGS, ['rake']));
    assert.equal(ctx.cacheMounts.get('/var/lib/gems/3.1.0/cache'), 'gems-cache');
  } finally { ctx.cleanup(); }
});

test('!GemBundle with update-gem: false: bundler and git from the distribution, no self-update', async () => {
  const ctx = fakeBuild({ onRun: fakeGemdir });
  try {
    await stepDef('GemConfig')!.build!(step('GemConfig', { 'update-gem': false }).params, ctx);
    writeFileSync(join(ctx.projectRoot, 'Gemfile'), "git 'https://x.example/r.git' do\nend\n");
    await stepDef('GemBundle')!.build!(step('GemBundle', {}).params, ctx);
    assert.deepEqual(aptInstalls(ctx), [['ruby', 'bundler'], ['build-essential', 'ruby-dev', 'ca-certificates', 'git']]);
    const runs = toolRuns(ctx).map((r) => r.argv[0]);
    assert.deepEqual(runs, ['/bin/sh', 'bundle']);
  } finally { ctx.cleanup(); }
});

test('a failing gem: the error says how to reach a gem mirror', async () => {
  const ctx = fakeBuild({ onRun: (r, c) => { fakeGemdir(r, c); if (r.argv[0] === '/usr/bin/gem') throw new StepFailedError(r.argv, 2); } });
  try {
    await assert.rejects(stepDef('GemInstall')!.build!(['rake'], ctx), (e: unknown) =>
      e instanceof VaggaError && /^!GemInstall: Command `\/usr\/bin\/gem install/.test(e.message) && /update-gem: false/.test(e.hint ?? ''));
  } finally { ctx.cleanup(); }
});
