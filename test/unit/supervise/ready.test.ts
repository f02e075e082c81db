import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { SupervisorState } from '../../../src/supervise/state.js';
import { listeningInodes, processTree, sandboxListens, socketInode, waitReady } from '../../../src/supervise/ready.js';
import { commandSchema } from '../../../src/config/commands.js';
import { validate } from '../../../src/config/schema.js';
import { q, thrown } from '../config/helpers.js';

/** db (check, 5 s), web waits for db, worker (no check) waits for web. */
function ready(mode: 'stop-on-failure' | 'wait-all-successful' = 'stop-on-failure'): SupervisorState {
  return new SupervisorState({
    mode,
    killUnresponsiveAfter: 2,
    children: ['db', 'web', 'worker'],
    readyTimeout: { db: 5 },
    waitFor: { web: ['db'], worker: ['web'] },
  });
}

test('a child with a check is watched; its waiters start once it is ready, in chain order', () => {
  const s = ready();
  assert.deepEqual(s.handle({ kind: 'started', name: 'db', pid: 11 }), [{ kind: 'watch-ready', name: 'db', seconds: 5 }]);
  assert.deepEqual(s.blockedBy('web'), ['db']);
  assert.deepEqual(s.handle({ kind: 'deferred', name: 'web' }), []);
  assert.deepEqual(s.handle({ kind: 'deferred', name: 'worker' }), []);
  assert.equal(s.awaitingReady('db'), true);
  assert.deepEqual(s.handle({ kind: 'ready', name: 'db' }), [{ kind: 'start', name: 'web' }]);
  assert.equal(s.awaitingReady('db'), false);
  // web has no check: ready when started, which releases worker.
  assert.deepEqual(s.handle({ kind: 'started', name: 'web', pid: 12 }), [{ kind: 'start', name: 'worker' }]);
  assert.deepEqual(s.handle({ kind: 'started', name: 'worker', pid: 13 }), []);
  assert.deepEqual(s.handle({ kind: 'ready-timeout', name: 'db' }), [], 'a late timeout after ready changes nothing');
  assert.equal(s.shuttingDown, false);
});

test('a deferred event for a child no longer blocked starts it at once', () => {
  const s = ready();
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  s.handle({ kind: 'ready', name: 'db' });
  assert.deepEqual(s.handle({ kind: 'deferred', name: 'web' }), [{ kind: 'start', name: 'web' }]);
});

test('a readiness timeout shuts down with status 1 and drops the deferred children', () => {
  const s = ready();
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  s.handle({ kind: 'deferred', name: 'web' });
  s.handle({ kind: 'deferred', name: 'worker' });
  assert.deepEqual(s.handle({ kind: 'ready-timeout', name: 'db' }), [
    { kind: 'stdout', text: '---------- Process db:11 did not become ready within 5 s. Shutting down -----------\n' },
    { kind: 'signal', names: ['db'], signal: 'SIGTERM' },
    { kind: 'start-grace-timer', seconds: 2 },
  ]);
  assert.deepEqual(s.handle({ kind: 'ready', name: 'db' }), [], 'ready after the timeout is ignored');
  assert.deepEqual(s.handle({ kind: 'exited', name: 'db', end: { status: 143, signal: 'SIGTERM' } }), [{ kind: 'finish', status: 1 }]);
});

test('a child that exits before it is ready fails the run like any exit (stop-on-failure)', () => {
  const s = ready();
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  s.handle({ kind: 'deferred', name: 'web' });
  s.handle({ kind: 'deferred', name: 'worker' });
  const out = s.handle({ kind: 'exited', name: 'db', end: { status: 3 } });
  assert.deepEqual(out, [
    { kind: 'stdout', text: '---------- Process db:11 exited with code 3. Shutting down -----------\n' },
    { kind: 'finish', status: 3 },
  ]);
});

test('wait-all-successful: exiting 0 before being ready while others wait for it is a failure', () => {
  const s = ready('wait-all-successful');
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  s.handle({ kind: 'deferred', name: 'web' });
  s.handle({ kind: 'deferred', name: 'worker' });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'db', end: { status: 0 } }), [
    { kind: 'stdout', text: '---------- Process db:11 exited with code 0 before it was ready. Shutting down -----------\n' },
    { kind: 'finish', status: 1 },
  ]);
});

test('a signal to vagga drops the deferred children so the run can finish', () => {
  const s = ready();
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  s.handle({ kind: 'deferred', name: 'web' });
  s.handle({ kind: 'deferred', name: 'worker' });
  s.handle({ kind: 'signal', signal: 'SIGINT' });
  assert.deepEqual(s.handle({ kind: 'exited', name: 'db', end: { status: 130, signal: 'SIGINT' } }), [{ kind: 'finish', status: 130 }]);
});

test('unselected children are not waited for; a restarted ready child is not watched again', () => {
  const s = new SupervisorState({
    mode: 'stop-on-failure', killUnresponsiveAfter: 2, children: ['db', 'web'],
    readyTimeout: { db: 5 }, waitFor: { web: ['db', 'cache'] },
    restart: { db: { when: 'always', limit: 1, delay: 0 } },
  });
  s.handle({ kind: 'started', name: 'db', pid: 11 });
  assert.deepEqual(s.blockedBy('web'), ['db']);
  s.handle({ kind: 'ready', name: 'db' });
  assert.deepEqual(s.blockedBy('web'), []);
  s.handle({ kind: 'exited', name: 'db', end: { status: 1 } });
  s.handle({ kind: 'restart-due', name: 'db' });
  assert.deepEqual(s.handle({ kind: 'started', name: 'db', pid: 21 }), []);
});

const TCP_TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0',
  '   1: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0',
  '   2: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1',
  '   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1 0000000000000000 100 0 0 10 0',
].join('\n');

test('listeningInodes: LISTEN sockets on the port only (proc(5) /proc/net/tcp); socketInode reads fd links', () => {
  assert.deepEqual([...listeningInodes(TCP_TABLE, 0x1538)], ['111', '222'], 'an established socket on the port is not listening');
  assert.deepEqual([...listeningInodes(TCP_TABLE, 8080)], ['444']);
  assert.deepEqual([...listeningInodes(TCP_TABLE, 9)], []);
  const v6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 555 1 0 100 0 0 10 0';
  assert.deepEqual([...listeningInodes(v6, 0x1538)], ['555']);
  assert.equal(socketInode('socket:[12345]'), '12345');
  assert.equal(socketInode('pipe:[12345]'), undefined);
  assert.equal(socketInode('/dev/null'), undefined);
});

test('sandboxListens: a listener of the process tree counts, one of another process on the same port does not', async () => {
  const server = createServer((c) => c.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  // Another process (not under the tree asked about) that does not listen.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    assert.ok(processTree(process.pid).includes(other.pid!), 'children are part of the tree');
    assert.equal(sandboxListens(process.pid, port), true, 'this process listens');
    assert.equal(sandboxListens(other.pid!, port), false, 'the port is open, but not by that process tree');
    assert.equal(sandboxListens(0, port), false);
  } finally {
    other.kill('SIGKILL');
    await new Promise((r) => server.close(r));
  }
  assert.equal(sandboxListens(process.pid, port), false, 'closed');
});

test('waitReady: ready once the probe passes, timeout when it never does, cancelled when unwanted', async () => {
  let n = 0;
  assert.equal(await waitReady({ probe: async () => ++n >= 3, timeoutMs: 2000, intervalMs: 10, wanted: () => true }), 'ready');
  assert.equal(n, 3);
  const t0 = Date.now();
  assert.equal(await waitReady({ probe: () => Promise.reject(new Error('x')), timeoutMs: 300, intervalMs: 50, wanted: () => true }), 'timeout');
  assert.ok(Date.now() - t0 >= 250);
  let calls = 0;
  assert.equal(await waitReady({ probe: async () => false, timeoutMs: 5000, intervalMs: 10, wanted: () => ++calls < 3 }), 'cancelled');
});

test('config: ready-when / ready-timeout / wait-for on Supervise children', () => {
  const sup = validate(commandSchema('s'), q([
    '!Supervise',
    'children:',
    '  db: !Command { container: c, run: x, ready-when: { tcp: 5432 }, ready-timeout: 10 }',
    '  web: !Command { container: c, run: x, ready-when: { tcp: 8080 }, wait-for: [db] }',
    '  plain: !Command { container: c, run: x }',
  ].join('\n') + '\n'));
  assert.ok(sup.kind === 'Supervise');
  assert.deepEqual(sup.children.db!.ready, { tcpPort: 5432, interval: 0.1, probeTimeout: 10, timeout: 10 });
  assert.deepEqual(sup.children.web!.ready, { tcpPort: 8080, interval: 0.1, probeTimeout: 10, timeout: 30 });
  assert.deepEqual(sup.children.web!.waitFor, ['db']);
  assert.equal(sup.children.plain!.ready, undefined);
  assert.equal(sup.children.plain!.waitFor, undefined);
  const sv = (children: string[]) => () => validate(commandSchema('s'), q(['!Supervise', 'children:', ...children].join('\n') + '\n'));
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, wait-for: [nope] }'])).message, /waits for "nope", which is not a child/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, wait-for: [a] }'])).message, /waits for itself/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, wait-for: [b] }', '  b: !Command { container: c, run: x, wait-for: [a] }'])).message, /cycle: a -> b -> a/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { tcp: 0 } }'])).message, /tcp|at least|minimum/i);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { file: /x } }'])).message, /file/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { interval: 1 } }'])).message, /exactly one of `tcp: PORT` and `command: CMD`/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { tcp: 1, command: x } }'])).message, /exactly one/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { command: x, interval: -1 } }'])).message, /number of seconds/);
  assert.match(thrown(sv(['  a: !Command { container: c, run: x, ready-when: { command: [] } }'])).message, /at least a command/);
  const cmd = validate(commandSchema('s'), q([
    '!Supervise',
    'children:',
    '  db: !Command { container: c, run: x, ready-when: { command: [pg_isready, -h, 127.0.0.1], interval: 0.5, timeout: 3 } }',
    '  web: !Command { container: c, run: x, ready-when: { command: "test -e /work/up" } }',
  ].join('\n') + '\n'));
  assert.ok(cmd.kind === 'Supervise');
  assert.deepEqual(cmd.children.db!.ready, { command: ['pg_isready', '-h', '127.0.0.1'], interval: 0.5, probeTimeout: 3, timeout: 30 });
  assert.deepEqual(cmd.children.web!.ready, { command: 'test -e /work/up', interval: 1, probeTimeout: 10, timeout: 30 });
  assert.match(thrown(() => validate(commandSchema('c'), q('!Command {container: c, run: x, wait-for: [a]}\n'))).message, /Keys \{"wait-for"\} are not expected/);
});
