import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import type { SuperviseConfig } from '../../../src/config/model.js';
import { completionCandidates } from '../../../src/cli/completion/candidates.js';
import { BASH_COMPLETION, ZSH_COMPLETION } from '../../../src/cli/completion/scripts.js';
import { command, fakeProject } from './fake-project.js';

// The project of Vagga's tests/completion: commands dont_care, no, yes; container ubuntu.
const proj = fakeProject({
  yes: command({ name: 'yes', run: ['true'] }),
  no: command({ name: 'no', run: ['false'] }),
  dont_care: command({ name: 'dont_care', run: ['true'] }),
  _hidden: command({ name: '_hidden', run: ['true'] }),
}, ['ubuntu']);

async function compgen(args: string[], project: Project | null = proj) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(['_compgen', ...args], {
    cwd: '/p', env: {}, out: (t) => { stdout += t; }, err: (t) => { stderr += t; },
    loadProject: async () => { if (!project) throw new Error('no project'); return project; },
    ownerCheck: () => undefined,
  });
  return { status, words: stdout.split('\n').filter(Boolean).join(' '), stdout, stderr };
}

const GLOBAL = '-E --env --environ -e --use-env --ignore-owner-check --no-build --no-version-check';

test('_compgen: commands and global options (completion.bats "user")', async () => {
  for (const [args, expected] of [
    [[], `dont_care no yes ${GLOBAL}`],
    [['--'], `dont_care no yes ${GLOBAL}`],
    [['--', '-'], GLOBAL],
    [['--', '--'], '--env --environ --use-env --ignore-owner-check --no-build --no-version-check'],
    [['--', 'd'], 'dont_care'],
    [['-E', 'test=123', '--'], `dont_care no yes ${GLOBAL}`],
    [['-E', 'test=123', '--', 'd'], 'dont_care'],
    [['--', 'does'], ''],
    [['--', '--e'], '--env --environ'],
  ] as const) {
    const r = await compgen([...args]);
    assert.equal(r.status, 0);
    assert.equal(r.words, expected, args.join(' '));
  }
});

test('_compgen: built-ins and their arguments (completion.bats "builtin", with our built-ins)', async () => {
  const r = await compgen(['--', '_']);
  assert.ok(r.words.split(' ').includes('_build') && r.words.split(' ').includes('_clean'));
  assert.ok(!r.words.split(' ').includes('_compgen'));
  assert.deepEqual(r.words.split(' '), [...r.words.split(' ')].sort());
  assert.equal((await compgen(['--', '_r'])).words, '_relative_work_dir _run');
  assert.equal((await compgen(['--', '_ran'])).words, '');
  // Vagga's `_build` has --force only; --no-cache and --explain are the build cache's (issue 9).
  assert.equal((await compgen(['_build', '--'])).words, 'ubuntu --force --no-cache --explain');
  assert.equal((await compgen(['_build', '--', '-'])).words, '--force --no-cache --explain');
  assert.equal((await compgen(['_build', '--force', '--'])).words, 'ubuntu --force --no-cache --explain');
  assert.equal((await compgen(['_build', 'ubuntu', '--'])).words, '');
  assert.equal((await compgen(['_run', '--'])).words, 'ubuntu -W --writeable');
  assert.equal((await compgen(['_run', '--', 'u'])).words, 'ubuntu');
  assert.equal((await compgen(['--use-env', 'HOME', '_run', '--writeable', '--', 'u'])).words, 'ubuntu');
  assert.equal((await compgen(['_run', '--', 'ud'])).words, '');
  assert.equal((await compgen(['_clean', '--', '--at'])).words, '--at-least');
  assert.equal((await compgen(['yes', '--'])).words, '');
});

test('_compgen outside a project offers options and built-ins, prints no error', async () => {
  const r = await compgen(['--'], null);
  assert.equal(r.status, 0);
  assert.equal(r.words, GLOBAL);
  assert.equal(r.stderr, '');
  assert.match((await compgen(['--', '_b'], null)).words, /^_base_dir _build$/);
});

test('supervise commands complete --only/--exclude once, then child names', () => {
  const sup = { kind: 'Supervise', children: { web: command({ name: 'web', run: ['x'] }), db: command({ name: 'db', run: ['x'] }) } } as unknown as SuperviseConfig;
  const cfg = { ...proj.config, commands: { ...proj.config.commands, run: sup } };
  assert.deepEqual(completionCandidates(['run'], '', cfg, []), ['--only', '--exclude']);
  assert.deepEqual(completionCandidates(['run', '--only'], '', cfg, []), ['web', 'db']);
  assert.deepEqual(completionCandidates(['run', '--only', 'web'], '--', cfg, []), ['--exclude']);
});

test('_completion prints the bash and zsh scripts calling _compgen; other shells are refused (1)', async () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const status = await runCli(['_completion', ...args], { cwd: '/p', env: {}, out: (t) => { out += t; }, err: (t) => { err += t; }, loadProject: async () => proj });
    return { status, out, err };
  };
  assert.equal((await run(['bash'])).out, BASH_COMPLETION);
  assert.match(BASH_COMPLETION, /complete .*-F _vagga_complete vagga/);
  assert.equal((await run(['zsh'])).out, ZSH_COMPLETION);
  assert.match(ZSH_COMPLETION, /^#compdef vagga/);
  assert.equal((await run(['fish'])).status, 1);
  assert.equal((await run([])).status, 1);
});
