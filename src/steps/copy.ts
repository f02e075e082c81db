/**
 * `!Copy` (vagga-inventory.md §1.4, §2.1): copy a file or tree into the container.
 * `source` is under /work (the project) or an absolute path inside the container being
 * built (a relative source is taken relative to /work). Without `preserve-permissions` the
 * mode becomes 0o777 (directories, files with the owner x bit) or 0o666, masked by `umask`
 * (default 0o002); owners are `owner-uid`/`owner-gid` or the source's; mtime and atime are
 * 1 unless `preserve-times`; symlinks are copied verbatim (never followed). Missing parent
 * directories of `path` are created with mode 0755.
 *
 * Hash, source under /work: per tree entry `filename`, `mode` (the resulting mode; not for
 * symlinks), `uid`, `gid` (override or the owner as the container's user namespace sees it),
 * content/symlink; then `path`, then `preserve_times` if set. Other sources: `source`, `path`,
 * `preserve_permissions`, and when not preserving: opt `owner_uid`, opt `owner_gid`,
 * `umask`; then `preserve_times` if set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bool, def, int, opt, str, struct, type Out } from '../config/schema.js';
import { containerPath } from '../config/container-path.js';
import { createPathFilter, type FilterOptions, type PathFilter } from '../version/filters.js';
import { insideId } from '../version/owner.js';
import { pathStartsWith, selfAndParents } from '../version/paths.js';
import { hashFileContent, hashTree, walkFiltered } from '../version/tree.js';
import { filterFields } from './filter-fields.js';
import type { BuildContext, StepDef } from './step.js';
import { inContainerRoot, refuseLinksOut, resolveBuildPath, workToProject } from './root-path.js';

/** Default `umask` of `!Copy`. */
export const DEFAULT_COPY_UMASK = 0o002;

const schema = struct({
  source: str(),
  path: containerPath(),
  ...filterFields,
  'owner-uid': opt(int({ min: 0 })),
  'owner-gid': opt(int({ min: 0 })),
  umask: def(int({ min: 0, max: 0o777 }), DEFAULT_COPY_UMASK),
  'preserve-permissions': def(bool(), false),
  'preserve-times': def(bool(), false),
});

/** `!Copy` parameters. */
export type CopyParams = Out<typeof schema>;

/**
 * The mode a copied entry gets (undefined for symlinks: their mode is never set):
 * preserved `perm & 0o7777`, or 0o777/0o666 by type and owner-x bit, masked by umask.
 */
export function copyMode(params: Pick<CopyParams, 'preservePermissions' | 'umask'>, st: fs.Stats): number | undefined {
  if (st.isSymbolicLink()) return undefined;
  if (params.preservePermissions) return st.mode & 0o7777;
  const base = st.isDirectory() || (st.mode & 0o100) !== 0 ? 0o777 : 0o666;
  return base & ~params.umask;
}

function hash(params: CopyParams, digest: import('../version/digest.js').Digest, ctx: import('./step.js').VersionContext): void {
  if (pathStartsWith(params.source, '/work')) {
    const hostPath = workToProject('!Copy', params.source, ctx.projectRoot, 'source')!;
    const filter = createPathFilter(params);
    hashTree(digest, { hostPath, containerPath: params.source }, filter, (entry, d) => {
      d.field('filename', entry.containerPath);
      d.optField('mode', copyMode(params, entry.stat));
      d.field('uid', params.ownerUid ?? insideId(entry.stat.uid, 'uid'));
      d.field('gid', params.ownerGid ?? insideId(entry.stat.gid, 'gid'));
      hashFileContent(entry, d);
    }, (r) => ctx.unknown(r), '!Copy');
    digest.field('path', params.path);
  } else {
    // Files outside /work are results of earlier steps: Vagga hashes the parameters only.
    digest.field('source', params.source);
    digest.field('path', params.path);
    digest.field('preserve_permissions', params.preservePermissions);
    if (!params.preservePermissions) {
      digest.optField('owner_uid', params.ownerUid);
      digest.optField('owner_gid', params.ownerGid);
      digest.field('umask', params.umask);
    }
  }
  if (params.preserveTimes) digest.field('preserve_times', true);
}

interface CopyOptions {
  uid?: number;
  gid?: number;
  mode?: number;
  /** [atime, mtime] in seconds, or 'preserve'; undefined leaves the times alone. */
  times?: [number, number] | 'preserve';
}

/**
 * Copy one entry without recursing (Vagga's ShallowCopy): a directory is created (kept if
 * it exists), a file's content copied, a symlink recreated; then owner, mode and times.
 * Other file types are skipped with a warning.
 */
function shallowCopy(src: string, st: fs.Stats, dest: string, o: CopyOptions, ctx: BuildContext): void {
  const uid = o.uid ?? st.uid;
  const gid = o.gid ?? st.gid;
  if (st.isDirectory()) {
    let exists = false;
    try { exists = fs.lstatSync(dest).isDirectory(); } catch { /* absent */ }
    if (!exists) fs.mkdirSync(dest, { mode: 0o700 });
    fs.chownSync(dest, uid, gid);
    fs.chmodSync(dest, o.mode ?? (st.mode & 0o7777));
  } else if (st.isFile()) {
    fs.rmSync(dest, { force: true });
    fs.copyFileSync(src, dest);
    fs.chownSync(dest, uid, gid);
    fs.chmodSync(dest, o.mode ?? (st.mode & 0o7777));
  } else if (st.isSymbolicLink()) {
    fs.rmSync(dest, { force: true });
    fs.symlinkSync(fs.readlinkSync(src), dest);
    fs.lchownSync(dest, uid, gid);
  } else {
    ctx.log.warn(`!Copy: skipping ${JSON.stringify(src)}: not a regular file, directory or symlink`);
    return;
  }
  if (o.times === 'preserve') fs.lutimesSync(dest, st.atime, st.mtime);
  else if (o.times) fs.lutimesSync(dest, o.times[0], o.times[1]);
}

/**
 * Create the missing directories above `dest` (inside the root being built), each mode 0755
 * whatever the umask, owned by whoever runs the build (the container's root in the builder).
 * Vagga's `!Copy` does the same for the destination's parent.
 */
export function ensureParentDirs(dest: string): void {
  const missing: string[] = [];
  for (let dir = path.dirname(dest); !fs.existsSync(dir); dir = path.dirname(dir)) missing.push(dir);
  for (const dir of missing.reverse()) {
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o755);
  }
}

async function build(params: CopyParams, ctx: BuildContext): Promise<void> {
  const src = resolveBuildPath(params.source, ctx, 'source');
  const dest = inContainerRoot(ctx.root, params.path);
  refuseLinksOut(ctx.root, dest, [ctx.cacheDir]);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(src);
  } catch (e) {
    throw new Error(`!Copy: can't read source ${JSON.stringify(params.source)}: ${(e as Error).message}`);
  }
  ensureParentDirs(dest);
  const times: CopyOptions['times'] = params.preserveTimes ? 'preserve' : [1, 1];
  const base = { uid: params.ownerUid, gid: params.ownerGid };
  if (!st.isDirectory()) {
    shallowCopy(src, st, dest, { ...base, mode: copyMode(params, st), times }, ctx);
    return;
  }
  shallowCopy(src, st, dest, { ...base, mode: copyMode(params, st) }, ctx);
  const filter = createPathFilter(params, { warn: (m) => ctx.log.warn(m) });
  for (const rel of admittedWithParents(src, filter)) {
    const from = path.join(src, rel);
    const fst = fs.lstatSync(from);
    shallowCopy(from, fst, path.join(dest, rel), { ...base, mode: copyMode(params, fst), times }, ctx);
  }
}

/**
 * Relative paths under host dir `src` of the entries `filter` admits (walkFiltered order),
 * each preceded by those of its parent directories not yielded yet: the order in which a
 * copy creates them (Vagga copies an admitted entry's parents with it).
 */
export function* admittedWithParents(src: string, filter: PathFilter): Generator<string> {
  const done = new Set<string>();
  for (const entry of walkFiltered(src, filter)) {
    const todo: string[] = [];
    for (const p of selfAndParents(entry.rel)) {
      if (done.has(p)) break;
      todo.push(p);
    }
    for (const rel of todo.reverse()) {
      done.add(rel);
      yield rel;
    }
  }
}

const copy: StepDef<CopyParams> = { tag: 'Copy', schema, hash, build };

/** The `!Copy` step. */
export const steps: StepDef<any>[] = [copy];
