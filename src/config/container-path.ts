/**
 * Paths inside a container, as a vagga.yaml names them (`!Text` keys, `!EnsureDir`,
 * `!Copy path`, volume mount points, `data-dirs`, ...). A container path is absolute and
 * must stay inside the container's root once `.` and `..` are applied: `/../cache/x` is
 * refused where it is written (a located ConfigError), because the builder that applies
 * the step sees more than the container (the project, the user's cache).
 *
 * The value is kept as written (the version hash feeds paths as written, like Vagga);
 * the builder normalises it again at the point of use (src/steps/root-path.ts).
 */
import { absPath, custom, fail, str, type ParseCtx, type Schema } from './schema.js';
import type { QNode } from './qnode.js';
import { relativeCacheNameProblem } from './cache-name.js';

/**
 * `p` with `.`, `..` and repeated `/` applied (`/a/./b/../c//` -> `/a/c`), or undefined when
 * `p` is not absolute or a `..` would go above `/`. Pure.
 */
export function normalizeContainerPath(p: string): string | undefined {
  if (!p.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else {
      out.push(part);
    }
  }
  return '/' + out.join('/');
}

/** The sentence for a path that climbs above `/`. */
const leavesRoot = (p: string) => `Path ${JSON.stringify(p)} leaves the container's root: a ".." may not go above "/"`;

/** Why `p` is not a container path (a sentence), or undefined when it is one. */
export function containerPathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `Path must be absolute: ${JSON.stringify(p)}`;
  if (normalizeContainerPath(p) === undefined) return leavesRoot(p);
  return undefined;
}

/** `inner`, then `problem` on its value: a located ConfigError when it names one. */
function checked(inner: Schema<string>, problem: (value: string) => string | undefined, describe = inner.describe): Schema<string> {
  return custom(describe, (node: QNode, ctx: ParseCtx) => {
    const value = inner.parse(node, ctx);
    const why = problem(value);
    if (why) fail(ctx, node, why);
    return value;
  });
}

/**
 * Schema of a container path: an absolute path that stays inside the root (see
 * containerPathProblem); gives the text as written. Errors are ConfigErrors at the node.
 * `relative`: a relative path is accepted too, read from the root (`environ-file`).
 */
export function containerPath(options: { relative?: boolean } = {}): Schema<string> {
  return options.relative
    ? checked(str(), (v) => containerPathProblem(`/${v}`))
    : checked(absPath(), containerPathProblem);
}

/**
 * Schema of a `subdir` of an archive or checkout (`!Tar`, `!Unzip`, `!TarInstall`,
 * `!GitInstall`): a path inside it; a `..` that climbs out of it is a located ConfigError.
 */
export function archiveSubdir(): Schema<string> {
  return checked(str(), (v) => (normalizeContainerPath(`/${v}`) === undefined
    ? `Subdir ${JSON.stringify(v)} leaves the archive: a ".." may not climb out of it` : undefined));
}

/**
 * Schema of a cache name chosen by a vagga.yaml (src/config/cache-name.ts): located
 * ConfigError for empty and absolute names, `..`, the whole cache dir and vagga's reserved entries.
 */
export function cacheName(): Schema<string> {
  return checked(str(), relativeCacheNameProblem, 'a cache name');
}

/**
 * Schema of a `work-dir`: relative to /work, or absolute; either way it must stay inside
 * the container's root (`../../..` is refused). Gives the text as written.
 */
export function workDir(): Schema<string> {
  return checked(str(), (v) => (normalizeContainerPath(v.startsWith('/') ? v : `/work/${v}`) === undefined ? leavesRoot(v) : undefined));
}

/**
 * Schema of a `!Persistent` volume name: one plain directory name under `.volumes` (no `/`,
 * not starting with `.`, which vagga reserves for `.tmp.NAME`), refused where it is written
 * (the runtime checks again: runtime/volumes/persistent.ts checkVolumeName).
 */
export function persistentName(): Schema<string> {
  return checked(str(), (v) => (v === '' || v.includes('/') || v.startsWith('.') || v.includes('\0')
    ? `Volume name ${JSON.stringify(v)} must be a plain directory name (no "/", not starting with ".")` : undefined), 'a volume name');
}
