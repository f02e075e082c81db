/**
 * `!Git`, `!GitInstall`, `!GitDescribe` and the mirror cache against LOCAL repositories made
 * in the test with the host's git (no network). Skipped when git is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ensureMirror, escapeGitUrl, isProjectRepo, mirrorPath, repoArgs } from '../../../src/steps/git/mirror.js';
import { buildStep, fakeContext, prepareContext } from './fake-context.js';
import { stepDef } from '../../../src/steps/registry.js';
import { step } from '../version/helpers.js';
import { tempDir } from '../temp-dir.js';

const hasGit = spawnSync('git', ['--version']).status === 0;
const skip = hasGit ? false : 'git is not installed (Debian package git)';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', '-C', dir, ...args], { encoding: 'utf8' }).trim();
}

/** A repo with two commits on main (tag v1 on the first) and a branch `side`. */
function makeRepo(dir: string): { first: string; second: string } {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  fs.writeFileSync(path.join(dir, 'file.txt'), 'one\n');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/build.sh'), '#!/bin/sh\necho built\n', { mode: 0o755 });
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'one');
  git(dir, 'tag', '-a', 'v1', '-m', 'v1');
  const first = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', '-q', '-b', 'side');
  fs.writeFileSync(path.join(dir, 'file.txt'), 'side\n');
  git(dir, 'commit', '-q', '-am', 'side');
  git(dir, 'checkout', '-q', 'main');
  fs.writeFileSync(path.join(dir, 'file.txt'), 'two\n');
  git(dir, 'commit', '-q', '-am', 'two');
  return { first, second: git(dir, 'rev-parse', 'HEAD') };
}

test('git URL helpers', () => {
  assert.equal(escapeGitUrl('https://h.example/a b.git'), 'https%3A%2F%2Fh.example%2Fa%20b.git');
  assert.equal(escapeGitUrl('.hidden'), '%2Ehidden');
  assert.ok(isProjectRepo('./repo'));
  assert.ok(isProjectRepo('sub/repo'));
  assert.ok(!isProjectRepo('/abs/repo'));
  assert.ok(!isProjectRepo('git@host.example:x.git'));
  assert.ok(!isProjectRepo('file:///x'));
  assert.deepEqual(repoArgs('./r', { projectRoot: '/p', cacheDir: '/c' }), ['-C', '/p/r']);
  assert.deepEqual(repoArgs('/abs/r', { projectRoot: '/p', cacheDir: '/c' }), ['--git-dir', '/c/git/%2Fabs%2Fr']);
});

test('!Git checks out HEAD, a revision or a branch through the mirror cache, without .git', { skip }, async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(tempDir('vgit-'), 'upstream');
    const { first } = makeRepo(repo);
    // A host repository outside the project is refused unless it is in an external volume.
    await assert.rejects(buildStep(ctx, 'Git', { url: repo, path: '/src/head' }), /url: .* outside the project/);
    await assert.rejects(buildStep(ctx, 'Git', { url: `file://${repo}`, path: '/src/head' }), /outside the project/);
    ctx.settings.externalVolumes = { up: path.dirname(repo) };
    await buildStep(ctx, 'Git', { url: repo, path: '/src/head' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'src/head/file.txt'), 'utf8'), 'two\n');
    assert.equal(fs.statSync(path.join(ctx.root, 'src/head/src/build.sh')).mode & 0o111, 0o111, 'exec bit kept');
    assert.ok(!fs.existsSync(path.join(ctx.root, 'src/head/.git')));
    assert.ok(fs.existsSync(path.join(mirrorPath(ctx.cacheDir, repo), 'HEAD')), 'bare mirror in <cache>/git');

    await buildStep(ctx, 'Git', { url: repo, revision: first.slice(0, 10), path: '/src/rev' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'src/rev/file.txt'), 'utf8'), 'one\n');
    await buildStep(ctx, 'Git', { url: repo, branch: 'side', path: '/src/side' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'src/side/file.txt'), 'utf8'), 'side\n');

    // A new upstream commit reaches the mirror on the next prepare.
    fs.writeFileSync(path.join(repo, 'file.txt'), 'three\n');
    git(repo, 'commit', '-q', '-am', 'three');
    await buildStep(ctx, 'Git', { url: repo, path: '/src/again' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'src/again/file.txt'), 'utf8'), 'three\n');

    await assert.rejects(buildStep(ctx, 'Git', { url: repo, revision: 'nosuchrev', path: '/x' }), /Revision "nosuchrev" is not found in/);
    await assert.rejects(buildStep(ctx, 'Git', { url: path.join(repo, 'missing'), path: '/x' }), /Cloning .* failed/);
  } finally { ctx.cleanup(); }
});

test('the mirror survives an unreachable upstream (warning, cached copy used)', { skip }, async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(tempDir('vgit-'), 'upstream');
    makeRepo(repo);
    const warnings: string[] = [];
    const log = { info() {}, debug() {}, warn: (m: string) => warnings.push(m) };
    const dir = await ensureMirror(ctx.cacheDir, repo, log, undefined, true);
    fs.renameSync(repo, `${repo}.gone`);
    assert.equal(await ensureMirror(ctx.cacheDir, repo, log, undefined, true), dir);
    assert.match(warnings.join('\n'), /Can't update the git cache/);
  } finally { ctx.cleanup(); }
});

test('git runs with GIT_ALLOW_PROTOCOL: file only when the caller checked the path, ext:: never', { skip }, async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(tempDir('vgit-'), 'upstream');
    makeRepo(repo);
    const log = { info() {}, debug() {}, warn() {} };
    await assert.rejects(ensureMirror(ctx.cacheDir, repo, log), /transport 'file' not allowed/);
    const marker = path.join(tempDir('vgit-ext-'), 'ran');
    await assert.rejects(ensureMirror(ctx.cacheDir, `ext::sh -c touch% ${marker}`, log), /transport 'ext' not allowed/);
    assert.ok(!fs.existsSync(marker), 'the ext:: command never ran');
  } finally { ctx.cleanup(); }
});

test('!Git reads a repository inside the project in place', { skip }, async () => {
  const ctx = fakeContext();
  try {
    makeRepo(path.join(ctx.projectRoot, 'vendor/lib'));
    await buildStep(ctx, 'Git', { url: 'vendor/lib', revision: 'v1', path: '/opt/lib' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'opt/lib/file.txt'), 'utf8'), 'one\n');
    assert.ok(!fs.existsSync(path.join(ctx.cacheDir, 'git')), 'no mirror for project repositories');
    await assert.rejects(buildStep(ctx, 'Git', { url: './nope', path: '/x' }), /repository "\.\/nope" does not exist in the project/);
  } finally { ctx.cleanup(); }
});

test('!Git of a project repository an earlier step makes: prepare defers, the build reads it then (issue 14)', { skip }, async () => {
  const ctx = fakeContext();
  try {
    const def = stepDef('Git')!;
    const s = step('Git', { url: './later/lib', revision: 'v1', path: '/opt/lib' });
    const earlier = [step('Sh', 'git clone ... /work/later/lib')];
    await def.prepare!(s.params, { ...prepareContext(ctx), precedingSteps: earlier });
    await assert.rejects(def.build!(s.params, ctx), /!Git: repository "\.\/later\/lib" does not exist in the project/);
    makeRepo(path.join(ctx.projectRoot, 'later/lib'));
    await def.build!(s.params, ctx);
    assert.equal(fs.readFileSync(path.join(ctx.root, 'opt/lib/file.txt'), 'utf8'), 'one\n');
    // Still refused up front when no step comes before it.
    await assert.rejects(def.prepare!(step('Git', { url: './nope', path: '/x' }).params, prepareContext(ctx)), /does not exist in the project/);
  } finally { ctx.cleanup(); }
});

test('!GitInstall runs the script in subdir of a temp checkout under /tmp and removes it', { skip }, async () => {
  const ctx = fakeContext();
  try {
    const repo = path.join(tempDir('vgit-'), 'upstream');
    makeRepo(repo);
    ctx.settings.externalVolumes = { up: path.dirname(repo) };
    const calls: Array<{ argv: string[]; cwd?: string; seen: string }> = [];
    ctx.run = async (argv, options = {}) => {
      const hostCwd = path.join(ctx.root, options.cwd ?? '/work');
      calls.push({ argv, cwd: options.cwd, seen: fs.readFileSync(path.join(hostCwd, 'build.sh'), 'utf8') });
    };
    await buildStep(ctx, 'GitInstall', { url: repo, subdir: 'src', script: './build.sh' });
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.argv, ['/bin/sh', '-exc', './build.sh']);
    assert.match(calls[0]!.cwd!, /^\/tmp\/git-install-[^/]+\/src$/);
    assert.equal(calls[0]!.seen, '#!/bin/sh\necho built\n');
    assert.deepEqual(fs.readdirSync(path.join(ctx.root, 'tmp')), [], 'checkout removed after success');
    await assert.rejects(buildStep(ctx, 'GitInstall', { url: repo, subdir: 'nope' }), /"nope" is not found in/);
  } finally { ctx.cleanup(); }
});

test('!GitDescribe writes the describe output (no newline) to output-file', { skip }, async () => {
  const ctx = fakeContext();
  try {
    makeRepo(ctx.projectRoot);
    await buildStep(ctx, 'GitDescribe', '/version.txt');
    assert.match(fs.readFileSync(path.join(ctx.root, 'version.txt'), 'utf8'), /^v1-1-g[0-9a-f]{7}$/);
    git(ctx.projectRoot, 'tag', '-a', 'ignoreme2', '-m', 'x');
    await buildStep(ctx, 'GitDescribe', { 'output-file': '/etc/v.txt', pattern: 'v*' });
    assert.match(fs.readFileSync(path.join(ctx.root, 'etc/v.txt'), 'utf8'), /^v1-1-g[0-9a-f]{7}$/);
    await buildStep(ctx, 'GitDescribe', { 'output-file': '/etc/all.txt' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'etc/all.txt'), 'utf8'), 'ignoreme2');
  } finally { ctx.cleanup(); }
});

test('!Git url /work/... is the project directory, not a host path', { skip }, async () => {
  const { effectiveRepoUrl } = await import('../../../src/steps/git.js');
  assert.equal(effectiveRepoUrl('/work/repo'), './repo');
  assert.equal(effectiveRepoUrl('/work'), '.');
  assert.equal(effectiveRepoUrl('/workshop/x'), '/workshop/x');
  assert.equal(effectiveRepoUrl('/srv/repo'), '/srv/repo');
  const ctx = fakeContext();
  try {
    makeRepo(path.join(ctx.projectRoot, 'repo'));
    await buildStep(ctx, 'Git', { url: '/work/repo', revision: 'v1', path: '/opt/lib' });
    assert.equal(fs.readFileSync(path.join(ctx.root, 'opt/lib/file.txt'), 'utf8'), 'one\n');
    assert.ok(!fs.existsSync(path.join(ctx.cacheDir, 'git')), 'no mirror for project repositories');
    await assert.rejects(buildStep(ctx, 'Git', { url: '/work/nope', path: '/x' }), /repository "\/work\/nope" does not exist in the project/);
  } finally { ctx.cleanup(); }
});
