import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkArguments, commandArgv } from '../../../src/user-commands/argv.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

test('string run goes through /bin/sh -c with args after --', () => {
  assert.deepEqual(commandArgv('echo "$@"', ['a', 'b c']), ['/bin/sh', '-c', 'echo "$@"', '--', 'a', 'b c']);
});

test('default-shell replaces $cmdline elements', () => {
  assert.deepEqual(commandArgv('printf %q x', ['y'], ['/bin/bash', '-c', '$cmdline', '--']), ['/bin/bash', '-c', 'printf %q x', '--', 'y']);
});

test('list run appends args', () => {
  assert.deepEqual(commandArgv(['echo', '-n'], ['x']), ['echo', '-n', 'x']);
});

test('arguments to a command that does not accept them: 122 Unexpected argument', () => {
  const cmd = { name: 'echo-shell', run: 'echo hi', acceptsArguments: false, description: 'Says hi' };
  assert.throws(() => checkArguments(cmd, ['hello']), (e) => e instanceof VaggaError && e.exitCode === 122 && /^Unexpected argument/.test(e.message));
  assert.deepEqual(checkArguments(cmd, []), { kind: 'run', args: [] });
  const help = checkArguments(cmd, ['--help']);
  assert.equal(help.kind, 'help');
  assert.equal(help.kind === 'help' && help.text, 'Usage:\n    vagga echo-shell\n\nSays hi\n');
  assert.deepEqual(checkArguments({ ...cmd, acceptsArguments: true }, ['--help', 'x']), { kind: 'run', args: ['--help', 'x'] });
});
