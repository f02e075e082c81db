import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildLogFile, createStepLog } from '../../../src/builder/build-log.js';
import { prepareSteps } from '../../../src/builder/prepare.js';
import { createBuildProgress } from '../../../src/builder/progress.js';
import type { StepConfig } from '../../../src/config/model.js';
import type { PrepareContext, StepDef } from '../../../src/steps/step.js';
import { tempDir } from '../temp-dir.js';

test('BuildLogFile: output stored as cleaned lines, sections, a tail since the section, partial lines flushed', () => {
  const file = join(tempDir('vagga-blog-'), 'build.log');
  const log = new BuildLogFile(file, 'shown/build.log');
  assert.equal(log.path, 'shown/build.log');
  log.section('Step 1/2 !Install [foo]');
  log.output('Reading database ... 5%\rReading database ... done\nUnpa');
  log.output(Buffer.from('cking foo (1) ...\n\x1b[1mSetting up foo\x1b[0m (1) ...\nno newline at the end'));
  assert.deepEqual(log.tail(2), ['Setting up foo (1) ...', 'no newline at the end']);
  log.section('Step 2/2 !Sh false');
  assert.deepEqual(log.tail(30), [], 'the tail starts at the section');
  log.line('a message');
  log.output('+ false\n');
  assert.deepEqual(log.tail(30), ['a message', '+ false']);
  log.close();
  log.output('after close is dropped\n');
  assert.equal(readFileSync(file, 'utf8'), [
    '==> Step 1/2 !Install [foo]',
    'Reading database ... done',
    'Unpacking foo (1) ...',
    'Setting up foo (1) ...',
    'no newline at the end',
    '==> Step 2/2 !Sh false',
    'a message',
    '+ false',
    '',
  ].join('\n'));
});

test('BuildLogFile: stdout and stderr chunks never cut each other\'s lines', () => {
  const file = join(tempDir('vagga-blog-'), 'build.log');
  const log = new BuildLogFile(file);
  log.output('+ echo out-line-31', 'stderr');
  log.output('out-line-1\nout-line-2\n', 'stdout');
  log.output('\n+ echo out-line-32\n', 'stderr');
  log.close();
  assert.equal(readFileSync(file, 'utf8'), 'out-line-1\nout-line-2\n+ echo out-line-31\n+ echo out-line-32\n');
});

test('BuildLogFile: a multi-byte character split across chunks survives', () => {
  const file = join(tempDir('vagga-blog-'), 'build.log');
  const log = new BuildLogFile(file);
  const bytes = Buffer.from('Grüße\n');
  log.output(bytes.subarray(0, 3));
  log.output(bytes.subarray(3));
  log.close();
  assert.equal(readFileSync(file, 'utf8'), 'Grüße\n');
});

test('BuildLogFile: an unwritable log never fails the build', () => {
  const log = new BuildLogFile('/nonexistent-dir/build.log', 'x');
  log.output('line\n');
  log.section('s');
  log.close();
  assert.deepEqual(log.tail(5), []);
});

function stepLogHarness(verbosity: number) {
  const file = join(tempDir('vagga-blog-'), 'build.log');
  const logFile = new BuildLogFile(file);
  const shown = { out: '', echoed: '' };
  const progress = createBuildProgress({ verbosity, tty: false, colour: false, write: (t) => { shown.out += t; }, now: () => 0, log: logFile });
  const log = createStepLog({ verbosity, progress, log: logFile, echo: (c) => { shown.echoed += typeof c === 'string' ? c : Buffer.from(c).toString(); } });
  return { file, logFile, shown, progress, log };
}

test('createStepLog (default): programs\' output only into the log; warnings shown; the tail reaches the failure', () => {
  const { file, logFile, shown, progress, log } = stepLogHarness(1);
  progress.stepStarted(1, 1, '!Install [foo]');
  log.info('Package lists are fresh');
  log.debug('detail');
  log.output!('0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nSetting up foo (1) ...\n');
  log.warn('careful');
  progress.stepFailed(1, 1, '!Install [foo]');
  logFile.close();
  assert.equal(shown.echoed, '');
  assert.equal(shown.out, [
    'Warning: careful',
    'Step 1/1 !Install [foo] failed after 0.0s; the last lines of its output:',
    '  | Package lists are fresh',
    '  | detail',
    '  | 0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.',
    '  | Setting up foo (1) ...',
    '  | Warning: careful',
    '',
  ].join('\n'));
  assert.match(readFileSync(file, 'utf8'), /^==> Step 1\/1 !Install \[foo\]\nPackage lists are fresh\ndetail\n0 upgraded/);
});

test('createStepLog (-v): output streamed as it comes, and logged too', () => {
  const { file, logFile, shown, progress, log } = stepLogHarness(2);
  progress.stepStarted(1, 1, '!Sh echo hi');
  log.output!('hi\rHI\n');
  log.debug('detail');
  progress.stepFinished(1, 1, '!Sh echo hi');
  logFile.close();
  assert.equal(shown.echoed, 'hi\rHI\n', 'raw, as before');
  assert.equal(shown.out, 'Step 1/1: !Sh echo hi\ndetail\n  done in 0.00s\n');
  assert.equal(readFileSync(file, 'utf8'), '==> Step 1/1 !Sh echo hi\nHI\ndetail\n');
});

const step = (tag: string, params: unknown): StepConfig => ({ tag, params, pos: { file: '/p/vagga.yaml', line: 3, col: 7 } });

test('prepareSteps: a prepare that does work gets a Prepare line; one that finds everything cached prints nothing', async () => {
  const { shown, progress, log } = stepLogHarness(1);
  const defs: Record<string, StepDef<any>> = {
    Quiet: { tag: 'Quiet', schema: undefined as never, hash() {}, async prepare() {} },
    Fetch: { tag: 'Fetch', schema: undefined as never, hash() {}, async prepare(_p, ctx) { ctx.log.info('Downloading http://x/y'); ctx.log.progress?.({ count: { done: 5, unit: 'bytes' } }); } },
    Broken: { tag: 'Broken', schema: undefined as never, hash() {}, async prepare(_p, ctx) { ctx.log.output?.('mmdebstrap: E: no\n'); throw new Error('bootstrap failed'); } },
  };
  const ctx: PrepareContext = { projectRoot: '/p', cacheDir: '/c', settings: {} as never, log, signal: new AbortController().signal };
  const ok = await prepareSteps([step('Quiet', 'a'), step('Fetch', 'b')], ctx, (t) => defs[t], progress);
  assert.deepEqual(ok, { ok: true });
  assert.equal(shown.out, 'Prepare 2/2 !Fetch b 0.0s\n');
  shown.out = '';
  const failed = await prepareSteps([step('Broken', 'c')], ctx, (t) => defs[t], progress);
  assert.equal(failed.ok, false);
  assert.equal(failed.message, 'bootstrap failed');
  assert.equal(shown.out, 'Prepare 1/1 !Broken c failed after 0.0s; the last lines of its output:\n  | mmdebstrap: E: no\n');
});
