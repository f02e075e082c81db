/**
 * The git side of `!SubConfig {source: !Git {url, revision, branch}}` (Vagga accepts the
 * form but never implemented it; this is our design, documented in README.md "SubConfig"):
 *
 *  - `url` is checked first. Transports that run programs or reach file descriptors
 *    (`ext::...`, any `<transport>::<address>`) and URL schemes other than http(s), git and
 *    ssh are refused; a local repository (a relative path, `/work/...`, an absolute path or
 *    a `file://` URL) must resolve inside the project (or an `external-volumes` dir, as for
 *    `!Git`), so a vagga.yaml cannot make vagga read another repository of the user.
 *    Git itself runs with GIT_ALLOW_PROTOCOL (git/mirror.ts runGit) as a second fence.
 *  - The commit: a repository of the project is resolved in place every time (a new commit
 *    changes the version at once, like `!GitDescribe`). A remote one goes through the
 *    `!Git` mirror cache (git/mirror.ts); the commit `revision`/`branch`/HEAD resolves to
 *    is recorded in `<cache>/git-subconfig/resolved/<url>/<revision>` when a build first needs it, and
 *    used from then on (a full 40-hex `revision` is the commit itself), so the version
 *    never depends on the network and a build reads exactly the commit its version names.
 *    To follow a branch that moved, delete that record (or pin `revision`).
 *  - The files: the commit is exported (`git archive`, no `.git`) once into the read-only
 *    cache entry `<cache>/git-subconfig/checkouts/<commit>`, shared by every project,
 *    always from a mirror in the cache (a project repository is mirrored as well), never in
 *    a repository whose config the vagga.yaml author wrote: `git archive` would run its
 *    filter drivers on the host.
 *    `path` is read there, symlinks followed inside the checkout only.
 *
 * Hash side (sync, host paths, never writes): undefined when the record or the checkout is
 * missing (the version is then known only after building).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { resolveProjectPath } from '../../config/project-path.js';
import { MissingToolError, VaggaError } from '../../errors/vagga-error.js';
import { spawnHostSync } from '../../sandbox/host-spawn.js';
import type { BuildLog } from '../step.js';
import { ensureMirror, escapeGitUrl, exportRevision, isProjectRepo, mirrorPath, runGit, wantedRevision } from './mirror.js';

/** A `!SubConfig` git source. */
export interface GitSource { url: string; revision?: string; branch?: string }

/** Where the checks and git look: host paths on the host, the builder's paths in the builder. */
export interface GitPlaces {
  projectRoot: string;
  cacheDir: string;
  externalVolumes?: readonly string[];
  /**
   * False in the builder, whose project path (/work) differs from the host's: a local url
   * (a host path) was checked on the host before the build and is only looked up in the
   * cache there. Default true.
   */
  checkLocal?: boolean;
}

/** URL schemes a remote repository may use (the `file` scheme only for project paths). */
const REMOTE_SCHEMES = new Set(['http', 'https', 'git', 'ssh', 'git+ssh', 'ssh+git']);

/** `/work` and `/work/...` name the project (read in place, as `!Git` does). */
function effectiveUrl(url: string): string {
  if (url === '/work' || url === '/work/') return '.';
  if (url.startsWith('/work/')) return `./${url.slice('/work/'.length)}`;
  return url;
}

/** The error for a url vagga will not give git. */
function refused(url: string, why: string): VaggaError {
  return new VaggaError(`!SubConfig: git url ${JSON.stringify(url)} is refused: ${why}`, {
    code: 'build.git-url-refused',
    hint: 'Use an http(s)://, git:// or ssh URL, or a repository inside the project (a path relative to it, or under /work).',
  });
}

/**
 * Check `url` and say how it is read: `project` (a repository in the project, read in
 * place: `dir` is its path), `local` (an absolute path or file:// URL inside the project or
 * an external volume: mirrored with the file transport allowed) or `remote`. Throws
 * VaggaError `build.git-url-refused` (121) for a transport or scheme not allowed, and
 * ProjectPathError (`config.path-outside-project`) for a local path outside the project.
 */
export function classifyGitUrl(givenUrl: string, places: GitPlaces): { kind: 'project'; url: string; dir: string } | { kind: 'local' | 'remote'; url: string } {
  const url = effectiveUrl(givenUrl);
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) throw refused(givenUrl, 'git remote-helper transports (`ext::`, `fd::`, ...) run programs on this machine');
  if (url.startsWith('-')) throw refused(givenUrl, 'it starts with "-"');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file' || (scheme === undefined && isAbsolute(url))) {
    const local = scheme === 'file' ? decodeURIComponent(new URL(url).pathname) : url;
    if (places.checkLocal !== false) resolveProjectPath(places.projectRoot, local, { key: 'url' }, places.externalVolumes ?? []);
    return { kind: 'local', url };
  }
  if (scheme !== undefined) {
    if (!REMOTE_SCHEMES.has(scheme)) throw refused(givenUrl, `the ${scheme}:// scheme is not one of http, https, git, ssh`);
    return { kind: 'remote', url };
  }
  if (isProjectRepo(url)) return { kind: 'project', url, dir: resolveProjectPath(places.projectRoot, url, { key: 'url' }) };
  return { kind: 'remote', url }; // scp-like `user@host:path` (ssh)
}

/** The revision string git resolves for `src`. */
function revisionOf(src: GitSource): string {
  return wantedRevision(src);
}

/** `<cache>/git-subconfig`. */
function cacheRoot(cacheDir: string): string {
  return join(cacheDir, 'git-subconfig');
}

/** The record of the commit `src` resolved to (remote and local urls). */
function recordPath(cacheDir: string, url: string, rev: string): string {
  return join(cacheRoot(cacheDir), 'resolved', escapeGitUrl(url), escapeGitUrl(rev));
}

/** `<cache>/git-subconfig/checkouts/<commit>`: the exported tree of one commit. */
export function checkoutPath(cacheDir: string, commit: string): string {
  return join(cacheRoot(cacheDir), 'checkouts', commit);
}

const COMMIT = /^[0-9a-f]{40}$/;

/** `git rev-parse` of `rev` as a commit in the repository `repo` (git's arguments), synchronously; undefined when unknown. */
function revParseSync(repo: string[], rev: string): string | undefined {
  const r = spawnHostSync('git', ['-c', 'safe.directory=*', '-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', ...repo, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: '' },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new MissingToolError('git', 'git', 'it fetches the repositories of !SubConfig from git');
  }
  const out = r.status === 0 ? r.stdout.trim() : '';
  return COMMIT.test(out) ? out : undefined;
}

/**
 * The commit `src` names, without the network and without writing: in place for a project
 * repository, else the record (or `revision` itself when it is a full commit id). undefined
 * when not known yet. Throws what classifyGitUrl throws.
 */
export function knownCommit(src: GitSource, places: GitPlaces): string | undefined {
  const where = classifyGitUrl(src.url, places);
  const rev = revisionOf(src);
  if (where.kind === 'project') return existsSync(where.dir) ? revParseSync(['-C', where.dir], rev) : undefined;
  if (COMMIT.test(rev)) return rev;
  try {
    const text = readFileSync(recordPath(places.cacheDir, where.url, rev), 'utf8').trim();
    return COMMIT.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Host side, before the build: make sure the commit of `src` is known (fetching a remote
 * repository into the mirror cache and recording what the revision resolves to, when it is
 * not recorded yet) and its checkout exists. Returns the commit. Throws VaggaError (121)
 * for a refused url, a failed clone, an unknown revision or a missing project repository.
 */
export async function prepareGitCheckout(src: GitSource, places: GitPlaces, log: BuildLog, signal?: AbortSignal): Promise<string> {
  const where = classifyGitUrl(src.url, places);
  const rev = revisionOf(src);
  let commit = knownCommit(src, places);
  // The export runs on the host, so never in the project's own repository: its
  // .git/config (a filter driver's smudge command, which `git archive` runs) is the
  // vagga.yaml author's. A project repository is mirrored too (`--no-local`: objects come
  // through upload-pack, no repository config is copied) and exported from the mirror.
  const mirrorUrl = where.kind === 'project' ? where.dir : where.url;
  const repo = ['--git-dir', mirrorPath(places.cacheDir, mirrorUrl)];
  if (where.kind === 'project') {
    if (!existsSync(where.dir)) {
      throw new VaggaError(`!SubConfig: repository ${JSON.stringify(src.url)} does not exist in the project`, { code: 'build.source-missing' });
    }
    if (commit !== undefined && !existsSync(checkoutPath(places.cacheDir, commit))) await ensureMirror(places.cacheDir, mirrorUrl, log, signal, true);
  } else {
    const cached = existsSync(checkoutPath(places.cacheDir, commit ?? '-'));
    if (!cached) await ensureMirror(places.cacheDir, where.url, log, signal, where.kind === 'local');
    if (commit === undefined) {
      const r = await runGit([...repo, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { signal });
      commit = r.status === 0 && COMMIT.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
      if (commit !== undefined) {
        const record = recordPath(places.cacheDir, where.url, rev);
        mkdirSync(join(record, '..'), { recursive: true });
        writeFileSync(`${record}.${process.pid}`, `${commit}\n`);
        renameSync(`${record}.${process.pid}`, record);
      }
    }
  }
  if (commit === undefined) {
    throw new VaggaError(`Revision ${JSON.stringify(rev)} is not found in ${src.url}`, {
      code: 'build.git-revision-not-found', hint: 'Check `revision`/`branch` of the !SubConfig source.',
    });
  }
  const dir = checkoutPath(places.cacheDir, commit);
  if (!existsSync(dir)) {
    log.info(`Checking out ${commit.slice(0, 12)} of ${src.url}`);
    const part = `${dir}.part.${process.pid}`;
    rmSync(part, { recursive: true, force: true });
    await exportRevision(repo, commit, part, src.url);
    try {
      renameSync(part, dir);
    } catch (e) {
      // Another build exported the same commit meanwhile: same content.
      rmSync(part, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
  }
  return commit;
}
