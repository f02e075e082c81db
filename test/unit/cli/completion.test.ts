import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/cli.js';
import type { Project } from '../../../src/config/project.js';
import type { CommandConfig, SuperviseConfig } from '../../../src/config/model.js';
import { completionCandidates } from '../../../src/cli/completion/candidates.js';
import { BASH_COMPLETION, ZSH_COMPLETION } from '../../../src/cli/completion/scripts.js';
import { command, fakeProject } from './fake-project.js';

// The project of Vagga's tests/completion (its vagga.yaml): commands yes, no (!Command) and
// dont_care (!Supervise with children yes and no); containers ubuntu and data (`data-dirs`).
const yes = command({ name: 'yes', run: ['true'] });
const no = command({ name: 'no', run: ['false'] });
const dontCare = { ...command({ name: 'dont_care', run: ['true'] }), kind: 'Supervise', children: { yes, no } } as unknown as SuperviseConfig;
const base = fakeProject({ yes, no, dont_care: dontCare as unknown as CommandConfig }, ['ubuntu', 'data']);
const proj: Project = {
  ...base,
  config: { ...base.config, containers: { ...base.config.containers, data: { ...base.config.containers.data!, dataDirs: ['/var/lib'] } } },
};

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

async function check(cases: ReadonlyArray<readonly [readonly string[], string]>): Promise<void> {
  for (const [args, expected] of cases) {
    const r = await compgen([...args]);
    assert.equal(r.status, 0);
    assert.equal(r.words, expected, `vagga _compgen ${args.join(' ')}`);
  }
}

const GLOBAL = '-V --version -E --env --environ -e --use-env --ignore-owner-check --no-image-download --no-build --no-version-check --no-net --no-network --isolate-network';
const SUPERVISE = '--only --exclude --no-image-download --no-build --no-version-check';

test('_compgen: Vagga completion.bats "global"', async () => {
  await check([
    [[], 'dont_care no yes'],
    [['--'], 'dont_care no yes'],
    [['--', '-'], GLOBAL],
    [['--', '--'], '--version --env --environ --use-env --ignore-owner-check --no-image-download --no-build --no-version-check --no-net --no-network --isolate-network'],
    [['--', 'y'], 'yes'],
    [['yes', '--'], ''],
    [['--', 'd'], 'dont_care'],
    [['--unknown-option', '--'], 'dont_care no yes'],
    [['-E', 'test=123', '--'], 'dont_care no yes'],
    [['--no-build', '--', '-'], GLOBAL.replace(' --no-build', '')],
    [['-E', 'test=123', '--', '-'], GLOBAL],
    [['-E', 'test=123', '--', 'd'], 'dont_care'],
    [['--', 'does'], ''],
    [['--', '--e'], '--env --environ'],
  ]);
});

test('_compgen: Vagga completion.bats "supervise"', async () => {
  await check([
    [['dont_care', '--'], SUPERVISE],
    [['--no-version-check', '-E', 'HOME=/work', 'dont_care', '--'], SUPERVISE],
    [['dont_care', '--', '--o'], '--only'],
    [['dont_care', '--no-build', '--'], '--only --exclude --no-image-download --no-version-check'],
    [['dont_care', '--only', '--'], 'no yes'],
    [['dont_care', '--no-version-check', '--only', '--'], 'no yes'],
    [['dont_care', '--only', 'yes', '--'], 'no'],
    [['dont_care', '--only', 'yes', '--', '-'], '--exclude --no-image-download --no-build --no-version-check'],
    [['dont_care', '--only', 'yes', '--no-version-check', '--', '-'], '--exclude --no-image-download --no-build'],
  ]);
});

test('_compgen: Vagga completion.bats "builtin" (exactly Vagga\'s built-ins, in its order)', async () => {
  await check([
    [['--', '_'], '_build _build_shell _clean _create_netns _destroy_netns _init_storage_dir _list _pack_image _push_image _run _run_in_netns _version_hash _check_overlayfs_support _base_dir _relative_work_dir _update_symlinks'],
    [['--', '_r'], '_run _run_in_netns _relative_work_dir'],
    [['--', '_ran'], ''],
    [['_build', '--'], 'data ubuntu'],
    [['_build', '--', '-'], '--force'],
    [['_build', '--', '--'], '--force'],
    [['_build', '--force', '--'], 'data ubuntu'],
    [['_run', '--'], 'ubuntu'],
    [['_run', '--', '-'], '-W --writable --no-image-download --no-build --no-version-check'],
    [['_run', '--', '--'], '--writable --no-image-download --no-build --no-version-check'],
    [['_run', '--', 'u'], 'ubuntu'],
    [['_run', '-W', '--'], 'ubuntu'],
    [['--use-env', 'HOME', '_run', '--writable', '--', 'u'], 'ubuntu'],
    [['_run', '--', 'ud'], ''],
    [['_run', 'unknown_container', '--'], ''],
  ]);
});

test('_compgen: tags after --only/--exclude, built-ins of this version Vagga does not have', async () => {
  const web = command({ name: 'web', run: ['x'], tags: ['front'] });
  const db = command({ name: 'db', run: ['x'], tags: ['back', 'front'] });
  const sup = { ...command({ name: 'run', run: ['x'] }), kind: 'Supervise', children: { web, db } } as unknown as CommandConfig;
  const cfg = { ...proj.config, commands: { run: sup, _hidden: command({ name: '_hidden', run: ['x'] }) } };
  assert.deepEqual(completionCandidates(['run', '--exclude'], '', cfg, []), ['db', 'back', 'front', 'web', 'front']);
  assert.deepEqual(completionCandidates(['run', '--exclude', 'front'], '', cfg, []), ['db', 'back', 'web']);
  // Vagga offers every user command, `_`-prefixed ones included.
  assert.deepEqual(completionCandidates([], '_h', cfg, []), ['_hidden']);
  // Our extra built-ins are not offered at `_`, but complete their arguments once typed.
  assert.equal((await compgen(['--', '_v'])).words, '_version_hash');
  assert.equal((await compgen(['_verify', '--'])).words, 'data ubuntu');
  assert.equal((await compgen(['_completion', '--'])).words, 'bash zsh');
  assert.equal((await compgen(['_completion', '--', '-'])).words, '--install');
});

test('_compgen outside a project offers options and built-ins, prints no error', async () => {
  const r = await compgen(['--', '-'], null);
  assert.equal(r.status, 0);
  assert.equal(r.words, GLOBAL);
  assert.equal(r.stderr, '');
  assert.equal((await compgen(['--'], null)).words, '');
  assert.match((await compgen(['--', '_b'], null)).words, /^_build _build_shell _base_dir$/);
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
