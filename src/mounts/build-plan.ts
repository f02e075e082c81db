/**
 * Mount plans for builds (vagga-inventory.md §2.6 "The build sandbox"). Pure.
 *
 * A build runs in two levels. The *builder* sandbox (user namespace with the container's
 * uid map, all capabilities) sees the host's /usr, /etc and /sys read-only plus, at fixed paths:
 *   /vagga/root            the root filesystem being built (rw)
 *   /work                  the project (rw)
 *   /vagga/cache           the shared cache dir (rw), except the trusted entries below
 *   /vagga/cache/ENTRY     each of TRUSTED_CACHE_ENTRIES (ro): filled on the host only
 *   /vagga/containers/NAME roots of already-built containers this build uses (ro)
 *   /vagga/bin             the directory holding the vagga bundle (ro)
 * and runs `node /vagga/bin/vagga.mjs __builder__`. Steps that run programs in the
 * container use a *step* sandbox: a nested bwrap (no new user namespace) with
 * /vagga/root as /, /dev, /proc, /sys (read-only), /work, /run tmpfs and cache binds (the
 * host's resolv.conf and hosts are copied into the root's own files meanwhile:
 * build-context.ts lendNetworkFiles). Vagga's builder mounts /sys too (§2.6: `mount` in a
 * build shows it); a user namespace may mount a new sysfs only in a network namespace it owns
 * (build steps share the host's network), so the host's is bound read-only (bwrap --ro-bind
 * /sys /sys), as rootless container tools do.
 */
import { posix } from 'node:path';
import { TRUSTED_CACHE_ENTRIES } from '../config/cache-name.js';
import { hostSystemMounts } from './host-system.js';
import { comparePaths, isWithin } from './run-plan.js';
import type { MountPlan } from './types.js';

/** Fixed paths inside the builder sandbox. */
export const BUILDER_PATHS = {
  root: '/vagga/root',
  work: '/work',
  cache: '/vagga/cache',
  containers: '/vagga/containers',
  bin: '/vagga/bin',
} as const;

export interface BuilderPlanInput {
  /** Host path of the root being built. */
  rootfs: string;
  projectRoot: string;
  cacheDir: string;
  /** Built containers the steps need: name -> host rootfs path. */
  containerRoots: Record<string, string>;
  /** Host directory of the running vagga bundle. */
  bundleDir: string;
  /** Host path of the node (or bun) executable running vagga. */
  runtimePath: string;
}

/**
 * Plan of the builder sandbox: host /usr read-only with the merged-usr links (/bin, /lib,
 * /lib64, /sbin), /etc read-only, /dev, /proc, /sys read-only (for the step sandboxes to
 * bind), a /tmp tmpfs, then the BUILDER_PATHS binds
 * (root, project, cache with its trusted entries read-only, other containers' roots
 * read-only, bundle read-only) and the
 * directory of `runtimePath` read-only at its own path when it is outside /usr (e.g. a node
 * installed under /opt or $HOME). Pure.
 */
export function planBuilderMounts(input: BuilderPlanInput): MountPlan {
  const plan: MountPlan = [
    ...hostSystemMounts(),
    { kind: 'bind', source: '/etc', dest: '/etc', readOnly: true },
    { kind: 'dev', dest: '/dev' },
    { kind: 'proc', dest: '/proc' },
    { kind: 'bind', source: '/sys', dest: '/sys', readOnly: true },
    { kind: 'tmpfs', dest: '/tmp', mode: 0o1777 },
    { kind: 'bind', source: input.rootfs, dest: BUILDER_PATHS.root, readOnly: false },
    { kind: 'bind', source: input.projectRoot, dest: BUILDER_PATHS.work, readOnly: false },
    { kind: 'bind', source: input.cacheDir, dest: BUILDER_PATHS.cache, readOnly: false },
  ];
  // The bootstrap tarballs, downloads, git mirrors and apk.static are made by the steps'
  // `prepare` on the host; every later build of every project of the user unpacks them as
  // they are. They are mounted read-only here rather than checked by hash before each use:
  // a tarball has no independent hash to check against (mmdebstrap's output differs from
  // run to run), and read-only means nothing a build runs can replace them at all.
  // The source dirs must exist (run-builder.ts creates them).
  for (const entry of TRUSTED_CACHE_ENTRIES) {
    plan.push({ kind: 'bind', source: posix.join(input.cacheDir, entry), dest: posix.join(BUILDER_PATHS.cache, entry), readOnly: true });
  }
  for (const name of Object.keys(input.containerRoots).sort()) {
    plan.push({ kind: 'bind', source: input.containerRoots[name], dest: posix.join(BUILDER_PATHS.containers, name), readOnly: true });
  }
  plan.push({ kind: 'bind', source: input.bundleDir, dest: BUILDER_PATHS.bin, readOnly: true });
  const runtimeDir = posix.dirname(input.runtimePath);
  if (!isWithin(runtimeDir, '/usr')) plan.push({ kind: 'bind', source: runtimeDir, dest: runtimeDir, readOnly: true });
  return plan;
}

export interface StepPlanInput {
  /** The root being built, as the builder sees it (normally /vagga/root). */
  root: string;
  /** Project dir as the builder sees it (normally /work). */
  work: string;
  /** Cache binds: container path -> builder-visible host dir. */
  cacheBinds: Record<string, string>;
}

/**
 * Plan of the nested step sandbox: the root read-write at /, /dev, /proc, /sys (the
 * builder's, read-only; vagga-inventory.md §2.6), /work (rw), a /run tmpfs (/tmp stays the
 * root's own directory, §2.6) and the cache binds in path order (rw; the source dirs are
 * created when missing). No bind over /etc/resolv.conf or /etc/hosts: a step must be able
 * to replace them (Vagga copies the host's files in, §2.6); the builder lends them to the
 * root's own files instead (build-context.ts). Pure.
 */
export function planStepMounts(input: StepPlanInput): MountPlan {
  const plan: MountPlan = [
    { kind: 'bind', source: input.root, dest: '/', readOnly: false },
    { kind: 'dev', dest: '/dev' },
    { kind: 'proc', dest: '/proc' },
    { kind: 'bind', source: '/sys', dest: '/sys', readOnly: true },
    { kind: 'bind', source: input.work, dest: '/work', readOnly: false },
    { kind: 'tmpfs', dest: '/run', mode: 0o755 },
  ];
  for (const dest of Object.keys(input.cacheBinds).sort(comparePaths)) {
    plan.push({ kind: 'bind', source: input.cacheBinds[dest], dest, readOnly: false, createSource: true });
  }
  return plan;
}
