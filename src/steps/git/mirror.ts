/**
 * The git cache of `!Git`/`!GitInstall` (vagga-inventory.md §1.4: "clone via bare mirror
 * cache `cache/git/<url-escaped>`"): on the host, in the steps' `prepare`, a bare mirror of
 * the repository is cloned once (`git clone --mirror`) and refreshed on later builds
 * (`git remote update --prune`; a failed refresh only warns when the mirror exists, so
 * offline rebuilds of pinned revisions work). In the builder, a revision is exported from
 * the mirror with `git archive` piped into GNU tar: the checkout has no `.git` directory
 * and the mirror is never written by builds. Host `git` is required (Debian package git).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { resolveProjectPath } from '../../config/project-path.js';
import { MissingToolError, VaggaError } from '../../errors/vagga-error.js';
import { acquireLock } from '../../storage/lock.js';
import type { BuildLog } from '../step.js';
import { spawnHost } from '../../sandbox/host-spawn.js';

/**
 * True for a `url` naming a repository inside the project (`./repo`, `sub/repo`): such
 * repositories are read in place (the builder sees the project at /work) and not mirrored.
 * URLs (`scheme://`, scp-like `user@host:path`) and absolute paths are not local.
 */
export function isProjectRepo(url: string): boolean {
  return !(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/:]+:/.test(url) || isAbsolute(url));
}

/** Git's `--git-dir`/`-C` arguments for a repository in the project or the mirror of `url`. */
export function repoArgs(url: string, ctx: { projectRoot: string; cacheDir: string }): string[] {
  return isProjectRepo(url) ? ['-C', resolveProjectPath(ctx.projectRoot, url, { key: 'url' })] : ['--git-dir', mirrorPath(ctx.cacheDir, url)];
}

/** `url` escaped into one file name: bytes outside `[A-Za-z0-9._-]` become `%XX` (pure). */
export function escapeGitUrl(url: string): string {
  let out = '';
  for (const byte of Buffer.from(url, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out;
}

/** `<cacheDir>/git/<escaped url>`: the bare mirror of `url`. */
export function mirrorPath(cacheDir: string, url: string): string {
  return join(cacheDir, 'git', escapeGitUrl(url));
}

/** Result of running git. */
interface GitResult { status: number | null; stdout: string; stderr: string }

/**
 * Transports git may use (GIT_ALLOW_PROTOCOL): never `ext::` (it runs a program) or `fd::`;
 * `file` (local paths, file:// URLs) only when the caller has checked the path is allowed.
 */
const ALLOWED_PROTOCOLS = 'http:https:git:ssh';

/**
 * Run `git -c safe.directory=* ...args`; rejects with MissingToolError when git is absent.
 * `allowFile`: the url is a local repository the caller has checked (project or external volume).
 */
export function runGit(args: string[], options: { cwd?: string; signal?: AbortSignal; allowFile?: boolean } = {}): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnHost('git', ['-c', 'safe.directory=*', ...args], {
      cwd: options.cwd, signal: options.signal, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: options.allowFile ? `${ALLOWED_PROTOCOLS}:file` : ALLOWED_PROTOCOLS },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new MissingToolError('git', 'git', 'it fetches the repositories of !Git steps') : err);
    });
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function gitFailed(what: string, r: GitResult, hint: string): VaggaError {
  const detail = r.stderr.trim().split('\n').slice(-3).join('\n');
  return new VaggaError(`${what} failed (git exit code ${r.status})${detail ? `:\n${detail}` : ''}`, { code: 'build.git-failed', hint });
}

/**
 * Make sure the mirror of `url` (not a project repository) exists and is fresh; returns
 * its path. Serialised per mirror with a lock file beside it. Throws VaggaError (121) when
 * the first clone fails, MissingToolError without git. `allowFile`: `url` is a local path
 * or file:// URL the caller has checked (else git refuses the file transport); it is cloned
 * with `--no-local`, through git's transport, so nothing of the source's `.git` but its
 * objects and refs is copied (no config, no symlinks under objects/ followed).
 */
export async function ensureMirror(cacheDir: string, url: string, log: BuildLog, signal?: AbortSignal, allowFile = false): Promise<string> {
  const dir = mirrorPath(cacheDir, url);
  await mkdir(join(cacheDir, 'git'), { recursive: true });
  const lock = await acquireLock(`${dir}.lock`, { signal, onWait: () => log.info(`Another process is fetching ${url}. Waiting...`) });
  try {
    if (existsSync(dir)) {
      log.info(`Fetching ${url}`);
      const r = await runGit(['--git-dir', dir, 'remote', 'update', '--prune'], { signal, allowFile });
      if (r.status !== 0) log.warn(`Can't update the git cache of ${url}, using the cached copy: ${r.stderr.trim().split('\n').pop() ?? ''}`);
      return dir;
    }
    const part = `${dir}.part.${process.pid}`;
    await rm(part, { recursive: true, force: true });
    log.info(`Cloning ${url}`);
    const r = await runGit(['clone', '--mirror', '--quiet', ...(allowFile ? ['--no-local'] : []), '--', url, part], { signal, allowFile });
    if (r.status !== 0) {
      await rm(part, { recursive: true, force: true });
      throw gitFailed(`Cloning ${url}`, r, 'Check the `url` of the step (and your network connection).');
    }
    await rename(part, dir);
    return dir;
  } finally {
    await lock.release();
  }
}

/** The revision to check out: `revision`, else `branch`, else the remote's HEAD. */
export function wantedRevision(p: { revision?: string; branch?: string }): string {
  return p.revision ?? p.branch ?? 'HEAD';
}

/**
 * Export `rev` of a repository into `dest` (created 0755 when missing); `repo` are git's
 * arguments selecting it (see repoArgs):
 * `git archive --format=tar <rev>` piped into `tar -x --no-same-owner`. Throws VaggaError
 * (121) when the revision is unknown or either program fails.
 */
export async function exportRevision(repo: string[], rev: string, dest: string, url: string): Promise<void> {
  const check = await runGit([...repo, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (check.status !== 0) {
    throw new VaggaError(`Revision ${JSON.stringify(rev)} is not found in ${url}`, {
      code: 'build.git-revision-not-found', hint: 'Check `revision`/`branch` of the step; a new commit must be pushed before building.',
    });
  }
  await mkdir(dest, { recursive: true, mode: 0o755 });
  await new Promise<void>((resolvePromise, reject) => {
    const git = spawnHost('git', ['-c', 'safe.directory=*', ...repo, 'archive', '--format=tar', check.stdout.trim()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawnHost('tar', ['-x', '-f', '-', '-C', dest, '--no-same-owner'], { stdio: ['pipe', 'inherit', 'pipe'] });
    let errText = '';
    git.stderr!.setEncoding('utf8').on('data', (d: string) => { errText += d; });
    tar.stderr!.setEncoding('utf8').on('data', (d: string) => { errText += d; });
    git.stdout!.pipe(tar.stdin!);
    tar.stdin!.on('error', () => {});
    let pending = 2;
    let failed: string | undefined;
    const done = (who: string) => (code: number | null) => {
      if (code !== 0 && !failed) failed = `${who} exited with ${code}`;
      if (--pending === 0) {
        if (failed) reject(new VaggaError(`Checking out ${rev} of ${url} failed (${failed})${errText.trim() ? `:\n${errText.trim()}` : ''}`, { code: 'build.git-failed' }));
        else resolvePromise();
      }
    };
    git.on('error', reject);
    tar.on('error', reject);
    git.on('close', done('git archive'));
    tar.on('close', done('tar'));
  });
}
