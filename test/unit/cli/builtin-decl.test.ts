/**
 * The built-ins' declarations (src/cli/builtins.ts) drive their help, `vagga --help`,
 * argument checking and completion: one fact in one place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/cli.js';
import { BUILTINS } from '../../../src/cli/builtins.js';
import { builtinHelp, formatRows, synopsis, usageLine } from '../../../src/cli/builtin-spec.js';
import type { Project } from '../../../src/config/project.js';
import { fakeProject } from './fake-project.js';

async function vagga(argv: string[], project: Project = fakeProject({}, ['box'])) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd: '/p', env: {}, out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
    loadProject: async () => project, ownerCheck: () => undefined,
  });
  return { status, stdout, stderr };
}

test('vagga --help lists every built-in meant for users, with its synopsis and summary; _compgen stays hidden', async () => {
  const { status, stdout } = await vagga(['--help']);
  assert.equal(status, 0);
  const section = stdout.split('Built-in commands (each takes --help):\n')[1]!.split('\n\n')[0]!;
  const names = section.split('\n').filter((l) => /^ {2}_/.test(l)).map((l) => l.trim().split(' ')[0]);
  assert.deepEqual(names, BUILTINS.filter((b) => b.listed).map((b) => b.name));
  assert.ok(names.length >= 11, names.join(' '));
  assert.ok(!names.includes('_compgen'));
  assert.match(section, /^ {2}_build \[options\] CONTAINER +Build a container$/m);
  assert.match(section, /^ {2}_completion \[options\] bash\|zsh +Print a bash or zsh completion script$/m);
  for (const line of stdout.split('\n')) assert.ok(line.length <= 90, `long line: ${line}`);
});

test('every built-in with parsed arguments prints its generated help: usage, each option spelling, -h', async () => {
  for (const b of BUILTINS.filter((x) => !x.rawArgs)) {
    const r = await vagga([b.name, '--help']);
    assert.equal(r.status, 0, b.name);
    assert.equal(r.stdout, builtinHelp(b), b.name);
    assert.ok(r.stdout.startsWith(`${usageLine(b)}\n\n${b.description}\n\nOptions:\n`), b.name);
    for (const o of b.options) for (const f of o.flags) assert.ok(r.stdout.includes(f), `${b.name} ${f}`);
    assert.match(r.stdout, /^ {2}-h, --help +This help\n$/m, b.name);
  }
});

test('synopsis and usage line come from the declared options and positionals', () => {
  const run = BUILTINS.find((b) => b.name === '_run')!;
  assert.equal(synopsis(run), '[options] CONTAINER COMMAND [ARGS...]');
  assert.equal(usageLine(BUILTINS.find((b) => b.name === '_base_dir')!), 'Usage: vagga _base_dir');
});

test('formatRows aligns the second column, puts long labels on their own line and wraps long texts', () => {
  assert.equal(formatRows([['-a', 'A'], ['--bee', 'B\nmore']], 10), '  -a     A\n  --bee  B\n         more\n');
  assert.equal(formatRows([['-a', 'A'], ['--very-long-label', 'L']], 5), '  -a  A\n  --very-long-label\n      L\n');
  const wrapped = formatRows([['x', `${'word '.repeat(30)}end`]], 5).split('\n');
  assert.ok(wrapped.length > 2 && wrapped.every((l) => l.length <= 90), wrapped.join('|'));
});

test('missing and unexpected positionals are reported from the declaration, with the usage line as hint', async () => {
  const missing = await vagga(['_init_storage_dir']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'Storage subdirectory name expected\nhint: Usage: vagga _init_storage_dir [options] NAME\n');
  const extra = await vagga(['_list', 'x']);
  assert.equal(extra.status, 122);
  assert.match(extra.stderr, /^Unexpected argument "x"\nhint: Usage: vagga _list \[options\]\n$/);
  const shell = await vagga(['_completion', 'fish']);
  assert.equal(shell.status, 1);
  assert.match(shell.stderr, /^Unsupported shell "fish": bash or zsh\nhint: Usage: vagga _completion \[options\] bash\|zsh\n$/);
  // _base_dir and _relative_work_dir ignore extra arguments, as before.
  assert.equal((await vagga(['_base_dir', 'x'])).stderr.includes('Unexpected'), false);
});

test('_compgen: built-ins Vagga does not have complete from their declarations; options only after `-`, as in Vagga', async () => {
  const words = async (args: string[]) => (await vagga(['_compgen', ...args])).stdout.split('\n').filter(Boolean).join(' ');
  assert.equal(await words(['_hardlink', '--']), '');
  assert.equal(await words(['_hardlink', '--', '-']), '--global');
  assert.equal(await words(['_completion', '--']), 'bash zsh');
  assert.equal(await words(['_completion', '--', '--']), '--install');
  assert.equal(await words(['_verify', '--']), 'box');
  // Vagga's own built-ins complete as Vagga's table says.
  assert.equal(await words(['_clean', '--', '--tmp']), '--tmp --tmp-folders');
  assert.equal(await words(['_list', '--', '--b']), '');
  assert.equal(await words(['_init_storage_dir', '--', '-']), '');
});
