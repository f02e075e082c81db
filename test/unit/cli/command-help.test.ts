import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import { commandHelp } from '../../../src/cli/command-help.js';
import { completionCandidates } from '../../../src/cli/completion/candidates.js';
import { BASH_COMPLETION } from '../../../src/cli/completion/scripts.js';
import { bashCompletionPath } from '../../../src/cli/builtins/completion.js';
import { BUILTINS } from '../../../src/cli/builtins.js';
import type { SuperviseConfig } from '../../../src/config/model.js';
import { command, fakeProject } from './fake-project.js';

const test_ = command({
  name: 'test', run: 'pytest "$@"\n', container: 'py', description: 'Run the tests', aliases: ['t'],
  prerequisites: ['build'], options: 'Usage: vagga test [--fast] [<path>...]\n\nOptions:\n  --fast  Skip slow tests\n',
});
const web: SuperviseConfig = {
  ...command({ name: 'web', run: [] }), kind: 'Supervise', mode: 'stop-on-failure', killUnresponsiveAfter: 2,
  children: { app: command({ name: 'app', run: ['python3', 'app.py'], container: 'py' }), db: command({ name: 'db', run: 'redis-server', container: 'redis' }) },
} as unknown as SuperviseConfig;
const project = fakeProject({ test: test_, build: command({ name: 'build', run: ['make'], container: 'py' }) }, ['py']);
project.config.commands.web = web;

async function vagga(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, { cwd: '/p', env, out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, loadProject: async () => project });
  return { status, stdout, stderr };
}

test('commandHelp: description, container, what it runs, options text, prerequisites', () => {
  assert.equal(commandHelp(test_), [
    'test (aliases: t)', '', '    Run the tests', '', 'Kind: !Command', 'Container: py', 'Runs: pytest "$@"', '',
    'Options:', '    Usage: vagga test [--fast] [<path>...]', '', '    Options:', '      --fast  Skip slow tests',
    'Prerequisites (run first): build', '',
  ].join('\n'));
  const plain = commandHelp(command({ name: 'ls', run: ['ls', '-l', 'a b'], container: 'c' }));
  assert.match(plain, /\nRuns: ls -l "a b"\nArguments: passed on to the program\n$/);
});

test('commandHelp of a !Supervise lists its children and their containers', () => {
  const text = commandHelp(web);
  assert.match(text, /Kind: !Supervise \(mode: stop-on-failure\)\nChildren:\n    app \(container py\): python3 app\.py\n    db \(container redis\): redis-server\n/);
});

test('vagga _help CMD on stdout; aliases and built-ins work; unknown names suggest the nearest', async () => {
  const r = await vagga(['_help', 't']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, commandHelp(test_));
  assert.equal(r.stderr, '');
  const b = await vagga(['_help', '_build']);
  assert.match(b.stdout, /^Usage: vagga _build/m);
  const bad = await vagga(['_help', 'tset']);
  assert.equal(bad.status, 121);
  assert.match(bad.stderr, /^Command "tset" not found and is not an alias\nhint: Did you mean `vagga test`\?/);
  assert.equal((await vagga(['_help'])).status, 122);
});

test('_help completes command names, then built-ins', () => {
  const words = completionCandidates(['_help'], '', project.config, BUILTINS.filter((b) => b.listed));
  assert.deepEqual(words.slice(0, 3), ['build', 'test', 'web']);
  // Vagga's built-ins (its completion order), then this version's others.
  assert.deepEqual(words.slice(3, 5), ['_build', '_build_shell']);
  assert.ok(words.includes('_verify') && words.includes('_completion') && !words.includes('_compgen'));
  assert.deepEqual(completionCandidates(['_help'], 't', project.config, BUILTINS), ['test']);
});

test('_completion bash --install writes bash-completion\'s user file', async () => {
  assert.equal(bashCompletionPath({ HOME: '/home/u' }), '/home/u/.local/share/bash-completion/completions/vagga');
  assert.equal(bashCompletionPath({ HOME: '/home/u', XDG_DATA_HOME: '/d' }), '/d/bash-completion/completions/vagga');
  assert.equal(bashCompletionPath({ BASH_COMPLETION_USER_DIR: '/b' }), '/b/completions/vagga');
  const home = mkdtempSync(join(tmpdir(), 'vagga-compl-'));
  try {
    const r = await vagga(['_completion', 'bash', '--install'], { HOME: home });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '');
    const path = join(home, '.local/share/bash-completion/completions/vagga');
    assert.equal(readFileSync(path, 'utf8'), BASH_COMPLETION);
    assert.match(r.stderr, new RegExp(`^Wrote ${path}\n`));
    assert.equal((await vagga(['_completion', 'zsh', '--install'], { HOME: home })).status, 1);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('vagga --help and every built-in\'s --help fit an 80-column terminal', async () => {
  const texts = [(await vagga(['--help'])).stdout];
  for (const b of BUILTINS.filter((x) => !x.rawArgs)) texts.push((await vagga([b.name, '--help'])).stdout);
  for (const text of texts) {
    assert.ok(text.length > 0);
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  }
});
