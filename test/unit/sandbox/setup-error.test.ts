/** Explaining a sandbox that failed before its command started (src/sandbox/bwrap.ts explainSetupOutput). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainSetupOutput, SETUP_PROBE, tooBigError } from '../../../src/sandbox/bwrap.js';
import { SandboxError } from '../../../src/sandbox/sandbox-error.js';
import type { IdMapping } from '../../../src/sandbox/types.js';

const mapping: IdMapping = {
  uids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
  gids: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }],
};
const spec = { init: true, argv: ['/bin/true'], idMapping: mapping };

test('a newuidmap/newgidmap line is explained as a uid map problem (exit 121), keeping the helper\'s words', () => {
  for (const line of ['newuidmap: write to uid_map failed: Operation not permitted', 'newgidmap: write to gid_map failed: Operation not permitted']) {
    const e = explainSetupOutput(`unshare: failed to set up the map\n${line}\nbwrap: something\n`, spec, 1);
    assert.ok(!(e instanceof SandboxError), 'not the generic sandbox error');
    assert.equal(e.exitCode, 121);
    assert.ok(e.message.includes(line), e.message);
    assert.ok(e.hint, 'says what to do');
  }
});

test('bwrap lines become a SandboxError (124); reaching the probe means the program could not be executed', () => {
  const e = explainSetupOutput("bwrap: Can't mkdir /mnt: Read-only file system\nnoise\n", spec, 1);
  assert.ok(e instanceof SandboxError);
  assert.equal(e.exitCode, 124);
  assert.equal(e.message, "Could not set up the container sandbox (bwrap exited with status 1): bwrap: Can't mkdir /mnt: Read-only file system");
  const exec = explainSetupOutput(`bwrap: execvp ${SETUP_PROBE}: No such file or directory\n`, { ...spec, init: false }, 1);
  assert.equal(exec.message, 'Could not execute "/bin/true" in the container');
});

test('E2BIG from starting the launcher: one line naming the command and its biggest variable, exit 121', () => {
  const err = tooBigError(Object.assign(new Error('spawn E2BIG'), { code: 'E2BIG', syscall: 'spawn' }), {
    argv: ['/usr/bin/app', '--x'], env: { SMALL: 'y', HUGE: 'x'.repeat(200_000) },
  });
  assert.equal(err?.exitCode, 121);
  assert.equal(err?.message, 'The environment and arguments of /usr/bin/app are too big to start it (E2BIG); its biggest variable, HUGE, has 200000 bytes: one variable may have at most 128 KiB, all together about 2 MiB');
  assert.equal(tooBigError(Object.assign(new Error('x'), { code: 'ENOENT' }), { argv: ['/a'], env: {} }), undefined);
});
