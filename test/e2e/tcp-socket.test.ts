/**
 * End-to-end: `pass-tcp-socket` (vagga-inventory.md §1.6, §4) on the busybox base, as an
 * ordinary user. busybox has nothing that accepts on an inherited socket, so the command
 * inspects fd 3 through /proc: it is a socket (fdinfo flags without O_NONBLOCK), the same
 * inode /proc/net/tcp lists in state LISTEN (0A) on 127.0.0.1:PORT, and once the test has
 * connected from the host, that socket's accept queue holds the connection (rx_queue 1):
 * it waits for the command, vagga did not accept it. Also inside `!Supervise`, and a port in
 * use fails with 121 before anything starts.
 */
import { strict as assert } from 'node:assert';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, show, spawnVagga, vagga } from './harness.js';
import { freePort, makeBusyboxProject } from './fixtures.js';

after(cleanupStage);

/** Shell run in the container: report fd 3, then wait (10 s at most) for one queued connection. */
const CHECK = [
  'ino=$(readlink /proc/self/fd/3); echo "fd3=$ino"',
  'grep flags: /proc/self/fdinfo/3',
  'ino=${ino#socket:[}; ino=${ino%]}',
  'i=0; while [ $i -lt 100 ]; do',
  '  line=$(grep " $ino " /proc/net/tcp)',
  '  set -- $line',
  '  if [ "$5" = 00000000:00000001 ]; then echo "local=$2 state=$4 queue=$5"; exit 0; fi',
  '  sleep 0.1; i=$((i+1))',
  'done',
  'echo "no connection queued: $line"; exit 1',
].join('\n');

const indent = (text: string, n: number) => text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');

describe('pass-tcp-socket', { timeout: 600_000 }, () => {
  let dir: string;
  let port: number;
  let port2: number;

  before(async () => {
    port = await freePort();
    port2 = await freePort();
    dir = await makeBusyboxProject(`
  serve: !Command
    container: bb
    pass-tcp-socket: ${port}
    run: |
${indent(CHECK, 6)}
  sv: !Supervise
    children:
      web: !Command
        container: bb
        pass-tcp-socket: "127.0.0.1:${port2}"
        run: |
${indent(CHECK, 10)}
`, 'tcp-socket');
  });

  /** Run `cmd`, connect to `p` once fd 3 is reported, and check what the command saw. */
  async function connectAndCheck(cmd: string, p: number): Promise<void> {
    const run = await spawnVagga(dir, [cmd], { timeoutMs: 60_000 });
    let client: Socket | undefined;
    try {
      await run.waitFor(/fd3=socket:\[\d+\]/);
      client = connect(p, '127.0.0.1');
      client.on('error', () => {});
      const r = await run.done;
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, /^flags:\s+0*2$/m, `fd 3 is O_RDWR and blocking\n${show(r)}`);
      const hexPort = p.toString(16).toUpperCase().padStart(4, '0');
      assert.match(r.stdout, new RegExp(`^local=0100007F:${hexPort} state=0A queue=00000000:00000001$`, 'm'), show(r));
    } finally {
      client?.destroy();
    }
  }

  test('a !Command gets the listening socket on fd 3; the connection waits for it', async () => {
    await connectAndCheck('serve', port);
  });

  test('a !Supervise child gets its socket on fd 3 too', async () => {
    await connectAndCheck('sv', port2);
  });

  test('a port in use fails with 121 before the command starts', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    try {
      const r = await vagga(dir, ['serve'], { timeoutMs: 60_000 });
      assert.equal(r.status, 121, show(r));
      assert.match(r.stderr, new RegExp(`listen on the pass-tcp-socket 127\\.0\\.0\\.1:${port}: EADDRINUSE`), show(r));
      assert.doesNotMatch(r.stdout, /fd3=/, 'the command never ran');
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
