/**
 * `!SubConfig {source: !Git {...}}` (src/steps/git/subconfig-checkout.ts): urls refused
 * before git runs, a repository of the project read in place, a file:// repository in the
 * project mirrored with the resolved commit recorded, the commit in the version, and the
 * build reading the cached checkout. Real git, no network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Config, StepConfig } from '../../../src/config/model.js';
import { VaggaError } from '../../../src/errors/vagga-error.js';
import { classifyGitUrl, knownCommit } from '../../../src/steps/git/subconfig-checkout.js';
import { STEP_DEFS, stepDef } from '../../../src/steps/registry.js';
import { containerVersion } from '../../../src/version/container-version.js';
import { VersionUnknownError } from '../../../src/version/errors.js';
import { container } from '../version/helpers.js';
import { fakeContext, prepareContext } from './fake-context.js';

const pos = { file: 'vagga.yaml', line: 1, col: 1 };

/** `!SubConfig {source: !Git {url, ...}, path, container: inner}`. */
function fromGit(url: string, extra: { revision?: string; branch?: string } = {}, p = 'sub/vagga.yaml'): StepConfig {
  return { tag: 'SubConfig', params: { source: { kind: 'Git', url, ...extra }, path: p, container: 'inner' }, pos };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd, encoding: 'utf8' }).trim();

/** A repository at `dir` whose sub/vagga.yaml defines container `inner` writing `text`. Returns the commit. */
function commitConfig(dir: string, text: string): string {
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'sub/vagga.yaml'), `containers:\n  inner:\n    setup:\n    - !Text { /etc/from-git.txt: "${text}" }\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', text);
  return git(dir, 'rev-parse', 'HEAD');
}

const config = (projectRoot: string, s: StepConfig): Config => ({
  projectRoot, mainFile: path.join(projectRoot, 'vagga.yaml'), files: [], containers: { x: container('x', [s]) }, commands: {}, warnings: [],
});

test('git urls: transports, schemes and local paths outside the project are refused before git runs', () => {
  const places = { projectRoot: '/home/u/proj', cacheDir: '/tmp/cache' };
  const code = (url: string) => {
    try {
      classifyGitUrl(url, places);
      return 'ok';
    } catch (e) {
      return (e as VaggaError).code;
    }
  };
  assert.equal(code('ext::sh -c touch% /tmp/pwned'), 'build.git-url-refused');
  assert.equal(code('fd::3'), 'build.git-url-refused');
  assert.equal(code('ftp://example.org/r.git'), 'build.git-url-refused');
  assert.equal(code('-uhelp'), 'build.git-url-refused');
  assert.equal(code('file:///etc'), 'config.path-outside-project');
  assert.equal(code('/home/u/other/repo.git'), 'config.path-outside-project');
  assert.equal(code('../other'), 'config.path-outside-project');
  assert.equal(classifyGitUrl('https://example.org/r.git', places).kind, 'remote');
  assert.equal(classifyGitUrl('git@example.org:r.git', places).kind, 'remote');
  assert.equal(classifyGitUrl('/work/sub', places).kind, 'project');
  assert.equal(classifyGitUrl('/home/u/proj/r.git', places).kind, 'local');
});

test('!SubConfig from a git repository of the project: unknown until checked out, the commit in the version, built from the checkout', async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(ctx.projectRoot, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    const first = commitConfig(repo, 'one');
    const step = fromGit('repo');
    const cfg = config(ctx.projectRoot, step);
    const opts = { cacheDir: ctx.cacheDir };
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x'), VersionUnknownError, 'no cache known');
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x', opts), VersionUnknownError, 'not checked out yet');
    await stepDef('SubConfig')!.prepare!(step.params, prepareContext(ctx));
    assert.ok(fs.existsSync(path.join(ctx.cacheDir, 'git-subconfig/checkouts', first, 'sub/vagga.yaml')));
    const v1 = containerVersion(STEP_DEFS, cfg, 'x', opts).hash;
    assert.ok(containerVersion(STEP_DEFS, cfg, 'x', { ...opts, trace: true }).trace!.some((l) => l.includes(first)), 'the commit is hashed');
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    await stepDef('SubConfig')!.build!(step.params, ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/from-git.txt'), 'utf8'), 'one');

    // A new commit: unknown until prepared again, then another version.
    const second = commitConfig(repo, 'two');
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x', opts), VersionUnknownError);
    await stepDef('SubConfig')!.prepare!(step.params, prepareContext(ctx));
    assert.notEqual(containerVersion(STEP_DEFS, cfg, 'x', opts).hash, v1);
    // A pinned revision stays on its commit.
    const pinned = config(ctx.projectRoot, fromGit('repo', { revision: first }));
    assert.equal(containerVersion(STEP_DEFS, pinned, 'x', opts).hash, v1);
    assert.equal(knownCommit({ url: '/work/repo', branch: 'main' }, { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir }), second);
    await assert.rejects(stepDef('SubConfig')!.prepare!(fromGit('repo', { revision: 'nope' }).params, prepareContext(ctx)), /Revision "nope" is not found/);
    await assert.rejects(stepDef('SubConfig')!.prepare!(fromGit('repo', {}, '../x').params, prepareContext(ctx)), /may not contain "\.\."/);
  } finally { ctx.cleanup(); }
});

test('a hostile project repository: its filter drivers never run on the host', async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(ctx.projectRoot, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    const marker = path.join(ctx.projectRoot, 'smudged');
    git(repo, 'config', 'filter.evil.smudge', `touch ${marker}; cat`);
    fs.writeFileSync(path.join(repo, '.gitattributes'), '* filter=evil\n');
    commitConfig(repo, 'one');
    assert.ok(!fs.existsSync(marker));
    const step = fromGit('repo');
    await stepDef('SubConfig')!.prepare!(step.params, prepareContext(ctx));
    assert.ok(!fs.existsSync(marker), 'the smudge command of the project repository ran');
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    await stepDef('SubConfig')!.build!(step.params, ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/from-git.txt'), 'utf8'), 'one');
  } finally { ctx.cleanup(); }
});

test('!SubConfig from a file:// repository in the project: mirrored, the resolved commit recorded; outside the project refused', async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(ctx.projectRoot, 'remote.git');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    const first = commitConfig(repo, 'one');
    const step = fromGit(`file://${repo}`, { branch: 'main' });
    const cfg = config(ctx.projectRoot, step);
    const opts = { cacheDir: ctx.cacheDir };
    assert.throws(() => containerVersion(STEP_DEFS, cfg, 'x', opts), VersionUnknownError);
    await stepDef('SubConfig')!.prepare!(step.params, prepareContext(ctx));
    const v1 = containerVersion(STEP_DEFS, cfg, 'x', opts).hash;
    // The branch moves: the recorded commit keeps the version (and the build) where it was.
    commitConfig(repo, 'two');
    await stepDef('SubConfig')!.prepare!(step.params, prepareContext(ctx));
    assert.equal(containerVersion(STEP_DEFS, cfg, 'x', opts).hash, v1);
    assert.equal(knownCommit((step.params as { source: { url: string } }).source, { projectRoot: ctx.projectRoot, cacheDir: ctx.cacheDir }), first);
    fs.mkdirSync(path.join(ctx.root, 'etc'));
    await stepDef('SubConfig')!.build!(step.params, ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/from-git.txt'), 'utf8'), 'one');

    // Outside the project: refused with a clear error, nothing cloned.
    const outside = fromGit('file:///etc', {});
    await assert.rejects(stepDef('SubConfig')!.prepare!(outside.params, prepareContext(ctx)),
      (e: unknown) => e instanceof VaggaError && e.code === 'config.path-outside-project' && /outside the project/.test(e.message));
    assert.throws(() => containerVersion(STEP_DEFS, config(ctx.projectRoot, outside), 'x', opts), /outside the project/);
    assert.deepEqual(fs.readdirSync(path.join(ctx.cacheDir, 'git')).filter((e) => e.includes('etc')), []);
  } finally { ctx.cleanup(); }
});
