/**
 * Mount plans for builds. CONTRACT STUB: implemented by the sandbox work.
 *
 * A build runs in two levels. The *builder* sandbox (user namespace with the container's
 * uid map, all capabilities) sees the host's /usr and /etc read-only plus, at fixed paths:
 *   /vagga/root            the root filesystem being built (rw)
 *   /work                  the project (rw)
 *   /vagga/cache           the shared cache dir (rw)
 *   /vagga/containers/NAME roots of already-built containers this build uses (ro)
 *   /vagga/bin             the directory holding the vagga bundle (ro)
 * and runs `node /vagga/bin/vagga.mjs __builder__`. Steps that run programs in the
 * container use a *step* sandbox: a nested bwrap (no new user namespace) with
 * /vagga/root as /, /dev, /proc, /work, /run tmpfs, cache binds and the host resolv.conf.
 */
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

/** Plan of the builder sandbox (see file comment). Pure. */
export function planBuilderMounts(input: BuilderPlanInput): MountPlan {
  throw new Error('not implemented');
}

export interface StepPlanInput {
  /** The root being built, as the builder sees it (normally /vagga/root). */
  root: string;
  /** Project dir as the builder sees it (normally /work). */
  work: string;
  /** Cache binds: container path -> builder-visible host dir. */
  cacheBinds: Record<string, string>;
}

/** Plan of the nested step sandbox (see file comment). Pure. */
export function planStepMounts(input: StepPlanInput): MountPlan {
  throw new Error('not implemented');
}
