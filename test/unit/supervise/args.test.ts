import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_CHILDREN_MESSAGE, parseSuperviseArgs, selectChildren } from '../../../src/supervise/args.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { command } from '../cli/fake-project.js';

const cmd = { name: 'sv', description: 'Run all' };

test('--only/--exclude take several values, repeat, and accept --opt=value', () => {
  assert.deepEqual(parseSuperviseArgs(cmd, []), { kind: 'run', only: [], exclude: [] });
  assert.deepEqual(parseSuperviseArgs(cmd, ['--only', 'a', 'web', '--exclude', 'b', '--only=c']), { kind: 'run', only: ['a', 'web', 'c'], exclude: ['b'] });
  assert.deepEqual(parseSuperviseArgs(cmd, ['--exclude=x', '--exclude', 'y']), { kind: 'run', only: [], exclude: ['x', 'y'] });
});

test('-h prints the usage with the description; bad arguments are 122', () => {
  const help = parseSuperviseArgs(cmd, ['--only', 'a', '--help']);
  assert.ok(help.kind === 'help' && help.text.startsWith('Usage:\n    vagga sv [--only NAME_OR_TAG...] [--exclude NAME_OR_TAG...]\n\nRun all\n'));
  const is122 = (re: RegExp) => (e: unknown) => e instanceof VaggaError && e.exitCode === 122 && re.test(e.message);
  assert.throws(() => parseSuperviseArgs(cmd, ['extra']), is122(/^Unexpected argument "extra"$/));
  assert.throws(() => parseSuperviseArgs(cmd, ['--only', 'a', '--verbose']), is122(/^Unexpected argument "--verbose"$/));
  assert.throws(() => parseSuperviseArgs(cmd, ['--only']), is122(/--only needs at least one/));
  assert.throws(() => parseSuperviseArgs(cmd, ['--exclude', '--only', 'a']), is122(/--exclude needs at least one/));
});

test('build-mode flags after the name, as Vagga\'s supervisor takes them: the last one wins', () => {
  const r = parseSuperviseArgs(cmd, ['--no-build', '--only', 'a', '--no-version-check']);
  assert.deepEqual(r, { kind: 'run', only: ['a'], exclude: [], buildMode: 'no-version-check' });
  assert.deepEqual(parseSuperviseArgs(cmd, ['--no-image-download']), { kind: 'run', only: [], exclude: [], buildMode: 'no-image-download' });
  assert.equal((parseSuperviseArgs(cmd, []) as { buildMode?: string }).buildMode, undefined);
  const help = parseSuperviseArgs(cmd, ['-h']);
  assert.ok(help.kind === 'help' && help.text.includes('--no-build'));
});

test('selection: sorted names; --only by name or tag; --exclude by name or tag; both combine', () => {
  const children = {
    web: command({ name: 'web', run: 'x', tags: ['front'] }),
    db: command({ name: 'db', run: 'x', tags: ['back', 'storage'] }),
    cache: command({ name: 'cache', run: 'x', tags: ['back'] }),
  };
  assert.deepEqual(selectChildren(children, [], []), ['cache', 'db', 'web']);
  assert.deepEqual(selectChildren(children, ['web'], []), ['web']);
  assert.deepEqual(selectChildren(children, ['back'], []), ['cache', 'db']);
  assert.deepEqual(selectChildren(children, ['storage', 'web'], []), ['db', 'web'], 'names and tags mixed');
  assert.deepEqual(selectChildren(children, [], ['back']), ['web']);
  assert.deepEqual(selectChildren(children, [], ['db', 'front']), ['cache']);
  assert.deepEqual(selectChildren(children, ['back'], ['cache']), ['db']);
  assert.deepEqual(selectChildren(children, ['nothing'], []), []);
  assert.deepEqual(selectChildren({}, [], []), []);
  assert.match(NO_CHILDREN_MESSAGE, /^This supervise command has no children matching conditions\. Either your `children` is empty, or your `--only` arguments don't match anything, or your `--exclude` arguments do exclude all the processes\.$/);
});
