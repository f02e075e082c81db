/**
 * Git steps (vagga-inventory.md §1.4 "Generic execution"), using the host's `git`:
 *  - `!Git {url, revision, branch, path}`: check out a revision (default: the remote HEAD)
 *    into `path` of the container, without a `.git` directory;
 *  - `!GitInstall {url, revision, branch, subdir: ".", script}`: check it out into a temp
 *    dir under /tmp of the container, run `/bin/sh -exc <script>` in `subdir` (default
 *    script: configure/make/make install), remove the temp dir after success;
 *  - `!GitDescribe {repo: /work, pattern, output-file}` (scalar = output-file): run
 *    `git describe` on a repository of the project (host side for the hash, again in the
 *    builder) and write the result, without a newline, to `output-file`.
 * Remote repositories go through the bare mirror cache of src/steps/git/mirror.ts (cloned
 * or refreshed in `prepare` on the host); a relative `url`, or one under `/work/`, names a
 * repository inside the project, read in place.
 * Hashes are Vagga's: Git `url`, opt `revision`, opt `branch`, `path`; GitInstall `url`,
 * opt `revision`, opt `branch`, `subdir`, `script`; GitDescribe `repo`, opt `output_file`,
 * `describe` (the output; so a new commit or tag changes the version).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { def, opt, str, struct, type Out } from '../config/schema.js';
import { archiveSubdir, containerPath } from '../config/container-path.js';
import { resolveProjectPath } from '../config/project-path.js';
import { VaggaError } from '../errors/vagga-error.js';
import type { Digest } from '../version/digest.js';
import { versionError } from '../version/errors.js';
import { rustJoin } from '../version/paths.js';
import { ensureMirror, exportRevision, isProjectRepo, repoArgs, wantedRevision } from './git/mirror.js';
import { inContainerRoot, refuseLinksOut, resolveBuildPath, workToProject } from './root-path.js';
import type { PrepareContext, StepDef } from './step.js';
import { DEFAULT_INSTALL_SCRIPT } from './tar-install.js';
import { spawnHostSync } from '../sandbox/host-spawn.js';

/**
 * The `url` git reads: `/work` and `/work/...` name the project directory (it is mounted at
 * /work during the build, so Vagga's builder clones them as local paths), returned as paths
 * relative to the project (`.`, `./sub/repo`) so that they are read in place, not mirrored
 * as host paths; any other url is returned unchanged.
 */
export function effectiveRepoUrl(url: string): string {
  if (url === '/work' || url === '/work/') return '.';
  if (url.startsWith('/work/')) return `./${url.slice('/work/'.length)}`;
  return url;
}

/** The error for a project repository that is not there. */
function repoMissing(tag: string, givenUrl: string): VaggaError {
  return new VaggaError(`!${tag}: repository ${JSON.stringify(givenUrl)} does not exist in the project`, {
    code: 'build.source-missing', hint: 'A `url` that is not a URL or an absolute path is relative to the project directory.',
  });
}

/**
 * Host side of !Git/!GitInstall: refresh the mirror, or check a project repository (it must
 * resolve inside the project; when it does not exist yet and earlier steps of the build may
 * make it, the check waits for the build: buildRepoArgs, as for local archives).
 */
async function prepareRepo(tag: string, givenUrl: string, ctx: PrepareContext): Promise<void> {
  const url = effectiveRepoUrl(givenUrl);
  if (isProjectRepo(url)) {
    if (!existsSync(resolveProjectPath(ctx.projectRoot, url, { key: 'url' })) && (ctx.precedingSteps?.length ?? 0) === 0) {
      throw repoMissing(tag, givenUrl);
    }
    return;
  }
  // A host path (absolute, or a file:// URL) is a host path the config names: it must be in
  // the project or an `external-volumes` dir, or the mirror would copy any repository of
  // the user into the build.
  const local = isAbsolute(url) ? url : /^file:\/\//i.test(url) ? decodeURIComponent(new URL(url).pathname) : undefined;
  if (local !== undefined) resolveProjectPath(ctx.projectRoot, local, { key: 'url' }, Object.values(ctx.settings.externalVolumes));
  await ensureMirror(ctx.cacheDir, url, ctx.log, ctx.signal, local !== undefined);
}

/** Builder side: git's repository arguments (repoArgs), a project repository resolved and checked now. */
function buildRepoArgs(tag: string, givenUrl: string, ctx: { projectRoot: string; cacheDir: string }): string[] {
  const url = effectiveRepoUrl(givenUrl);
  if (isProjectRepo(url) && !existsSync(resolveProjectPath(ctx.projectRoot, url, { key: 'url' }))) throw repoMissing(tag, givenUrl);
  return repoArgs(url, ctx);
}

/** Schema fields naming a repository and what to check out, shared by `!Git` and `!GitInstall`. */
const REPO_REF_FIELDS = { url: str(), revision: opt(str()), branch: opt(str()) };

const gitSchema = struct({ ...REPO_REF_FIELDS, path: containerPath() });

/** Validated `!Git` parameters. */
export type GitParams = Out<typeof gitSchema>;

const gitInstallSchema = struct({
  ...REPO_REF_FIELDS,
  subdir: def(archiveSubdir(), '.'),
  script: def(str(), DEFAULT_INSTALL_SCRIPT),
});

/** Validated `!GitInstall` parameters. */
export type GitInstallParams = Out<typeof gitInstallSchema>;

const gitDescribeSchema = struct({
  repo: def(str(), '/work'),
  pattern: opt(str()),
  'output-file': opt(containerPath()),
}, { shorthand: 'output-file' });

/** `!GitDescribe` parameters (`repo` relative to /work unless absolute). */
export type GitDescribeParams = Out<typeof gitDescribeSchema>;

/** Hash `url`, `revision`, `branch` (in that order, as Vagga's `!Git`/`!GitInstall` do). */
function hashRepoRef(p: { url: string; revision?: string; branch?: string }, d: Digest): void {
  d.field('url', p.url);
  d.optField('revision', p.revision);
  d.optField('branch', p.branch);
}

const git: StepDef<GitParams> = {
  tag: 'Git',
  schema: gitSchema,
  hash(p, d) {
    hashRepoRef(p, d);
    d.field('path', p.path);
  },
  async prepare(p, ctx) {
    await prepareRepo('Git', p.url, ctx);
  },
  async build(p, ctx) {
    const dest = inContainerRoot(ctx.root, p.path);
    refuseLinksOut(ctx.root, dest, [ctx.cacheDir]);
    await exportRevision(buildRepoArgs('Git', p.url, ctx), wantedRevision(p), dest, p.url);
  },
};

const gitInstall: StepDef<GitInstallParams> = {
  tag: 'GitInstall',
  schema: gitInstallSchema,
  hash(p, d) {
    hashRepoRef(p, d);
    d.field('subdir', p.subdir);
    d.field('script', p.script);
  },
  async prepare(p, ctx) {
    await prepareRepo('GitInstall', p.url, ctx);
  },
  async build(p, ctx) {
    const tmpRoot = inContainerRoot(ctx.root, '/tmp');
    await mkdir(tmpRoot, { recursive: true });
    const hostDir = await mkdtemp(join(tmpRoot, 'git-install-'));
    await exportRevision(buildRepoArgs('GitInstall', p.url, ctx), wantedRevision(p), hostDir, p.url);
    const cwd = posix.join('/tmp', posix.basename(hostDir), p.subdir);
    if (!existsSync(join(hostDir, p.subdir))) {
      throw new VaggaError(`!GitInstall: ${JSON.stringify(p.subdir)} is not found in ${p.url}`, {
        code: 'build.subdir-not-found', hint: 'Check `subdir` of the step against the repository contents.',
      });
    }
    await ctx.run(['/bin/sh', '-exc', p.script], { cwd });
    await rm(hostDir, { recursive: true, force: true });
  },
};

/**
 * `git describe` of the repository containing `hostDir` (annotated tags, 7-hex abbreviation,
 * optional `--match` glob), like libgit2's default describe Vagga uses. Throws a versioning
 * error with git's message on failure.
 */
export function gitDescribe(hostDir: string, pattern: string | undefined): string {
  const args = ['-c', 'safe.directory=*', '-C', hostDir, 'describe', '--abbrev=7'];
  if (pattern !== undefined) args.push('--match', pattern);
  const r = spawnHostSync('git', args, { encoding: 'utf8' });
  if (r.error) throw versionError('!GitDescribe', `can't run git: ${r.error.message}`);
  if (r.status !== 0) throw versionError('!GitDescribe', (r.stderr || `git describe exited with ${r.status}`).trim());
  return r.stdout.trim();
}

const gitDescribeStep: StepDef<GitDescribeParams> = {
  tag: 'GitDescribe',
  schema: gitDescribeSchema,
  hash(p, d, ctx) {
    const repoPath = rustJoin('/work', p.repo);
    d.field('repo', p.repo);
    d.optField('output_file', p.outputFile);
    const host = workToProject('!GitDescribe', repoPath, ctx.projectRoot, 'repo');
    if (host === undefined) throw versionError('!GitDescribe', `path ${JSON.stringify(repoPath)} is not inside /work`);
    d.field('describe', gitDescribe(host, p.pattern));
  },
  async build(p, ctx) {
    if (p.outputFile === undefined) return;
    const describe = gitDescribe(resolveBuildPath(rustJoin('/work', p.repo), ctx, 'repo'), p.pattern);
    const dest = inContainerRoot(ctx.root, p.outputFile);
    await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
    await writeFile(dest, describe, { mode: 0o644 });
  },
};

/** The `!Git`, `!GitInstall` and `!GitDescribe` steps. */
export const steps: StepDef<any>[] = [git, gitInstall, gitDescribeStep];
