import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, probeInRootfs } from '../../../src/runtime/find-program.js';
import { DEFAULT_PATH } from '../../../src/runtime/environment.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'vagga-findprog-'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/busybox'), '', { mode: 0o755 });
  writeFileSync(join(root, 'usr/bin/both'), '', { mode: 0o755 });
  writeFileSync(join(root, 'usr/local/bin/both'), '', { mode: 0o755 });
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
    assert.equal(findProgram(root, '/bin/sh', DEFAULT_PATH), '/bin/sh', 'names with / are returned as given');
    assert.equal(findProgram(root, './sh', DEFAULT_PATH, { cwd: '/usr/bin' }), './sh', 'relative to the working directory');
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

test('PATH search skips files without an execute bit, like execvp', () => {
  const root = makeRoot();
  try {
    writeFileSync(join(root, 'usr/local/bin/tool'), '', { mode: 0o644 });
    writeFileSync(join(root, 'usr/bin/tool'), '', { mode: 0o700 });
    assert.equal(findProgram(root, 'tool', DEFAULT_PATH), '/usr/bin/tool');
    writeFileSync(join(root, 'usr/bin/data'), '', { mode: 0o644 });
    assert.throws(() => findProgram(root, 'data', DEFAULT_PATH), /Command "data" not found in/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('explicit paths: missing, a directory or not executable is exit 124 naming the container', () => {
  const root = makeRoot();
  try {
    writeFileSync(join(root, 'usr/bin/notes.txt'), '', { mode: 0o644 });
    const cases: Array<[string, RegExp]> = [
      ['/bin/nonexist', /^Command "\/bin\/nonexist" not found in container "bb"$/],
      ['/usr/bin/hostonly', /not found in container "bb"/], // a link to a host file: not in the container
      ['/usr/bin/adir', /^Command "\/usr\/bin\/adir" is a directory in container "bb", not a program$/],
      ['/bin/notes.txt', /^Command "\/bin\/notes.txt" is not executable in container "bb" \(mode 0644\)$/],
      ['../x', /^Command "..\/x" not found in container "bb" \(looked for \/usr\/x\)$/],
    ];
    for (const [name, re] of cases) {
      assert.throws(() => findProgram(root, name, DEFAULT_PATH, { container: 'bb', cwd: '/usr/bin' }),
        (e) => e instanceof VaggaError && e.exitCode === 124 && re.test(e.message) && Boolean(e.hint), name);
    }
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('explicit paths are checked through the mounts: binds show host files, tmpfs is not checked', () => {
  const root = makeRoot();
  const project = mkdtempSync(join(tmpdir(), 'vagga-findprog-work-'));
  try {
    mkdirSync(join(root, 'work'));
    writeFileSync(join(project, 'run.sh'), '', { mode: 0o755 });
    writeFileSync(join(project, 'plain.txt'), '', { mode: 0o600 });
    const mounts = [
      { kind: 'bind' as const, source: root, dest: '/', readOnly: true },
      { kind: 'bind' as const, source: project, dest: '/work', readOnly: false },
      { kind: 'tmpfs' as const, dest: '/tmp' },
    ];
    const opts = { mounts, cwd: '/work', container: 'bb' };
    assert.equal(findProgram(root, './run.sh', DEFAULT_PATH, opts), './run.sh');
    assert.equal(findProgram(root, '/work/run.sh', DEFAULT_PATH, opts), '/work/run.sh');
    assert.throws(() => findProgram(root, './plain.txt', DEFAULT_PATH, opts), /is not executable/);
    assert.throws(() => findProgram(root, '/work/missing', DEFAULT_PATH, opts), /not found in container "bb"/);
    assert.equal(findProgram(root, '/tmp/made-at-run-time', DEFAULT_PATH, opts), '/tmp/made-at-run-time');
    assert.throws(() => findProgram(root, 'run.sh', '/tmp', opts), /not found in "\/tmp"/, 'a tmpfs in PATH starts empty');
    assert.equal(findProgram(root, 'run.sh', '/tmp:/work', opts), '/work/run.sh');
  } finally {
    rmSync(root, { recursive: true });
    rmSync(project, { recursive: true });
  }
});
