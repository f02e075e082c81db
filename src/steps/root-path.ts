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
import { lstatSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { containerPathProblem } from '../config/container-path.js';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';
import { pathStartsWith, pathComponents } from '../version/paths.js';

/** Linux's limit on symlinks followed in one lookup (path_resolution(7): 40). */
const MAX_SYMLINKS = 40;

/** A container path that cannot be resolved inside the root (exit 121, a build failure). */
export class RootPathError extends VaggaError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.launcher });
    this.name = 'RootPathError';
  }
}

export interface RootPathOptions {
  /**
   * Follow a symlink in the last component too (default true: a write goes where the link
   * points, inside the root). False for operations on the link itself (`!Remove`).
   */
  followLast?: boolean;
}

/**
 * The path under `root` (the builder's view) that container path `containerPath` names,
 * with symlinks inside the root followed as if the root were `/` (see the file comment).
 * Missing components are kept as written. Throws RootPathError when `containerPath` is not
 * absolute or a `..` leaves `/` (the config schema refuses those already; this is the check
 * at the point of use), or after 40 symlinks (a loop).
 */
export function inContainerRoot(root: string, containerPath: string, options: RootPathOptions = {}): string {
  const problem = containerPathProblem(containerPath);
  if (problem) throw new RootPathError(problem);
  const followLast = options.followLast ?? true;
  const pending = containerPath.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    if ((pending.length > 0 || followLast) && isSymlink(host)) {
      if (++hops > MAX_SYMLINKS) throw new RootPathError(`Too many levels of symbolic links in ${JSON.stringify(containerPath)}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

/** lstat says symlink; false when missing (or below a non-directory). */
function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/**
 * Where the builder finds a container path: under `/work` -> the project dir
 * (`projectRoot`), any other absolute path -> inside the root, a relative path -> relative
 * to /work (the build's working directory).
 */
export function resolveBuildPath(p: string, ctx: { root: string; projectRoot: string }): string {
  if (!p.startsWith('/')) return path.join(ctx.projectRoot, p);
  if (pathStartsWith(p, '/work')) return path.join(ctx.projectRoot, ...pathComponents(p).slice(2));
  return inContainerRoot(ctx.root, p);
}
