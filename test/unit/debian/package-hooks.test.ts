/**
 * Package steps across distributions and the apt runner's hooks: `!Install`/`!BuildDeps` on
 * Ubuntu (apt) and Alpine (apk), eatmydata for apt runs, and `apt-get update` again after an
 * apt source was added. A fake BuildContext records the argv of every run (no real apt/apk).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { StepFailedError } from '../../../src/builder/errors.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { aptAutoremoveArgv, aptInstallArgv, aptUpdateArgv } from '../../../src/steps/debian/apt.js';
import { requestAptUpdate } from '../../../src/steps/debian/apt-run.js';
import { activateDistro } from '../../../src/steps/debian/distro.js';
import { DEBIAN_EATMYDATA_DEFAULT, setEatmydata, wantsEatmydata } from '../../../src/steps/debian/eatmydata.js';
import { buildDepsStep, installPackages, installStep } from '../../../src/steps/packages.js';
import { stepDef } from '../../../src/steps/registry.js';
import { fakeContext, type FakeContext } from '../steps/fake-context.js';

const MIRROR = 'http://mirror.example/debian';

interface Recorder extends FakeContext {
  runs: string[][];
  debug: string[];
}

/** A context whose `run` records argv; `fail(argv)` may make a run fail like apt does (exit 100). */
function recorder(fail?: (argv: string[]) => boolean): Recorder {
  const ctx = fakeContext() as Recorder;
  mkdirSync(ctx.cacheDir);
  ctx.runs = [];
  ctx.debug = [];
  ctx.log = { ...ctx.log, debug: (m: string) => ctx.debug.push(m) };
  ctx.run = async (argv: string[]) => {
    ctx.runs.push(argv);
    if (fail?.(argv)) throw new StepFailedError(argv, 100);
  };
  return ctx;
}

async function finish(ctx: Recorder): Promise<void> {
  ctx.runs.length = 0;
  for (const hook of ctx.finish.hooks) await hook();
}

test('!Install on Ubuntu goes through apt like on Debian', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'ubuntu', suite: 'jammy', mirror: 'http://mirror.example/ubuntu' });
    setEatmydata(ctx, false);
    await installStep.build!({ packages: ['hello'] }, ctx);
    assert.deepEqual(ctx.runs, [aptUpdateArgv(), aptInstallArgv(['hello'])]);
  } finally { ctx.cleanup(); }
});

test('eatmydata: installed once as a build dependency, wraps later apt installs, removed at the end unwrapped', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'ubuntu', suite: 'jammy', mirror: 'http://mirror.example/ubuntu' });
    setEatmydata(ctx, true);
    await installStep.build!({ packages: ['hello'] }, ctx);
    await buildDepsStep.build!({ packages: ['gcc'] }, ctx);
    assert.deepEqual(ctx.runs, [
      aptUpdateArgv(),
      aptInstallArgv(['eatmydata']),
      ['eatmydata', ...aptInstallArgv(['hello'])],
      ['eatmydata', ...aptInstallArgv(['gcc'])],
    ]);
    assert.deepEqual(ctx.debug.filter((m) => m === 'Eatmydata activated'), ['Eatmydata activated']);
    await finish(ctx);
    assert.deepEqual(ctx.runs, [['apt-mark', 'auto', 'eatmydata', 'gcc'], aptAutoremoveArgv()]);
  } finally { ctx.cleanup(); }
});

test('eatmydata: an !Install-ed eatmydata is kept', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'ubuntu', suite: 'jammy', mirror: 'http://mirror.example/ubuntu' });
    setEatmydata(ctx, true);
    await installStep.build!({ packages: ['eatmydata', 'hello'] }, ctx);
    await finish(ctx);
    assert.deepEqual(ctx.runs, [], 'nothing to remove');
  } finally { ctx.cleanup(); }
});

test('eatmydata: when it cannot be installed apt runs without it, with a warning, and it is not retried', async () => {
  const ctx = recorder((argv) => argv.at(-1) === 'eatmydata' && argv[0] === 'apt-get');
  try {
    activateDistro(ctx, { name: 'ubuntu', suite: 'precise', mirror: 'http://mirror.example/ubuntu' });
    setEatmydata(ctx, true);
    await installStep.build!({ packages: ['hello'] }, ctx);
    await installStep.build!({ packages: ['bc'] }, ctx);
    assert.deepEqual(ctx.runs, [aptUpdateArgv(), aptInstallArgv(['eatmydata']), aptInstallArgv(['hello']), aptInstallArgv(['bc'])]);
    assert.equal(ctx.warnings.length, 1);
    assert.match(ctx.warnings[0]!, /Could not install eatmydata .*apt runs without it/);
    assert.deepEqual(ctx.debug, []);
    await finish(ctx);
    assert.deepEqual(ctx.runs, [], 'eatmydata is not a build dependency to remove');
  } finally { ctx.cleanup(); }
});

test('eatmydata: Debian default follows DEBIAN_EATMYDATA_DEFAULT (off: measured slower)', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
    assert.equal(wantsEatmydata(ctx), DEBIAN_EATMYDATA_DEFAULT);
    assert.equal(DEBIAN_EATMYDATA_DEFAULT, false);
    await installStep.build!({ packages: ['hello'] }, ctx);
    assert.deepEqual(ctx.runs, [aptUpdateArgv(), aptInstallArgv(['hello'])]);
    setEatmydata(ctx, true);
    assert.equal(wantsEatmydata(ctx), true, 'an explicit choice wins');
  } finally { ctx.cleanup(); }
});

test('requestAptUpdate and added apt sources make the next install update first', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'debian', suite: 'bookworm', mirror: MIRROR });
    await installStep.build!({ packages: ['hello'] }, ctx);
    requestAptUpdate(ctx);
    await installStep.build!({ packages: ['bc'] }, ctx);
    await installStep.build!({ packages: ['jq'] }, ctx);
    await stepDef('Repo')!.build!('contrib', ctx);
    await installStep.build!({ packages: ['cowsay'] }, ctx);
    assert.deepEqual(ctx.runs, [
      aptUpdateArgv(), aptInstallArgv(['hello']),
      aptUpdateArgv(), aptInstallArgv(['bc']),
      aptInstallArgv(['jq']),
      aptUpdateArgv(), aptInstallArgv(['cowsay']),
    ]);
  } finally { ctx.cleanup(); }
});

test('!Install/!BuildDeps on Alpine use apk; a replayed !Install protects packages from removal', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'alpine', suite: 'v3.18', mirror: 'http://mirror.example/alpine/' });
    installStep.replay!({ packages: ['make'] }, ctx);
    await installStep.build!({ packages: ['bc'] }, ctx);
    await buildDepsStep.build!({ packages: ['gcc', 'make'] }, ctx);
    await installPackages(ctx, ['musl-dev'], true);
    assert.deepEqual(ctx.runs, [
      ['apk', '--no-progress', '--update-cache', 'add', 'bc'],
      ['apk', '--no-progress', 'add', 'gcc', 'make'],
      ['apk', '--no-progress', 'add', 'musl-dev'],
    ]);
    assert.equal(ctx.cacheMounts.get('/etc/apk/cache'), 'alpine-cache');
    await finish(ctx);
    assert.deepEqual(ctx.runs, [['apk', '--no-progress', 'del', 'gcc', 'musl-dev']]);
  } finally { ctx.cleanup(); }
});

test('package steps on a distribution without a package manager fail clearly', async () => {
  const ctx = recorder();
  try {
    activateDistro(ctx, { name: 'gentoo' });
    await assert.rejects(installStep.build!({ packages: ['hello'] }, ctx), (e: unknown) =>
      e instanceof VaggaError && e.exitCode === 121 && /installing packages on the "gentoo" distribution is not supported/.test(e.message));
    assert.deepEqual(ctx.runs, []);
  } finally { ctx.cleanup(); }
});
