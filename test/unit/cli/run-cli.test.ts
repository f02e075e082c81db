import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import { command, fakeProject } from './fake-project.js';

/** Run the CLI in-process against an in-memory project; capture stdout and stderr. */
async function vagga(argv: string[], project: Project, cwd = '/p') {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd,
    env: { TERM: 'xterm' },
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    loadProject: async () => project,
  });
  return { status, stdout, stderr };
}

const project = fakeProject({
  hello: command({ name: 'hello', run: ['echo', 'hello'], description: 'Says hello', aliases: ['hi'] }),
  _private: command({ name: '_private', run: ['true'] }),
  shell: command({ name: 'shell', run: 'echo "$@"', group: 'Shells' }),
}, ['c', 'b']);

test('bare vagga: the grouped list on stderr, nothing on stdout, exit 127', async () => {
  const r = await vagga([], project);
  assert.equal(r.status, 127);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'Available commands:\n    hello               Says hello\n                        (aliases: hi)\n\nShells:\n    shell\n');
});

test('_list and _list --containers on stdout', async () => {
  assert.equal((await vagga(['_list'], project)).stdout, 'hello               Says hello\nhi                  Says hello\nshell               \n');
  const all = await vagga(['_list', '--all'], project);
  assert.match(all.stdout, /^_private {12}\n/);
  assert.match(all.stdout, /\n_build {14}Build a container\n/);
  assert.equal((await vagga(['_list', '--containers'], project)).stdout, 'b\nc\n');
});

test('unknown command: 121 and Vagga\'s message on stderr', async () => {
  const r = await vagga(['test', 'something'], project);
  assert.equal(r.status, 121);
  assert.match(r.stderr, /^Command "test" not found and is not an alias\n/);
});

test('-e NAME=VALUE is refused before anything runs: 126', async () => {
  const r = await vagga(['-e', 'key=value', 'hello'], project);
  assert.equal(r.status, 126);
  assert.match(r.stderr, /^Error propagating environment: Environment variable name \(for option `-e`\/`--use-env`\) can't contain equals `=` character\. To set key-value pair use `-E`\/`--environ` option\n/);
});

test('shell command with arguments: 122 Unexpected argument', async () => {
  const r = await vagga(['shell', 'hello'], project);
  assert.equal(r.status, 122);
  assert.match(r.stderr, /Unexpected argument/);
});

test('bad global flag: 122; --help and -V print on stdout with exit 0', async () => {
  assert.equal((await vagga(['--frobnicate'], project)).status, 122);
  const help = await vagga(['--help'], project);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: vagga \[options\]/);
  const v = await vagga(['-V'], project);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^vagga \d+\.\d+\.\d+/);
});

test('built-in --help, _build/_run/_version_hash argument errors', async () => {
  const h = await vagga(['_run', '--help'], project);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: vagga _run/);
  assert.equal((await vagga(['_run', 'c'], project)).status, 122);
  assert.equal((await vagga(['_build'], project)).status, 122);
  assert.equal((await vagga(['_version_hash', 'a', 'b'], project)).status, 122);
  const unknown = await vagga(['_version_hash', 'nope'], project);
  assert.equal(unknown.status, 121);
  assert.match(unknown.stderr, /^Container "nope" not found/);
  assert.equal((await vagga(['_clean'], project)).status, 1, '_clean without an action: exit 1 (Vagga)');
  assert.equal((await vagga(['_clean', '--bogus'], project)).status, 1);
});

test('a user command may start with _ when no built-in has that name', async () => {
  const r = await vagga(['_nothing_like_this'], project);
  assert.equal(r.status, 121);
  assert.match(r.stderr, /Command "_nothing_like_this" not found/);
});
