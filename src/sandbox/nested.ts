/**
 * Running a build step's program inside the root being built, from within the builder
 * sandbox (already root in the container's user namespace). CONTRACT STUB.
 */
import type { MountPlan } from '../mounts/types.js';
import type { SandboxResult } from './types.js';

export interface NestedSpec {
  mounts: MountPlan;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** stdin text, or undefined for /dev/null. Output goes to stderr. */
  input?: string;
}

/** Run a nested bwrap (no --unshare-user, --cap-add ALL, --die-with-parent) and return its status. */
export async function runNested(spec: NestedSpec): Promise<SandboxResult> {
  throw new Error('not implemented');
}
