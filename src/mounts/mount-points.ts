/**
 * Checking a mount plan's mount points before launching bwrap (bwrap(1) creates a missing
 * mount point with mkdir, which fails on the read-only container root with `bwrap: Can't
 * mkdir /mnt: Read-only file system`). Vagga's run sandbox (inventory §2.7) likewise needs
 * every volume's mount point to exist in the built container (users add `!EnsureDir`).
 */
import { existsSync } from 'node:fs';
import { locate, probePath } from './host-view.js';
import type { MountOp, MountPlan } from './types.js';

/** A mount point the sandbox could not create. */
export interface MissingMountPoint {
  /** The operation that needs it. */
  op: MountOp;
  /** The first missing container path on the way to `op.dest` (symlinks followed). */
  missing: string;
}

/**
 * Operations of `plan` (after the first, the root) whose destination does not exist and
 * would have to be created on a read-only mount (the container root, a `!BindRO` volume).
 * Destinations on writable mounts (tmpfs, /work) are fine: bwrap creates them. Binds marked
 * `optional` whose source is missing are skipped, as bwrap --bind-try does. Reads the host
 * view of the plan (host-view.ts); never throws for missing files.
 */
export function missingMountPoints(plan: MountPlan): MissingMountPoint[] {
  const out: MissingMountPoint[] = [];
  for (let i = 1; i < plan.length; i++) {
    const op = plan[i];
    if (op.kind === 'remount-ro') continue;
    const before = plan.slice(0, i);
    if (op.kind === 'bind' && op.optional && !existsSync(op.source)) continue;
    const found = probePath(before, op.dest);
    if (found.kind !== 'missing') continue;
    const parent = locate(before, found.at);
    if (parent?.kind === 'host' && parent.readOnly) out.push({ op, missing: found.at });
  }
  return out;
}

/** A bind whose host source is missing. */
export type MissingBindSource = Extract<MountOp, { kind: 'bind' }>;

/**
 * Bind operations of `plan` whose host source does not exist (symlinks followed), which
 * bwrap would refuse with `Can't find source path ...` after the sandbox is half set up.
 * Binds marked `optional` (bwrap --bind-try) or `createSource` (made by the runner) are
 * skipped. `exists` is injectable for tests (default fs.existsSync).
 */
export function missingBindSources(plan: MountPlan, exists: (path: string) => boolean = existsSync): MissingBindSource[] {
  const out: MissingBindSource[] = [];
  for (const op of plan) {
    if (op.kind === 'bind' && !op.optional && !op.createSource && !exists(op.source)) out.push(op);
  }
  return out;
}
