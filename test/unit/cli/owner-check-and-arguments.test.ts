/**
 * The CLI's project owner check (inventory §2.5), `-q`/`-v` after a built-in's
 * arguments, empty `-E`/`-e` names, `_build` reporting the cycle of the container asked
 * about (§4 "Cycle"), `_list --all` listing the implemented built-ins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import { checkProjectOwner, type OwnerCheckHost } from '../../../src/cli/owner-check.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { tempDir } from '../temp-dir.js';
import { command, fakeProject } from './fake-project.js';

function host(uid: number, owner: number | undefined): OwnerCheckHost {
  return { uid, ownerOf: () => owner, userName: (id) => ({ 0: 'root', 1001: 'alice' } as Record<number, string>)[id] };
}

test('owner check: same owner or unknown owner is silent', () => {
  assert.equal(checkProjectOwner('/p', host(1001, 1001)), undefined);
  assert.equal(checkProjectOwner('/p', host(0, 0)), undefined);
  assert.equal(checkProjectOwner('/p', host(1001, undefined)), undefined);
});

test('owner check: root in a user\'s project is refused with exit 122 and a hint naming the owner', () => {
  assert.throws(() => checkProjectOwner('/home/alice/proj', host(0, 1001)), (e) => {
    assert.ok(e instanceof VaggaError);
    assert.equal(e.exitCode, 122);
    assert.match(e.message, /^You should not run vagga as root: the project "\/home\/alice\/proj" belongs to alice \(uid 1001\)\./);
    assert.match(e.hint!, /runuser -u alice -- vagga/);
    assert.match(e.hint!, /--ignore-owner-check/);
    return true;
  });
});

test('owner check: another ordinary user gets a warning only', () => {
  const w = checkProjectOwner('/srv/p', host(1001, 0));
  assert.match(w!, /^Warning: the project "\/srv\/p" belongs to root \(uid 0\), but vagga runs as alice \(uid 1001\)/);
  assert.match(w!, /--ignore-owner-check/);
});

async function vagga(argv: string[], project: Project, opts: { cwd?: string; ownerCheck?: (root: string) => string | undefined; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    cwd: opts.cwd ?? '/p',
    env: opts.env ?? { TERM: 'xterm' },
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    loadProject: async () => project,
    ownerCheck: opts.ownerCheck,
  });
  return { status, stdout, stderr };
}

const listed = fakeProject({ hello: command({ name: 'hello', run: ['echo'] }) });

test('the CLI runs the owner check on the project root; --ignore-owner-check skips it; -q hides the warning', async () => {
  const seen: string[] = [];
  const warn = (root: string) => { seen.push(root); return 'Warning: not yours'; };
  const r = await vagga(['_list'], listed, { ownerCheck: warn });
  assert.equal(r.status, 0);
  assert.deepEqual(seen, ['/p']);
  assert.equal(r.stderr, 'Warning: not yours\n');
  const q = await vagga(['-q', '_list'], listed, { ownerCheck: warn });
  assert.equal(q.stderr, '');
  const refuse = () => { throw new VaggaError('You should not run vagga as root', { code: 'args.run-as-root' }); };
  assert.equal((await vagga(['_list'], listed, { ownerCheck: refuse })).status, 122);
  const ignored = await vagga(['--ignore-owner-check', '_list'], listed, { ownerCheck: refuse });
  assert.equal(ignored.status, 0);
  assert.equal(ignored.stdout, 'hello               \n');
});

test('the real owner check refuses root before the project is loaded (nothing written into it)', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const dir = tempDir('vagga-owner-');
  writeFileSync(join(dir, 'vagga.yaml'), 'containers: {}\ncommands: {}\n');
  chownSync(dir, 1001, 1001);
  let status = -1;
  let stderr = '';
  status = await runCli(['_list'], { cwd: dir, env: { HOME: dir }, out: () => {}, err: (t) => { stderr += t; } });
  assert.equal(status, 122, stderr);
  assert.match(stderr, /You should not run vagga as root/);
  assert.equal((await import('node:fs')).existsSync(join(dir, '.vagga')), false, 'no config cache written');
  const ok = await runCli(['--ignore-owner-check', '_list'], { cwd: dir, env: { HOME: dir }, out: () => {}, err: () => {} });
  assert.equal(ok, 0);
});

test('-q/-v are accepted after a built-in\'s own arguments and set the verbosity', async () => {
  const project = fakeProject({});
  const r = await vagga(['_version_hash', 'nope', '-q'], project);
  assert.equal(r.status, 121, r.stderr);
  assert.match(r.stderr, /Container "nope" not found/);
  assert.equal((await vagga(['_version_hash', 'nope', '-x'], project)).status, 122, 'other unknown flags are still errors');
  // The verbosity really changes: the owner warning (printed when the project loads, after
  // the arguments are parsed) disappears with a trailing -q and shows with a trailing -v.
  const quiet = await vagga(['_list', '--all', '-q'], project, { ownerCheck: () => 'Warning: w' });
  assert.equal(quiet.status, 0);
  assert.equal(quiet.stderr, '');
  const loud = await vagga(['-q', '_version_hash', 'nope', '-v'], project, { ownerCheck: () => 'Warning: w' });
  assert.match(loud.stderr, /^Warning: w\n/);
});

test('-E with an empty name (-E =x) and -e \'\' are rejected with exit 126', async () => {
  const project = fakeProject({ hello: command({ name: 'hello', run: ['echo'] }) });
  for (const argv of [['-E', '=x', 'hello'], ['-E', '', 'hello'], ['-e', '', 'hello'], ['-E', '=x', '_run', 'c', 'true']]) {
    const r = await vagga(argv, project);
    assert.equal(r.status, 126, argv.join(' '));
    assert.match(r.stderr, /^Error propagating environment: Environment variable name \(for option `-[eE]`\/`--(environ|use-env)`\) can't be empty/, argv.join(' '));
  }
});

test('_list --all shows every implemented built-in, _version_hash included', async () => {
  const r = await vagga(['_list', '--all'], fakeProject({}));
  const names = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
  // The first seven in this order; built-ins added later follow (BUILTINS order, listed ones).
  assert.deepEqual(names.slice(0, 7), ['_build', '_run', '_clean', '_list', '_base_dir', '_relative_work_dir', '_version_hash']);
  const { BUILTINS } = await import('../../../src/cli/builtins.js');
  assert.deepEqual(names, BUILTINS.filter((b) => b.listed).map((b) => b.name));
});

test('_build NAME reports the cycle of NAME when several cycles exist (last line exact)', async () => {
  const dir = tempDir('vagga-cycle-');
  writeFileSync(join(dir, 'vagga.yaml'), [
    'containers:',
    '  a: {setup: [!Container b]}',
    '  b: {setup: [!Container a]}',
    '  crash:',
    '    setup:',
    '    - !Container crash',
    '  user: {setup: [!Container crash]}',
    '',
  ].join('\n'));
  const run = async (argv: string[]) => {
    let stderr = '';
    const status = await runCli(argv, { cwd: dir, env: { HOME: dir, VAGGA_NO_CONFIG_CACHE: '1' }, out: () => {}, err: (t) => { stderr += t; } });
    return { status, lines: stderr.trimEnd().split('\n') };
  };
  const crash = await run(['_build', 'crash']);
  assert.equal(crash.status, 126);
  assert.deepEqual(crash.lines.slice(-1), ['Container "crash" has cyclic dependency']);
  assert.match(crash.lines[0]!, /vagga\.yaml:6:7: !Container crash in container "crash" closes a cycle \(crash -> crash\)$/);
  assert.equal(crash.lines.length, 2, 'only the cycle asked about');
  const b = await run(['_build', 'b']);
  assert.deepEqual(b.lines, [`${join(dir, 'vagga.yaml')}:2:15: !Container b in container "a" closes a cycle (b -> a -> b)`, 'Container "b" has cyclic dependency']);
  const user = await run(['_version_hash', 'user']);
  assert.equal(user.lines.at(-1), 'Container "crash" has cyclic dependency', 'a cycle reached from the container');
  const all = await run(['_list']);
  assert.equal(all.status, 126);
  assert.equal(all.lines.filter((l) => l.endsWith('has cyclic dependency')).length, 2, 'without a container: every cycle');
});
