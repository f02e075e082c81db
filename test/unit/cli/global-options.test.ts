import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../src/cli/global-options.js';
import { parseOptions } from '../../../src/cli/arg-parser.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';

test('parsing stops at the command name: its flags belong to the command', () => {
  const line = parseCommandLine(['-E', 'A=1', '--use-env', 'HOME', 'run', '-E', 'x', '--no-build']);
  assert.equal(line.command, 'run');
  assert.deepEqual(line.args, ['-E', 'x', '--no-build']);
  assert.deepEqual(line.globals.setEnv, ['A=1']);
  assert.deepEqual(line.globals.useEnv, ['HOME']);
  assert.equal(line.globals.buildMode, 'normal');
});

test('all spellings of -E/-e and = forms are accepted, in order', () => {
  const line = parseCommandLine(['--env=A=1', '--environ', 'B', '-EC=3', '-e', 'X', '--use-env=Y', 'cmd']);
  assert.deepEqual(line.globals.setEnv, ['A=1', 'B', 'C=3']);
  assert.deepEqual(line.globals.useEnv, ['X', 'Y']);
});

test('build-mode, network, multi and verbosity flags', () => {
  const g = parseCommandLine(['--no-build', '--no-net', '-m', '-q', 'a', 'b']);
  assert.equal(g.globals.buildMode, 'no-build');
  assert.equal(g.globals.isolateNetwork, true);
  assert.equal(g.globals.runMulti, true);
  assert.equal(g.globals.verbosity, 0);
  assert.equal(g.command, 'a');
  assert.deepEqual(g.args, ['b']);
  assert.equal(parseCommandLine(['--no-version-check', '--no-build']).globals.buildMode, 'no-version-check');
  assert.equal(parseCommandLine(['-q', '-v']).globals.verbosity, 2);
  assert.equal(parseCommandLine(['-v', '-q']).globals.verbosity, 0);
  assert.equal(parseCommandLine(['-Eq']).globals.verbosity, 1, '-Eq sets variable q, it is not --quiet');
});

test('bare vagga and -V/--help', () => {
  assert.equal(parseCommandLine([]).command, undefined);
  assert.equal(parseCommandLine(['-V']).globals.version, true);
  assert.equal(parseCommandLine(['--help']).globals.help, true);
});

test('unknown global flags and missing values are errors with exit 122', () => {
  assert.throws(() => parseCommandLine(['--bogus', 'cmd']), (e) => e instanceof VaggaError && e.exitCode === 122 && e.message === "Unknown flag: '--bogus'");
  assert.throws(() => parseCommandLine(['-E']), (e) => e instanceof VaggaError && e.exitCode === 122 && /requires a value/.test(e.message));
});

test('options may follow positionals when stopAtPositional is false; -- ends options', () => {
  const p = parseOptions(['name', '-s', '--', '-x'], [{ names: ['-s', '--short'], key: 'short', kind: 'flag' }], { stopAtPositional: false });
  assert.equal(p.values.short, true);
  assert.deepEqual(p.positionals, ['name', '-x']);
  assert.throws(() => parseOptions(['--short=1'], [{ names: ['--short'], key: 'short', kind: 'flag' }]), /does not take a value/);
});

test('-p/--publish is repeatable and kept in order; --network-outbound; neither by default (not in Vagga)', () => {
  const g = parseCommandLine(['-p', '8080:80', '--publish=5432', '--network-outbound', 'run', '-p', '1:1']);
  assert.deepEqual(g.globals.publish, ['8080:80', '5432']);
  assert.equal(g.globals.networkOutbound, true);
  assert.deepEqual(g.args, ['-p', '1:1']);
  const none = parseCommandLine(['run']);
  assert.deepEqual(none.globals.publish, []);
  assert.equal(none.globals.networkOutbound, false);
});
