/**
 * End-to-end: readiness of `!Supervise` children (beyond Vagga; model.ts ReadyCheck) on the
 * busybox base, as an ordinary user. A client child with `wait-for: [server]` starts only once
 * the server (busybox nc, listening after a delay) accepts TCP connections; a server that never
 * listens fails the run after its `ready-timeout` and its waiter never starts. A command probe
 * (run in the child's container) holds the waiter until a file the server creates exists, and
 * a host program listening on a child's tcp port does not make that child ready.
 */
import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, show, vagga } from './harness.js';
import { freePort, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

describe('!Supervise readiness', { timeout: 600_000 }, () => {
  let dir: string;
  let hostPort: number;
  const hostServer = createServer((c) => c.end('host\n'));

  before(async () => {
    const port = await freePort();
    const dead = await freePort();
    await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
    hostPort = (hostServer.address() as AddressInfo).port;
    dir = await makeBusyboxProject(`
  pair: !Supervise
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start; busybox nc 127.0.0.1 ${port}"
      b-server: !Command
        container: bb
        ready-when: { tcp: ${port} }
        ready-timeout: 20
        run: "echo server-start; sleep 1; exec busybox nc -ll -p ${port} -e echo hello-from-server"
  never: !Supervise
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "echo client-start"
      b-server: !Command
        container: bb
        ready-when: { tcp: ${dead} }
        ready-timeout: 1
        run: "echo server-start; exec sleep 60"
  probe: !Supervise
    children:
      a-client: !Command
        container: bb
        wait-for: [b-server]
        run: "test -e /work/up && echo client-saw-file"
      b-server: !Command
        container: bb
        ready-when: { command: [test, -e, /work/up], interval: 0.2, timeout: 5 }
        ready-timeout: 20
        run: "echo server-start; sleep 2; echo up > /work/up; exec sleep 60"
  host-port: !Supervise
    children:
      b-server: !Command
        container: bb
        ready-when: { tcp: ${hostPort} }
        ready-timeout: 2
        run: "echo server-start; exec sleep 60"
`, 'supervise-ready');
  });

  after(() => new Promise<void>((r) => hostServer.close(() => r())));

  test('the waiting child starts after the server is ready and reaches it', async () => {
    const r = await vagga(dir, ['pair'], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, show(r));
    const server = r.stdout.indexOf('server-start');
    const client = r.stdout.indexOf('client-start');
    assert.ok(server >= 0 && client > server, `server starts first although a-client sorts first\n${show(r)}`);
    assert.match(r.stdout, /^hello-from-server$/m, show(r));
    assert.match(r.stdout, /^---------- Process a-client:\d+ exited with code 0\. Shutting down -----------$/m, show(r));
  });

  test('a child not ready within ready-timeout fails the run; its waiter never starts', async () => {
    const t0 = Date.now();
    const r = await vagga(dir, ['never'], { timeoutMs: 60_000 });
    assert.equal(r.status, 1, show(r));
    assert.match(r.stdout, /^---------- Process b-server:\d+ did not become ready within 1 s\. Shutting down -----------$/m, show(r));
    assert.doesNotMatch(r.stdout, /client-start/, show(r));
    assert.ok(Date.now() - t0 < 30_000, 'the run ends soon after the timeout');
  });

  test('a command probe run in the child\'s container holds the waiter until it passes', async () => {
    const r = await vagga(dir, ['probe'], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^client-saw-file$/m, `the client started only once /work/up existed\n${show(r)}`);
    assert.match(r.stdout, /^---------- Process a-client:\d+ exited with code 0\. Shutting down -----------$/m, show(r));
  });

  test('a host program listening on the child\'s tcp port does not make the child ready', async () => {
    const r = await vagga(dir, ['host-port'], { timeoutMs: 60_000 });
    assert.equal(r.status, 1, show(r));
    assert.match(r.stdout, /^---------- Process b-server:\d+ did not become ready within 2 s\. Shutting down -----------$/m, show(r));
  });
});
