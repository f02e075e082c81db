/**
 * Looking at a sandbox's file system from the host, before the sandbox exists: which host
 * file a container path will show, according to a mount plan (types.ts). Used to check
 * mount points and programs up front, so that users get a vagga message naming the volume
 * or command instead of bwrap's `Can't mkdir /mnt: Read-only file system` or catatonit's
 * `failed to exec pid1`.
 *
 * Symlinks are followed *inside the view*: an absolute target means the container's `/`
 * (through the plan again), never the host's file; `..` never leaves the root. Content of
 * mounts that exist only in the sandbox (tmpfs, /proc, /dev, created files) is unknown.
 */
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { MountOp, MountPlan } from './types.js';

/** Where a container path lives: a host path (under a bind) or a sandbox-only mount. */
export type Location =
  | { kind: 'host'; host: string; readOnly: boolean; op: MountOp & { kind: 'bind' } }
  | { kind: 'virtual'; op: MountOp };

/** What is at a container path. `at` is the resolved container path (symlinks followed) where the answer was found. */
export type Probe =
  | { kind: 'file'; mode: number; at: string }
  | { kind: 'dir'; at: string }
  | { kind: 'missing'; at: string }
  /** `virtual`: on a sandbox-only mount (tmpfs, /proc...); `unreadable`: a host dir on the way denies access. */
  | { kind: 'unknown'; at: string; reason: 'virtual' | 'unreadable' };

const MAX_SYMLINKS = 40;

/** True when container path `path` is `dir` or inside it (both absolute, normalised). */
function within(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(dir + '/');
}

/**
 * The location of `path` (absolute container path, normalised) according to `plan`: the
 * last operation mounted at or above it wins (bwrap applies them in order). Binds marked
 * `optional` whose source is missing are skipped (bwrap --bind-try). `undefined` when no
 * operation covers the path (nothing is mounted at `/`).
 */
export function locate(plan: MountPlan, path: string): Location | undefined {
  for (let i = plan.length - 1; i >= 0; i--) {
    const op = plan[i];
    if (op.kind === 'remount-ro' || !within(path, op.dest)) continue;
    if (op.kind === 'bind') {
      if (op.optional && !statSync(op.source, { throwIfNoEntry: false })) continue;
      const rel = op.dest === '/' ? path.slice(1) : path.slice(op.dest.length + 1);
      return { kind: 'host', host: rel === '' ? op.source : posix.join(op.source, rel), readOnly: op.readOnly, op };
    }
    return { kind: 'virtual', op };
  }
  return undefined;
}

/** Where a container path leads once every symlink on the way is followed inside the view. */
export type Resolved =
  /** On a bind: `host` is the host path it shows (it may be missing there). */
  | { kind: 'host'; at: string; host: string; readOnly: boolean }
  /** On a sandbox-only mount (tmpfs, /proc, a created file...): not visible from the host. */
  | { kind: 'virtual'; at: string }
  /** A component on the way is missing, not a directory, or a symlink loop (40 links). */
  | { kind: 'missing'; at: string }
  /** A host dir on the way denies access (EACCES/EPERM). */
  | { kind: 'unreadable'; at: string };

/**
 * Resolve `path` (absolute, as seen in the sandbox) through `plan`, following symlinks
 * inside the view (an absolute target starts again at the view's `/`, `..` stops there):
 * the container's chroot-like lookup done from the host. The last component is followed
 * too; when it is missing the result is still 'host' (its would-be host path). Never
 * throws for file-system reasons other than unexpected errno values.
 */
export function resolveInView(plan: MountPlan, path: string): Resolved {
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  const here = (extra?: string) => '/' + (extra === undefined ? done : [...done, extra]).join('/');
  let hops = 0;
  try {
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const at = here(part);
      const loc = locate(plan, at);
      if (!loc || loc.kind === 'virtual') return { kind: 'virtual', at };
      const st = lstatSync(loc.host, { throwIfNoEntry: false });
      if (!st) {
        if (pending.length > 0) return { kind: 'missing', at };
        done.push(part);
        break;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINKS) return { kind: 'missing', at };
        const target = readlinkSync(loc.host);
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
        continue;
      }
      if (pending.length > 0 && !st.isDirectory()) return { kind: 'missing', at };
      done.push(part);
    }
    const at = here();
    const loc = locate(plan, at);
    if (!loc || loc.kind === 'virtual') return { kind: 'virtual', at };
    return { kind: 'host', at, host: loc.host, readOnly: loc.readOnly };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { kind: 'unreadable', at: here() };
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'missing', at: here() };
    throw err;
  }
}

/**
 * Resolve `path` (absolute, as seen in the sandbox) through `plan` and say what is there,
 * following symlinks inside the view (resolveInView). A directory that cannot be read from
 * the host (EACCES, e.g. a subuid-owned 0700 dir) or a sandbox-only mount gives 'unknown':
 * the caller should then let the sandbox decide. Never throws for file-system reasons
 * other than unexpected errno values.
 */
export function probePath(plan: MountPlan, path: string): Probe {
  const r = resolveInView(plan, path);
  if (r.kind === 'virtual') return { kind: 'unknown', at: r.at, reason: 'virtual' };
  if (r.kind === 'unreadable') return { kind: 'unknown', at: r.at, reason: 'unreadable' };
  if (r.kind === 'missing') return r;
  try {
    const st = statSync(r.host, { throwIfNoEntry: false });
    if (!st) return { kind: 'missing', at: r.at };
    return st.isDirectory() ? { kind: 'dir', at: r.at } : { kind: 'file', mode: st.mode & 0o7777, at: r.at };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { kind: 'unknown', at: r.at, reason: 'unreadable' };
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'missing', at: r.at };
    throw err;
  }
}

/** A plan that is just `rootfs` bound read-only at `/`. */
export function rootOnlyPlan(rootfs: string): MountPlan {
  return [{ kind: 'bind', source: rootfs, dest: '/', readOnly: true }];
}
