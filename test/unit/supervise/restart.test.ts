import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelay, SupervisorState, type SuperviseAction } from '../../../src/supervise/state.js';
import { commandSchema } from '../../../src/config/commands.js';
import type { RestartPolicy } from '../../../src/config/model.js';
import { validate } from '../../../src/config/schema.js';
import { q, thrown } from '../config/helpers.js';

const finish = (status: number): SuperviseAction => ({ kind: 'finish', status });

/** Children a (pid 101) and b (pid 102) started; `a` has `policy`. */
function twoChildren(policy: RestartPolicy, mode: 'stop-on-failure' | 'wait-all-successful' = 'stop-on-failure'): SupervisorState {
  const s = new SupervisorState({ mode, killUnresponsiveAfter: 2, children: ['a', 'b'], restart: { a: policy } });
  s.handle({ kind: 'started', name: 'a', pid: 101 });
  s.handle({ kind: 'started', name: 'b', pid: 102 });
  return s;
}

test('restart on-failure: restarted with a doubling delay up to the limit, then the usual shutdown', () => {
  const s = twoChildren({ when: 'on-failure', limit: 2, delay: 1 });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 3 } }), [
    { kind: 'stdout', text: '---------- Process a:101 exited with code 3. Restarting (1 of 2) in 1 s -----------\n' },
    { kind: 'schedule-restart', name: 'a', seconds: 1 },
  ]);
  assert.equal(s.shuttingDown, false);
  assert.deepEqual(s.handle({ kind: 'restart-due', name: 'a' }), [{ kind: 'start', name: 'a' }]);
  assert.deepEqual(s.handle({ kind: 'started', name: 'a', pid: 201 }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 137, signal: 'SIGKILL' } }), [
    { kind: 'stdout', text: '---------- Process a:201 killed by signal SIGKILL[9]. Restarting (2 of 2) in 2 s -----------\n' },
    { kind: 'schedule-restart', name: 'a', seconds: 2 },
  ]);
  s.handle({ kind: 'restart-due', name: 'a' });
  s.handle({ kind: 'started', name: 'a', pid: 301 });
  // Limit reached: Vagga's stop-on-failure again.
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 4 } }), [
    { kind: 'stdout', text: '---------- Process a:301 exited with code 4. Shutting down -----------\n' },
    { kind: 'signal', names: ['b'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } }), [finish(4)]);
});

test('restart on-failure: a successful exit is not restarted (stop-on-failure ends the run with 0)', () => {
  const s = twoChildren({ when: 'on-failure', limit: 5, delay: 1 });
  const actions = s.handle({ kind: 'exited', name: 'a', end: { status: 0 } });
  assert.equal(actions[0]!.kind === 'stdout' && actions[0]!.text, '---------- Process a:101 exited with code 0. Shutting down -----------\n');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } }), [finish(0)]);
});

test('restart always in wait-all-successful: a success is restarted, the run ends after the last allowed one', () => {
  const s = twoChildren({ when: 'always', limit: 1, delay: 0 }, 'wait-all-successful');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 0 } }), [], 'b simply removed');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 0 } }), [
    { kind: 'stdout', text: '---------- Process a:101 exited with code 0. Restarting (1 of 1) in 0 s -----------\n' },
    { kind: 'schedule-restart', name: 'a', seconds: 0 },
  ], 'a waiting for its restart keeps the run going');
  s.handle({ kind: 'restart-due', name: 'a' });
  assert.deepEqual(s.handle({ kind: 'started', name: 'a', pid: 201 }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'a', end: { status: 0 } }), [finish(0)]);
});

test('a shutdown cancels a scheduled restart; its restart-due is ignored', () => {
  const s = twoChildren({ when: 'always', limit: 3, delay: 5 });
  s.handle({ kind: 'exited', name: 'a', end: { status: 1 } });
  // b ends meanwhile: stop-on-failure shuts down; a is not running, so only b's end matters.
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 2 } }), [
    { kind: 'stdout', text: '---------- Process b:102 exited with code 2. Shutting down -----------\n' },
    finish(2),
  ]);
  assert.deepEqual(s.handle({ kind: 'restart-due', name: 'a' }), []);
});

test('SIGINT while a restart is scheduled: nothing is restarted and the run ends with 130', () => {
  const s = twoChildren({ when: 'on-failure', limit: 3, delay: 5 });
  s.handle({ kind: 'exited', name: 'a', end: { status: 1 } });
  s.handle({ kind: 'signal', signal: 'SIGINT' });
  assert.deepEqual(s.handle({ kind: 'restart-due', name: 'a' }), []);
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 130, signal: 'SIGINT' } }), [finish(130)]);
});

test('a restart that cannot be started shuts down with 127', () => {
  const s = twoChildren({ when: 'on-failure', limit: 3, delay: 0 });
  s.handle({ kind: 'exited', name: 'a', end: { status: 1 } });
  s.handle({ kind: 'restart-due', name: 'a' });
  const actions = s.handle({ kind: 'start-failed', name: 'a', message: 'boom' });
  assert.equal(actions[0]!.kind === 'stdout' && actions[0]!.text, '---------- Process a could not be run: boom. Shutting down -----------\n');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'b', end: { status: 143, signal: 'SIGTERM' } }), [finish(127)]);
});

test('restartDelay doubles and stops at 60 s', () => {
  const p: RestartPolicy = { when: 'always', limit: 10, delay: 3 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => restartDelay(p, n)), [3, 6, 12, 24, 48, 60]);
});

test('config: restart fields on Supervise children only, with defaults', () => {
  const sup = validate(commandSchema('s'), q([
    '!Supervise',
    'children:',
    '  web: !Command { container: c, run: x, restart: on-failure }',
    '  worker: !Command { container: c, run: x, restart: always, restart-limit: 2, restart-delay: 0 }',
    '  once: !Command { container: c, run: x }',
    '  off: !BridgeCommand { container: c, run: x, restart: never }',
  ].join('\n') + '\n'));
  assert.ok(sup.kind === 'Supervise');
  assert.deepEqual(sup.children.web!.restart, { when: 'on-failure', limit: 5, delay: 1 });
  assert.deepEqual(sup.children.worker!.restart, { when: 'always', limit: 2, delay: 0 });
  assert.equal(sup.children.once!.restart, undefined);
  assert.equal(sup.children.off!.restart, undefined);
  assert.match(thrown(() => validate(commandSchema('s'), q('!Supervise\nchildren:\n  a: !Command {container: c, run: x, restart: sometimes}\n'))).message, /Expected one of never, on-failure, always/);
  assert.match(thrown(() => validate(commandSchema('s'), q('!Supervise\nchildren:\n  a: !Command {container: c, run: x, restart-limit: 0}\n'))).message, /restart-limit|at least|>= ?1|minimum/i);
  assert.match(thrown(() => validate(commandSchema('c'), q('!Command {container: c, run: x, restart: always}\n'))).message, /Keys \{"restart"\} are not expected/);
});
