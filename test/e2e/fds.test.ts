/**
 * End-to-end: file descriptors reach the command (issue 14 part 17). A descriptor the caller
 * left open (a shell's `exec 5<file`) is the same descriptor in the command, at its number;
 * vagga's own pipes are not there. Under socket activation (`systemd-socket-activate`,
 * systemd's activator: it sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID for vagga and
 * passes the listening socket as fd 3) the command sees the socket at fd 3 and a LISTEN_PID
 * equal to its own pid (sd_listen_fds(3)).
 */
import { strict as assert } from 'node:assert';
import { chmodSync, closeSync, openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callerFds } from '../../src/sandbox/caller-fds.js';
import { freePort } from './fixtures.js';
import { cleanupStage, e2eEnv, makeProject, show, spawnVagga, vagga } from './harness.js';

// No pipeline: a shell running one has the pipe's ends open while `ls` reads its fds.
const LIST = 'ls /proc/$$/fd';
const YAML = `
containers:
  bb:
    setup:
    - !Tar { url: ./busybox.tar }
commands:
  fds: !Command
    container: bb
    run: ['/bin/sh', '-c', '${LIST.replace(/\\/g, '\\\\')}; cat <&5']
`;

describe('file descriptors', { timeout: 600_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': YAML }, { name: 'fds' });
    const r = await vagga(dir, ['_build', 'bb']);
    assert.equal(r.status, 0, show(r));
  });
  after(cleanupStage);

  test('a descriptor the caller left open reaches the command at its number; vagga\'s own do not', async () => {
    const env = await e2eEnv();
    const file = join(env.stageDir, 'fd5.txt');
    writeFileSync(file, 'read through fd 5\n');
    chmodSync(file, 0o644);
    // What the test process itself passes on to every child (inherited from its own caller).
    const expected = [...new Set([0, 1, 2, 5, ...callerFds()])].sort((a, b) => a - b).join(' ');
    for (const args of [['fds'], ['_run', 'bb', '/bin/sh', '-c', `${LIST}; cat <&5`]]) {
      // A fresh open file each time: the command's cat moves the offset the descriptions share.
      const fd = openSync(file, 'r');
      try {
        const r = await vagga(dir, args, { fds: { 5: fd } });
        assert.equal(r.status, 0, show(r));
        const lines = r.stdout.trim().split('\n');
        assert.equal(lines.pop(), 'read through fd 5', show(r));
        assert.equal(lines.map(Number).sort((a, b) => a - b).join(' '), expected, show(r));
      } finally {
        closeSync(fd);
      }
    }
  });

  test('socket activation: the socket is fd 3, LISTEN_FDS/LISTEN_FDNAMES pass, LISTEN_PID is the command\'s own pid', async () => {
    const port = await freePort();
    const passed = ['HOME', 'PATH', 'USER', 'LOGNAME', 'LANG', 'VAGGA_SETTINGS'].map((v) => `--setenv=${v}`);
    const v = await spawnVagga(dir, ['_run', 'bb', '/bin/sh', '-c',
      'echo "fds=$LISTEN_FDS names=$LISTEN_FDNAMES pid=$LISTEN_PID self=$$"; ls -l /proc/$$/fd/3 | sed "s/.*-> //"'], {
      wrapWith: ['systemd-socket-activate', `--listen=127.0.0.1:${port}`, '--fdname=web', ...passed],
      timeoutMs: 120_000,
    });
    // The activator starts vagga on the first connection.
    await v.waitFor(/Listening on/, 30_000);
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => {});
    const r = await v.done;
    sock.destroy();
    assert.equal(r.status, 0, show(r));
    const m = /^fds=1 names=web pid=(\d+) self=(\d+)$/m.exec(r.stdout);
    assert.ok(m, show(r));
    assert.equal(m[1], m[2], 'LISTEN_PID is the command\'s pid');
    assert.match(r.stdout, /^socket:\[\d+\]$/m, 'fd 3 is the listening socket');
  });
});
