/**
 * Host paths a vagga.yaml names: volume sources (`!BindRW /work/x`, `/volumes/NAME/x`),
 * local archives (`!Tar ./x.tar.gz`), `!Depends`, `!Copy` sources under /work, includes
 * and mixins. A vagga.yaml may be hostile (a just-cloned repository), so each such path is
 * resolved with every symlink followed (realpath, missing components allowed) and must end
 * up inside the project or inside one of the `external-volumes` the user configured. A text
 * check is not enough: `homelink -> /home/me` inside the project passes one.
 */
import { ConfigError, VaggaError, type SourcePos } from '../errors/vagga-error.js';
import { resolveLinksUnder } from './resolve-links.js';

/** Where a host path was written, for the refusal message. */
export interface PathSite {
  /** The key naming the path, e.g. `url`, `.containers.app.volumes./mnt`, `!*Include`. */
  key: string;
  /** Its position in the config, when known: the error is then a located ConfigError. */
  pos?: SourcePos;
}

const HINT = 'A vagga.yaml may only name host files inside its project (symlinks are followed); ' +
  'other host directories must be listed in the `external-volumes` setting and named as /volumes/NAME.';

/** A host path that leaves the project (exit 126, as a config error). */
export class ProjectPathError extends VaggaError {
  constructor(message: string) {
    super(message, { code: 'config.path-outside-project', hint: HINT });
    this.name = 'ProjectPathError';
  }
}

/** True when `p` is `dir` or below it (both absolute, normalised). */
function within(p: string, dir: string): boolean {
  return dir === '/' || p === dir || p.startsWith(`${dir}/`);
}

/**
 * The real host path of `userPath` (relative to `projectRoot`, or absolute), every symlink
 * followed, when it is inside the project or inside one of `allowed` (host dirs, e.g. the
 * configured external volumes); callers must use the returned path, not the one written,
 * so that what is checked is what is opened or mounted. Throws ConfigError at `site.pos`
 * (or ProjectPathError naming `site.key` without a position) when the path resolves
 * elsewhere or runs into a symlink loop.
 */
export function resolveProjectPath(projectRoot: string, userPath: string, site: PathSite, allowed: readonly string[] = []): string {
  const root = resolveLinksUnder('/', projectRoot) ?? projectRoot;
  const written = userPath.startsWith('/') ? userPath : `${projectRoot}/${userPath}`;
  const real = resolveLinksUnder('/', written);
  if (real !== undefined) {
    if (within(real, root)) return real;
    for (const dir of allowed) {
      const base = resolveLinksUnder('/', dir);
      if (base !== undefined && within(real, base)) return real;
    }
  }
  const detail = real === undefined
    ? `${JSON.stringify(userPath)}: too many levels of symbolic links`
    : `${JSON.stringify(userPath)} resolves to ${JSON.stringify(real)}, outside the project ${JSON.stringify(root)}`;
  if (site.pos) throw new ConfigError('config.path-outside-project', detail, site.pos, site.key, HINT);
  throw new ProjectPathError(`${site.key}: ${detail}`);
}
