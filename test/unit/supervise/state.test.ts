import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endText, SupervisorState, type SuperviseAction } from '../../../src/supervise/state.js';

/** A state with children a, b, c started as pids 101, 102, 103. */
function started(mode: 'stop-on-failure' | 'wait-all-successful' = 'stop-on-failure', killUnresponsiveAfter = 2): SupervisorState {
  const s = new SupervisorState({ mode, killUnresponsiveAfter, children: ['a', 'b', 'c'] });
  ['a', 'b', 'c'].forEach((name, i) => assert.deepEqual(s.handle({ kind: 'started', name, pid: 101 + i }), []));
  return s;
}

const finish = (status: number): SuperviseAction => ({ kind: 'finish', status });

test('stop-on-failure: the first exit prints the separator, SIGTERMs the rest, and its code is the result', () => {
  const s = started();
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 1 } }), [
    { kind: 'stdout', text: '---------- Process b:102 exited with code 1. Shutting down -----------\n' },
    { kind: 'signal', names: ['a', 'c'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.equal(s.shuttingDown, true);
  // The others end because of the SIGTERM: nothing printed, the first code is kept.
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 143, signal: 'SIGTERM' } }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 0 } }), [finish(1)]);
  assert.deepEqual(s.handle({ kind: 'grace-expired' }), [], 'nothing happens after the finish');
});

test('stop-on-failure: a successful exit ends the run too, with 0', () => {
  const s = started();
  const actions = s.handle({ kind: 'exited', name: 'a', end: { status: 0 } });
  assert.equal(actions[0].kind === 'stdout' && actions[0].text, '---------- Process a:101 exited with code 0. Shutting down -----------\n');
  s.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 143, signal: 'SIGTERM' } }), [finish(0)]);
});

test('a child killed by a signal: status text names the signal, the result is 128+N', () => {
  assert.equal(endText({ status: 137, signal: 'SIGKILL' }), 'killed by signal SIGKILL[9]');
  assert.equal(endText({ status: 3 }), 'exited with code 3');
  const s = new SupervisorState({ mode: 'stop-on-failure', killUnresponsiveAfter: 2, children: ['only'] });
  s.handle({ kind: 'started', name: 'only', pid: 7 });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'only', end: { status: 139, signal: 'SIGSEGV' } }), [
    { kind: 'stdout', text: '---------- Process only:7 killed by signal SIGSEGV[11]. Shutting down -----------\n' },
    finish(139),
  ]);
});

test('wait-all-successful: successes are removed quietly, the last one finishes with 0', () => {
  const s = started('wait-all-successful');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 0 } }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 0 } }), []);
  assert.equal(s.shuttingDown, false);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 0 } }), [finish(0)]);
});

test('wait-all-successful: a failure takes the stop-on-failure path with its code', () => {
  const s = started('wait-all-successful');
  s.handle({ kind: 'exited', name: 'a', end: { status: 0 } });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 5 } }), [
    { kind: 'stdout', text: '---------- Process b:102 exited with code 5. Shutting down -----------\n' },
    { kind: 'signal', names: ['c'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 0 } }), [finish(5)]);
});

test('SIGINT to vagga: stderr line, SIGINT to every child, grace timer, exit 130; repeats are forwarded again', () => {
  const s = started();
  assert.deepEqual(s.handle({ kind: 'signal', signal: 'SIGINT' }), [
    { kind: 'stderr', text: 'Received SIGINT signal. Waiting the processes to stop...\n' },
    { kind: 'signal', names: ['a', 'b', 'c'], signal: 'SIGINT' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 130, signal: 'SIGINT' } }), [], 'no separator during a shutdown');
  assert.deepEqual(s.handle({ kind: 'signal', signal: 'SIGINT' }), [
    { kind: 'stderr', text: 'Received SIGINT signal. Waiting the processes to stop...\n' },
    { kind: 'signal', names: ['b', 'c'], signal: 'SIGINT' },
  ]);
  s.handle({ kind: 'exited', name: 'b', end: { status: 0 } });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 1 } }), [finish(130)]);
});

test('SIGTERM to vagga: the two-space stderr line and exit 143; a signal after a failure keeps the failure code', () => {
  const s = started();
  assert.deepEqual(s.handle({ kind: 'signal', signal: 'SIGTERM' }).slice(0, 2), [
    { kind: 'stderr', text: 'Received SIGTERM signal.  Waiting the processes to stop...\n' },
    { kind: 'signal', names: ['a', 'b', 'c'], signal: 'SIGTERM' },
  ]);
  for (const name of ['a', 'b']) s.handle({ kind: 'exited', name, end: { status: 143, signal: 'SIGTERM' } });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 143, signal: 'SIGTERM' } }), [finish(143)]);

  const f = started();
  f.handle({ kind: 'exited', name: 'a', end: { status: 2 } });
  assert.deepEqual(f.handle({ kind: 'signal', signal: 'SIGTERM' }), [
    { kind: 'stderr', text: 'Received SIGTERM signal.  Waiting the processes to stop...\n' },
    { kind: 'signal', names: ['b', 'c'], signal: 'SIGTERM' },
  ], 'no second timer');
  f.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } });
  assert.deepEqual(f.handle({ kind: 'exited', name: 'c', end: { status: 143, signal: 'SIGTERM' } }), [finish(2)]);
});

test('SIGHUP/SIGUSR1 are passed on without starting a shutdown', () => {
  const s = started();
  assert.deepEqual(s.handle({ kind: 'signal', signal: 'SIGHUP' }), [{ kind: 'signal', names: ['a', 'b', 'c'], signal: 'SIGHUP' }]);
  assert.deepEqual(s.handle({ kind: 'signal', signal: 'SIGUSR1' }), [{ kind: 'signal', names: ['a', 'b', 'c'], signal: 'SIGUSR1' }]);
  assert.equal(s.shuttingDown, false);
});

test('grace period over: the survivors are named on stdout with a hint, then SIGKILLed', () => {
  const s = started('stop-on-failure', 10);
  s.handle({ kind: 'exited', name: 'b', end: { status: 1 } });
  const actions = s.handle({ kind: 'grace-expired' });
  assert.deepEqual(actions[0], { kind: 'stdout', text: '---------- Processes ["a", "c"] are still alive. Killing ... -----------\n' });
  assert.ok(actions[1].kind === 'stdout' && actions[1].text.includes('`kill-unresponsive-after`') && actions[1].text.includes('10 s'));
  assert.deepEqual(actions[2], { kind: 'signal', names: ['a', 'c'], signal: 'SIGKILL' });
  s.handle({ kind: 'exited', name: 'a', end: { status: 137, signal: 'SIGKILL' } });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'c', end: { status: 137, signal: 'SIGKILL' } }), [finish(1)]);
});

test('a child that cannot be started: its line, SIGTERM to the started ones, 127; the rest are skipped', () => {
  const s = new SupervisorState({ mode: 'stop-on-failure', killUnresponsiveAfter: 2, children: ['a', 'b', 'c'] });
  s.handle({ kind: 'started', name: 'a', pid: 50 });
  assert.deepEqual(s.handle({ kind: 'start-failed', name: 'b', message: 'Command "nope" not found' }), [
    { kind: 'stdout', text: '---------- Process b could not be run: Command "nope" not found. Shutting down -----------\n' },
    { kind: 'signal', names: ['a'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.deepEqual(s.handle({ kind: 'skipped', name: 'c' }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 143, signal: 'SIGTERM' } }), [finish(127)]);
});

test('a child launched after a signal began the shutdown is stopped at once; nothing finishes while one is pending', () => {
  const s = new SupervisorState({ mode: 'stop-on-failure', killUnresponsiveAfter: 2, children: ['a', 'b'] });
  s.handle({ kind: 'started', name: 'a', pid: 1 });
  s.handle({ kind: 'signal', signal: 'SIGINT' });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 130, signal: 'SIGINT' } }), [], 'b is still being started');
  assert.deepEqual(s.handle({ kind: 'started', name: 'b', pid: 2 }), [{ kind: 'signal', names: ['b'], signal: 'SIGTERM' }], 'the timer runs already');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } }), [finish(130)]);

  // The timer fired while nobody ran: the next child to start arms it again.
  const t = new SupervisorState({ mode: 'stop-on-failure', killUnresponsiveAfter: 2, children: ['a', 'b'] });
  t.handle({ kind: 'started', name: 'a', pid: 1 });
  assert.equal(t.handle({ kind: 'signal', signal: 'SIGINT' }).at(-1)?.kind, 'start-grace-timer');
  t.handle({ kind: 'exited', name: 'a', end: { status: 130, signal: 'SIGINT' } });
  assert.deepEqual(t.handle({ kind: 'grace-expired' }), []);
  assert.deepEqual(t.handle({ kind: 'started', name: 'b', pid: 2 }), [
    { kind: 'signal', names: ['b'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
});
