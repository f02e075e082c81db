/**
 * Container path -> path under the root being built (`/etc/x` -> `<root>/etc/x`), and the
 * `/work`-or-root resolution `!Copy` uses for its source.
 */
import * as path from 'node:path';
import { pathStartsWith, pathComponents } from '../version/paths.js';

/** Join an absolute container path onto the root being built. */
export function inContainerRoot(root: string, containerPath: string): string {
  return path.join(root, containerPath.replace(/^\/+/, ''));
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
