/**
 * End-to-end: readiness of `!Supervise` children (beyond Vagga; model.ts ReadyCheck) on the
 * busybox base, as an ordinary user. A client child with `wait-for: [server]` starts only once
 * the server (busybox nc, listening after a delay) accepts TCP connections; a server that never
 * listens fails the run after its `ready-timeout` and its waiter never starts.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, show, vagga } from './harness.js';
import { freePort, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

describe('!Supervise readiness', { timeout: 600_000 }, () => {
  let dir: string;

  before(async () => {
    const port = await freePort();
    const dead = await freePort();
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
`, 'supervise-ready');
  });

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
});
