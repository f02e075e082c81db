/**
 * Checks made before a command's sandbox starts, and signals reaching it, through the real bundle as an ordinary user
 * (harness.ts): absolute programs checked before the sandbox starts (124, not catatonit's
 * `failed to exec pid1`), a missing volume mount point named with its vagga.yaml line (124,
 * not bwrap's `Can't mkdir`), a data container's clear error, SIGUSR1/SIGUSR2 forwarded to the
 * command (never Node's inspector), and `-q` after a built-in's arguments.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { cleanupStage, makeProject, show, spawnVagga, vagga } from './harness.js';
import { BUSYBOX_CONTAINERS_HEAD } from './fixtures.js';

after(cleanupStage);

const YAML = `${BUSYBOX_CONTAINERS_HEAD}  novol:
    setup:
    - !Container bb
    volumes:
      /mnt/data: !Tmpfs
  data:
    setup:
    - !Container bb
    - !Text { /etc/data.txt: "x" }
    data-dirs: [/etc]
commands:
  missing-prog: !Command { container: bb, run: [/bin/not-there] }
  vol: !Command { container: novol, run: [ls, /mnt/data] }
  in-data: !Command { container: data, run: [cat, /etc/data.txt] }
  traps: !Command
    container: bb
    run: |
      trap 'echo trapped-USR1; exit 11' USR1
      trap 'echo trapped-USR2; exit 12' USR2
      echo ready
      sleep 1000 & wait
`;

describe('checks before the sandbox starts; signals reach the command', () => {
  let dir = '';
  before(async () => {
    dir = await makeProject({ 'vagga.yaml': YAML }, { name: 'start-checks' });
    const r = await vagga(dir, ['_build', 'bb', '-q']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stderr, '', '-q after the built-in\'s arguments silences the build');
  });

  test('_run with a missing absolute program or a directory: 124 with vagga\'s message', async () => {
    const missing = await vagga(dir, ['_run', 'bb', '/bin/nonexist']);
    assert.equal(missing.status, 124, show(missing));
    assert.match(missing.stderr, /^Command "\/bin\/nonexist" not found in container "bb"/);
    assert.doesNotMatch(missing.stderr, /failed to exec pid1/);
    const directory = await vagga(dir, ['_run', 'bb', '/bin']);
    assert.equal(directory.status, 124, show(directory));
    assert.match(directory.stderr, /^Command "\/bin" is a directory in container "bb"/);
    const list = await vagga(dir, ['missing-prog']);
    assert.equal(list.status, 124, show(list));
    assert.match(list.stderr, /^Command "\/bin\/not-there" not found in container "bb"/);
  });

  test('a volume whose mount point is missing names the volume, its line and the fix', async () => {
    const r = await vagga(dir, ['vol']);
    assert.equal(r.status, 124, show(r));
    assert.match(r.stderr, /Volume \/mnt\/data \(!Tmpfs of container "novol", declared at .*vagga\.yaml:10:7\) cannot be mounted: \/mnt does not exist in the container/);
    assert.match(r.stderr, /!EnsureDir \/mnt\/data/);
    assert.doesNotMatch(r.stderr, /Can't mkdir/);
  });

  test('a data container gives one clear error', async () => {
    const r = await vagga(dir, ['in-data']);
    assert.equal(r.status, 124, show(r));
    assert.match(r.stderr, /Container "data" is a data container \(data-dirs: \/etc\)/);
    assert.doesNotMatch(r.stderr, /^bwrap:/m);
  });

  for (const [signal, code] of [['SIGUSR1', 11], ['SIGUSR2', 12]] as const) {
    test(`${signal} sent to vagga is forwarded to the command`, async () => {
      const run = await spawnVagga(dir, ['traps']);
      await run.waitFor('ready', 30_000);
      run.kill(signal);
      const r = await run.done;
      assert.equal(r.status, code, show(r));
      assert.match(r.stdout, new RegExp(`trapped-${signal.slice(3)}`));
      assert.doesNotMatch(r.stderr, /Debugger listening/);
    });
  }
});
