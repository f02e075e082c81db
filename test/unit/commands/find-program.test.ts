import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, probeInRootfs } from '../../../src/commands/find-program.js';
import { DEFAULT_PATH } from '../../../src/commands/environment.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'vagga-findprog-'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/busybox'), '');
  writeFileSync(join(root, 'usr/bin/both'), '');
  writeFileSync(join(root, 'usr/local/bin/both'), '');
  symlinkSync('usr/bin', join(root, 'bin')); // merged-usr, relative
  symlinkSync('/usr/bin/busybox', join(root, 'usr/bin/sh')); // absolute: must resolve inside the root
  symlinkSync('/nonexistent-host-file', join(root, 'usr/bin/dangling'));
  symlinkSync('/etc/passwd', join(root, 'usr/bin/hostonly')); // exists on the host, not in the root
  mkdirSync(join(root, 'usr/bin/adir'));
  return root;
}

test('lookup follows symlinks relative to the rootfs', () => {
  const root = makeRoot();
  try {
    assert.equal(findProgram(root, 'sh', DEFAULT_PATH), '/usr/bin/sh');
    assert.equal(probeInRootfs(root, '/bin/sh'), 'file');
    assert.equal(probeInRootfs(root, '/bin/../bin/sh'), 'file');
    assert.equal(probeInRootfs(root, '/usr/bin/hostonly'), 'missing');
    assert.equal(findProgram(root, 'both', DEFAULT_PATH), '/usr/local/bin/both', '/usr/local/bin before /usr/bin');
    assert.equal(findProgram(root, './relative/x', DEFAULT_PATH), './relative/x', 'names with / are used as given');
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('missing, dangling and directories are not found: exit 124 with the exact message', () => {
  const root = makeRoot();
  try {
    for (const name of ['bc', 'dangling', 'hostonly', 'adir']) {
      assert.throws(() => findProgram(root, name, DEFAULT_PATH), (e) => e instanceof VaggaError && e.exitCode === 124
        && e.message === `Command "${name}" not found in "${DEFAULT_PATH}"`);
    }
    assert.throws(() => findProgram(root, 'busybox', 'relative/bin'), /not found in "relative\/bin"/);
  } finally {
    rmSync(root, { recursive: true });
  }
});
