import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bwrapArgs, mountArgs, octal } from '../../../src/sandbox/bwrap-args.js';
import { mapArgs, mapFileContent, parseJsonStatus, signalName } from '../../../src/sandbox/bwrap.js';

test('every mount kind translates to bwrap arguments in order; --perms/--size precede their op', () => {
  const { args, files } = mountArgs(
    [
      { kind: 'bind', source: '/r', dest: '/', readOnly: true },
      { kind: 'bind', source: '/p', dest: '/work', readOnly: false },
      { kind: 'bind', source: '/etc/hosts', dest: '/etc/hosts', readOnly: true, optional: true },
      { kind: 'bind', source: '/x', dest: '/y', readOnly: false, optional: true },
      { kind: 'dev', dest: '/dev' },
      { kind: 'proc', dest: '/proc' },
      { kind: 'tmpfs', dest: '/tmp', size: 104857600, mode: 0o1777 },
      { kind: 'tmpfs', dest: '/t2' },
      { kind: 'dir', dest: '/run/shm', mode: 0o1777 },
      { kind: 'symlink', target: 'usr/bin', dest: '/bin' },
      { kind: 'file', dest: '/a', content: 'A' },
      { kind: 'file', dest: '/b', content: 'B', mode: 0o600 },
      { kind: 'remount-ro', dest: '/y' },
    ],
    7,
  );
  assert.deepEqual(args, [
    '--ro-bind', '/r', '/',
    '--bind', '/p', '/work',
    '--ro-bind-try', '/etc/hosts', '/etc/hosts',
    '--bind-try', '/x', '/y',
    '--dev', '/dev',
    '--proc', '/proc',
    '--size', '104857600', '--perms', '1777', '--tmpfs', '/tmp',
    '--tmpfs', '/t2',
    '--perms', '1777', '--dir', '/run/shm',
    '--symlink', 'usr/bin', '/bin',
    '--file', '7', '/a',
    '--perms', '0600', '--file', '8', '/b',
    '--remount-ro', '/y',
  ]);
  assert.deepEqual(files, ['A', 'B']);
  assert.equal(octal(0o755), '0755');
});

test('bwrapArgs: namespaces, caps, env, chdir, init', () => {
  const a = bwrapArgs(
    { unshareUser: false, shareNet: false, allCaps: false, env: { B: '2', A: '1' }, cwd: '/work', jsonStatusFd: 4, initPath: '/dev/.vagga-init', argv: ['sh', '-c', 'x'] },
    ['--dev', '/dev'],
  );
  assert.deepEqual(a, [
    '--unshare-pid', '--unshare-ipc', '--unshare-net', '--die-with-parent', '--json-status-fd', '4', '--cap-drop', 'ALL',
    '--clearenv', '--setenv', 'A', '1', '--setenv', 'B', '2', '--dev', '/dev', '--chdir', '/work',
    '--as-pid-1', '--', '/dev/.vagga-init', '--', 'sh', '-c', 'x',
  ]);
  const b = bwrapArgs({ unshareUser: true, shareNet: true, allCaps: true, env: {}, cwd: '/', jsonStatusFd: 3, argv: ['true'] }, []);
  assert.deepEqual(b, ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--json-status-fd', '3', '--cap-add', 'ALL', '--clearenv', '--chdir', '/', '--', 'true']);
});

test('id map helpers and json-status parsing', () => {
  const entries = [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 100000, count: 65535 }];
  assert.deepEqual(mapArgs(42, entries), ['42', '0', '1001', '1', '1', '100000', '65535']);
  assert.equal(mapFileContent(entries), '0 1001 1\n1 100000 65535\n');
  assert.deepEqual(parseJsonStatus('{ "child-pid": 2, "mnt-namespace": 4026532 }\n{ "exit-code": 42 }\n'), { childPid: 2, exitCode: 42 });
  assert.deepEqual(parseJsonStatus('{ "child-pid": 2 }\n'), { childPid: 2 });
  assert.equal(signalName(15), 'SIGTERM');
});
