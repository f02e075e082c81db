/**
 * Container path -> path under the root being built (`/etc/x` -> `<root>/etc/x`), and the
 * `/work`-or-root resolution `!Copy` uses for its source.
 *
 * The builder sees more than the container: the project at /work, the user's cache at
 * /vagga/cache, its own bundle. So a container path is resolved here the way the kernel
 * would resolve it with the root as `/` (chroot semantics): `..` stops at the root, and a
 * symlink inside the root is followed inside the root (an absolute target starts again at
 * the root, a relative one climbs at most to it). Nothing a step names, and nothing an
 * earlier step planted as a symlink (`!Sh "ln -s /vagga/cache /etc/x"`), can make the
 * builder touch a file outside the root.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { containerPathProblem } from '../config/container-path.js';
import { resolveLinksUnder, type ResolveOptions } from '../config/resolve-links.js';
import { VaggaError } from '../errors/vagga-error.js';
import { pathStartsWith, pathComponents, workToHost } from '../version/paths.js';
import { versionError } from '../version/errors.js';
import { ProjectPathError, resolveProjectPath } from '../config/project-path.js';

/** A container path that cannot be resolved inside the root (exit 121, a build failure). */
export class RootPathError extends VaggaError {
  constructor(message: string) {
    super(message, { code: 'build.path-outside-root' });
    this.name = 'RootPathError';
  }
}

/**
 * The path under `root` (the builder's view) that container path `containerPath` names,
 * with symlinks inside the root followed as if the root were `/` (resolveLinksUnder).
 * Throws RootPathError when `containerPath` is not absolute or a `..` leaves `/` (the config
 * schema refuses those already; this is the check at the point of use), or for a symlink loop.
 */
export function inContainerRoot(root: string, containerPath: string, options: ResolveOptions = {}): string {
  const problem = containerPathProblem(containerPath);
  if (problem) throw new RootPathError(problem);
  const resolved = resolveLinksUnder(root, containerPath, options);
  if (resolved === undefined) throw new RootPathError(`Too many levels of symbolic links in ${JSON.stringify(containerPath)}`);
  return resolved;
}

/**
 * Where the builder finds a container path: under `/work` -> the project dir
 * (`projectRoot`), any other absolute path -> inside the root, a relative path -> relative
 * to /work (the build's working directory). Project paths are real paths that must stay
 * in the project (resolveProjectPath: ProjectPathError naming `key`); root paths follow
 * symlinks inside the root (inContainerRoot).
 */
export function resolveBuildPath(p: string, ctx: { root: string; projectRoot: string }, key = 'path'): string {
  if (!p.startsWith('/')) return resolveProjectPath(ctx.projectRoot, path.join(ctx.projectRoot, p), { key });
  if (pathStartsWith(p, '/work')) return resolveProjectPath(ctx.projectRoot, path.join(ctx.projectRoot, ...pathComponents(p).slice(2)), { key });
  return inContainerRoot(ctx.root, p);
}

/**
 * Host side (version hashes): the real host path of container path `containerPath` when it
 * is under /work (undefined otherwise), which must stay in the project: else the
 * versionError of step `tag` naming `key` (the caller adds the step's position).
 */
export function workToProject(tag: string, containerPath: string, projectRoot: string, key: string): string | undefined {
  const host = workToHost(containerPath, projectRoot);
  if (host === undefined) return undefined;
  try {
    return resolveProjectPath(projectRoot, host, { key });
  } catch (e) {
    if (e instanceof ProjectPathError) throw versionError(tag, e.message);
    throw e;
  }
}

/**
 * Refuse (RootPathError) to write a tree at `destDir` (a host path inside the root, already
 * resolved with inContainerRoot) when a symlink at or below it leads, in the builder's own
 * view of the file system, into one of `forbidden` (the cache dir) or to one of its ancestors
 * (`/vagga`, `/`, through which `link/cache/x` reaches it): GNU tar, `!Copy`,
 * `!Unzip` and `git archive` follow symlinks already in the destination when they write
 * members below them, and they do it with the builder's view, not the container's.
 * Symlinks leading anywhere else are fine: the other places the builder sees are the root,
 * the project, a tmpfs, or read-only host files (`/usr/bin/awk -> /etc/alternatives/awk`).
 * Walks the subtree without following symlinks; a missing `destDir` has nothing to check.
 */
export function refuseLinksOut(root: string, destDir: string, forbidden: readonly string[]): void {
  const check = (p: string) => {
    const target = resolveLinksUnder('/', p);
    // Refused: a link into a forbidden dir, and a link to one of its ancestors (`/vagga`,
    // `/`), through which a member path such as `link/cache/x` reaches it as well.
    const reaches = (dir: string): boolean => target === dir || target!.startsWith(`${dir}/`) || target === '/' || dir.startsWith(`${target}/`);
    if (target === undefined || forbidden.some(reaches)) {
      throw new RootPathError(`${JSON.stringify(`/${path.relative(root, p)}`)} is a symlink to ${JSON.stringify(readlinkSync(p))}, ` +
        'which would be written through outside the container; remove or replace it before this step');
    }
  };
  let top: ReturnType<typeof lstatSync>;
  try {
    top = lstatSync(destDir);
  } catch {
    return;
  }
  if (top.isSymbolicLink()) check(destDir);
  if (!top.isDirectory()) return;
  const pending = [destDir];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) check(p);
      else if (entry.isDirectory()) pending.push(p);
    }
  }
}
