import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBuildProgress, formatBar, formatCount, TAIL_LINES, TICK_MS, type ProgressLog, type ProgressOptions } from '../../../src/builder/progress.js';

const ERASE = '\r\x1b[2K';

/** A renderer on fakes: a manual clock, a captured redraw timer, output collected in `out`. */
function fake(over: Partial<ProgressOptions> = {}) {
  const state = { out: '', now: 0, tick: undefined as (() => void) | undefined, period: 0, sections: [] as string[] };
  const progress = createBuildProgress({
    verbosity: 1, tty: false, colour: false,
    write: (t) => { state.out += t; },
    now: () => state.now,
    columns: () => 80,
    every: (ms, fn) => { state.period = ms; state.tick = fn; return () => { state.tick = undefined; }; },
    ...over,
  });
  /** Advance the clock by `ms` and fire the redraw timer once (if running). */
  const advance = (ms: number) => { state.now += ms; state.tick?.(); };
  return { state, progress, advance };
}

function fakeLog(tail: string[], path?: string): ProgressLog & { sections: string[] } {
  const sections: string[] = [];
  return { sections, path, section: (t) => { sections.push(t); }, tail: (n) => tail.slice(-n) };
}

test('without a terminal: one finished line per step, no carriage returns or escapes', () => {
  const { state, progress } = fake();
  progress.stepStarted(1, 3, '!Debian bookworm');
  state.now += 900;
  progress.stepProgress({ text: 'unpacking', count: { done: 3, total: 9, unit: 'packages' }, fraction: 0.3 });
  progress.note('Package lists are fresh in the shared cache; skipping apt-get update');
  progress.stepFinished(1, 3, '!Debian bookworm');
  progress.stepCached(2, 3, '!Install [python3]');
  progress.stepStarted(3, 3, '!Sh echo hi');
  state.now += 12_345;
  progress.stepFinished(3, 3, '!Sh echo hi');
  progress.note('Removing build dependencies: gcc');
  progress.close();
  assert.equal(state.out, [
    'Step 1/3 !Debian bookworm 0.9s',
    'Step 2/3 !Install [python3] (cached)',
    'Step 3/3 !Sh echo hi 12.3s',
    // A status outside a step is a line of its own.
    'Removing build dependencies: gcc',
    '',
  ].join('\n'));
  assert.equal(state.tick, undefined, 'no redraw timer without a terminal');
});

test('on a terminal: a live line redrawn with the elapsed time, bar, counter and activity; then the finished line', () => {
  const { state, progress, advance } = fake({ tty: true, columns: () => 120 });
  progress.stepStarted(2, 6, '!Install [python3]');
  assert.equal(state.out, `${ERASE}Step 2/6 !Install [python3] 0.0s`);
  assert.equal(state.period, TICK_MS);
  state.out = '';
  advance(1234);
  assert.equal(state.out, `${ERASE}Step 2/6 !Install [python3] 1.2s`);
  state.out = '';
  progress.stepProgress({ text: 'unpacking libpython3.11', count: { done: 12, total: 40, unit: 'packages' }, fraction: 0.25 });
  assert.equal(state.out, '', 'an update is drawn at the next tick');
  advance(100);
  assert.equal(state.out, `${ERASE}Step 2/6 !Install [python3] 1.3s [=====>              ] 12/40 packages unpacking libpython3.11`);
  state.out = '';
  // A later update replaces only the fields it names.
  progress.stepProgress({ text: 'setting up python3' });
  advance(100);
  assert.equal(state.out, `${ERASE}Step 2/6 !Install [python3] 1.4s [=====>              ] 12/40 packages setting up python3`);
  state.out = '';
  progress.message('Warning: something to know');
  assert.equal(state.out, `${ERASE}Warning: something to know\n${ERASE}Step 2/6 !Install [python3] 1.4s [=====>              ] 12/40 packages setting up python3`);
  state.out = '';
  state.now += 10_900;
  progress.stepFinished(2, 6, '!Install [python3]');
  assert.equal(state.out, `${ERASE}Step 2/6 !Install [python3] 12.3s\n`);
  assert.equal(state.tick, undefined, 'the redraw timer stops with the step');
  progress.stepCached(3, 6, '!Sh make');
  assert.ok(state.out.endsWith(`${ERASE}Step 3/6 !Sh make (cached)\n`));
});

test('the live line never wraps: it is clipped to the terminal width', () => {
  const { state, progress, advance } = fake({ tty: true, columns: () => 40 });
  progress.stepStarted(1, 1, '!Sh a very long command line that does not fit');
  progress.stepProgress({ text: 'some output', fraction: 0.5 });
  state.out = '';
  advance(100);
  const frame = state.out.slice(ERASE.length);
  assert.ok(frame.length <= 39, frame);
  assert.equal(frame, 'Step 1/1 !Sh a very long comman... 0.1s');
  progress.close();
});

test('colours only on a terminal, and only when asked (NO_COLOR is decided by the caller)', () => {
  const coloured = fake({ tty: true, colour: true });
  coloured.progress.stepStarted(1, 1, '!Sh true');
  coloured.progress.stepFinished(1, 1, '!Sh true');
  assert.match(coloured.state.out, /\x1b\[1mStep 1\/1 !Sh true\x1b\[0m \x1b\[2m0\.0s\x1b\[0m\n$/);
  for (const over of [{ tty: false, colour: true }, { tty: true, colour: false }]) {
    const plain = fake(over);
    plain.progress.stepStarted(1, 1, '!Sh true');
    plain.progress.stepFinished(1, 1, '!Sh true');
    assert.doesNotMatch(plain.state.out, /\x1b\[[0-9;]*m/, JSON.stringify(over));
  }
});

test('a failed step shows the tail of its output and where the build log is', () => {
  const lines = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`);
  for (const tty of [false, true]) {
    const log = fakeLog(lines, '.vagga/.roots/.tmp.app/build.log');
    const { state, progress } = fake({ tty, log });
    progress.stepStarted(2, 2, '!Sh false');
    assert.deepEqual(log.sections, ['Step 2/2 !Sh false'], 'each step starts a section of the log');
    state.out = '';
    state.now += 300;
    progress.stepFailed(2, 2, '!Sh false');
    const expected = [
      'Step 2/2 !Sh false failed after 0.3s; the last lines of its output:',
      ...lines.slice(-TAIL_LINES).map((l) => `  | ${l}`),
      'Build log: .vagga/.roots/.tmp.app/build.log',
      '',
    ].join('\n');
    assert.equal(state.out, tty ? `${ERASE}${expected}` : expected);
  }
});

test('a failed step without output shows only its line and the log path', () => {
  const { state, progress } = fake({ log: fakeLog([], '/p/build.log') });
  progress.stepStarted(1, 1, '!Alpine v3.15');
  progress.stepFailed(1, 1, '!Alpine v3.15');
  assert.equal(state.out, 'Step 1/1 !Alpine v3.15 failed after 0.0s\nBuild log: /p/build.log\n');
});

test('-q: only warnings and a failed step', () => {
  const { state, progress } = fake({ verbosity: 0, tty: true, log: fakeLog(['boom']) });
  progress.stepStarted(1, 2, '!Sh true');
  progress.note('status');
  progress.stepFinished(1, 2, '!Sh true');
  progress.stepCached(2, 2, '!Sh x');
  progress.note('outside a step');
  assert.equal(state.out, '');
  progress.message('Warning: w');
  progress.stepStarted(2, 2, '!Sh false');
  progress.stepFailed(2, 2, '!Sh false');
  assert.equal(state.out, 'Warning: w\nStep 2/2 !Sh false failed after 0.0s; the last lines of its output:\n  | boom\n');
});

test('-v: the step lines of before, status as lines, no live line', () => {
  const { state, progress } = fake({ verbosity: 2, tty: true, log: fakeLog(['x'], 'b.log') });
  progress.stepStarted(1, 2, '!Sh true');
  progress.note('Package lists are fresh');
  state.now += 250;
  progress.stepFinished(1, 2, '!Sh true');
  progress.stepStarted(2, 2, '!Sh false');
  progress.stepFailed(2, 2, '!Sh false');
  assert.equal(state.out, 'Step 1/2: !Sh true\nPackage lists are fresh\n  done in 0.25s\nStep 2/2: !Sh false\n  failed after 0.00s\nThe build log is kept in b.log\n');
  assert.equal(state.tick, undefined);
});

test('prepare lines; close() ends an unfinished line as stopped', () => {
  const { state, progress, advance } = fake({ tty: true, columns: () => 120 });
  progress.prepareStarted(1, 2, '!Debian bookworm');
  progress.note('Bootstrapping Debian bookworm (minbase) with mmdebstrap');
  advance(45_100);
  assert.ok(state.out.endsWith(`${ERASE}Prepare 1/2 !Debian bookworm 45.1s Bootstrapping Debian bookworm (minbase) with mmdebstrap`), state.out);
  progress.prepareFinished(1, 2, '!Debian bookworm');
  assert.ok(state.out.endsWith(`${ERASE}Prepare 1/2 !Debian bookworm 45.1s\n`));
  progress.stepStarted(1, 2, '!Debian bookworm');
  advance(500);
  state.out = '';
  progress.close();
  assert.equal(state.out, `${ERASE}Step 1/2 !Debian bookworm stopped after 0.5s\n`);
  assert.equal(state.tick, undefined);
});

test('bar and counter formats', () => {
  assert.equal(formatBar(0), '[>                   ]');
  assert.equal(formatBar(1), '[====================]');
  assert.equal(formatBar(2), '[====================]');
  assert.equal(formatCount({ done: 3, unit: 'packages' }), '3 packages');
  assert.equal(formatCount({ done: 1_234_567, total: 3_400_000, unit: 'bytes' }), '1.2/3.4 MB');
});
