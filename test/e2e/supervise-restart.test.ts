/**
 * End-to-end: `restart` of `!Supervise` children (beyond Vagga; model.ts RestartPolicy) on
 * the busybox base, as an ordinary user. A child failing twice is restarted twice (with its
 * pass-tcp-socket bound again each time) and its third, successful run ends the run with 0;
 * a child that keeps failing ends the run with its code once the restart limit is spent.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, show, vagga } from './harness.js';
import { freePort, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

describe('!Supervise restart', { timeout: 600_000 }, () => {
  let dir: string;

  before(async () => {
    const port = await freePort();
    dir = await makeBusyboxProject(`
  flaky: !Supervise
    children:
      a-flaky: !Command
        container: bb
        pass-tcp-socket: ${port}
        restart: on-failure
        restart-delay: 0
        run: |
          n=$(cat /work/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > /work/count
          echo "attempt-$n $(readlink /proc/self/fd/3 | cut -c1-7)"
          [ $n -ge 3 ]
      b-steady: !Command
        container: bb
        run: "trap 'echo b-terminated; exit 0' TERM; echo b-started; while :; do sleep 0.1; done"
  broken: !Supervise
    children:
      always-fails: !Command
        container: bb
        restart: always
        restart-limit: 1
        restart-delay: 0
        run: "echo failing; exit 7"
`, 'supervise-restart');
  });

  test('a failing child is restarted until it succeeds; the run then ends with 0', async () => {
    const r = await vagga(dir, ['flaky'], { timeoutMs: 60_000 });
    assert.equal(r.status, 0, show(r));
    assert.deepEqual(r.stdout.match(/^attempt-\d+ .*$/gm), ['attempt-1 socket:', 'attempt-2 socket:', 'attempt-3 socket:'], show(r));
    assert.match(r.stdout, /^---------- Process a-flaky:\d+ exited with code 1\. Restarting \(1 of 5\) in 0 s -----------$/m, show(r));
    assert.match(r.stdout, /^---------- Process a-flaky:\d+ exited with code 1\. Restarting \(2 of 5\) in 0 s -----------$/m, show(r));
    assert.match(r.stdout, /^---------- Process a-flaky:\d+ exited with code 0\. Shutting down -----------$/m, show(r));
    assert.equal(r.stdout.match(/b-started/g)?.length, 1, 'the other child is not restarted');
    assert.match(r.stdout, /^b-terminated$/m, show(r));
  });

  test('once the restart limit is spent, the child ends the run with its code', async () => {
    const r = await vagga(dir, ['broken'], { timeoutMs: 60_000 });
    assert.equal(r.status, 7, show(r));
    assert.equal(r.stdout.match(/^failing$/gm)?.length, 2, show(r));
    assert.match(r.stdout, /Restarting \(1 of 1\) in 0 s/, show(r));
    assert.match(r.stdout, /^---------- Process always-fails:\d+ exited with code 7\. Shutting down -----------$/m, show(r));
  });
});
