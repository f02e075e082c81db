import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRuns } from '../../../src/user-commands/run.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { fakeProject, command } from '../cli/fake-project.js';

const project = fakeProject({
  one: command({ name: 'one', run: ['echo', 'one'] }),
  two: command({ name: 'two', run: ['echo', 'two'], prerequisites: ['one'] }),
  three: command({ name: 'three', run: ['echo', 'three'], prerequisites: ['one'] }),
  four: command({ name: 'four', run: ['echo', 'four'], prerequisites: ['two', 'three'], aliases: ['4'] }),
  shell: command({ name: 'shell', run: 'echo hi', acceptsArguments: false }),
});

const names = (plan: ReturnType<typeof planRuns>) => (Array.isArray(plan) ? plan.map((r) => `${r.command.name}${r.args.length ? ' ' + r.args.join(' ') : ''}`) : plan);

test('prerequisites run first; only the named command gets the arguments', () => {
  assert.deepEqual(names(planRuns(project, ['4'], ['x', 'y'], false)), ['one', 'two', 'three', 'four x y']);
  assert.deepEqual(names(planRuns(project, ['three', 'two', 'four'], [], false)), ['one', 'three', 'two', 'four']);
  assert.deepEqual(names(planRuns(project, ['four'], [], true)), ['four'], '--no-prerequisites');
});

test('unknown command: 121 with Vagga\'s text; bad argument: 122; --help returns the usage', () => {
  assert.throws(() => planRuns(project, ['test'], [], false), (e) => e instanceof VaggaError && e.exitCode === 121 && e.message === 'Command "test" not found and is not an alias');
  assert.throws(() => planRuns(project, ['shell'], ['hello'], false), (e) => e instanceof VaggaError && e.exitCode === 122);
  assert.deepEqual(planRuns(project, ['shell'], ['-h'], false), { help: 'Usage:\n    vagga shell\n' });
});

test('options: docopt values become VAGGAOPT_/VAGGACLI_ variables, arguments are not passed; errors are 121', () => {
  const p = fakeProject({ d: command({ name: 'd', run: ['x'], options: 'Usage: vagga d [--x] [<f>]' }) });
  const plan = planRuns(p, ['d'], ['--x', 'file'], false);
  assert.ok(Array.isArray(plan));
  assert.deepEqual(plan[0].args, []);
  assert.equal(plan[0].optionEnv?.VAGGAOPT_X, 'true');
  assert.equal(plan[0].optionEnv?.VAGGAOPT_F, 'file');
  assert.throws(() => planRuns(p, ['d'], ['--bad-arg'], false), (e) => e instanceof VaggaError && e.exitCode === 121 && e.message.endsWith("Unknown flag: '--bad-arg'\n\nUsage: vagga d [--x] [<f>]"));
  const help = planRuns(p, ['d'], ['--help'], false);
  assert.ok(!Array.isArray(help) && help.help.includes('-h, --help'));
});
