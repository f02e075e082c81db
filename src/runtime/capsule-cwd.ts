/**
 * Inside a `!CapsuleCommand` (src/runtime/capsule.ts) the project is bound at /work and at
 * its host path. The vagga inside works from the host path, so that what it derives from the
 * project's location is what the host's vagga derives: the storage-dir subdirectory and its
 * back-link, the build cache's keys of steps that read the project. Kept tiny: the start-up
 * entries (src/cli/fast-entry.ts, src/cli/main.ts) call it first.
 */
import { isAbsolute } from 'node:path';

/** Host path of the project, set by the capsule for the vagga inside. */
export const CAPSULE_PROJECT_ENV = '_VAGGA_CAPSULE_PROJECT';

/**
 * The directory to work from instead of `cwd`: `cwd` under /work moved under the host path
 * the capsule gave (`_VAGGA_IN_CAPSULE=1` and `_VAGGA_CAPSULE_PROJECT`); undefined when not in
 * a capsule or not under /work. Pure.
 */
export function capsuleHostCwd(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const host = env[CAPSULE_PROJECT_ENV];
  if (env._VAGGA_IN_CAPSULE !== '1' || !host || !isAbsolute(host)) return undefined;
  if (cwd !== '/work' && !cwd.startsWith('/work/')) return undefined;
  return host + cwd.slice('/work'.length);
}

/** chdir to capsuleHostCwd when it applies (a failure leaves the cwd as it is). */
export function enterCapsuleHostCwd(): void {
  // Every start calls this: outside a capsule it costs one environment lookup.
  if (process.env[CAPSULE_PROJECT_ENV] === undefined) return;
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    return;
  }
  const target = capsuleHostCwd(cwd, process.env);
  if (target === undefined) return;
  try {
    process.chdir(target);
  } catch { /* the host path is not visible: stay in /work */ }
}
