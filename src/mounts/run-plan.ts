/**
 * Mount plan for running a command (vagga-inventory.md §2.7). CONTRACT STUB: implemented by the sandbox work.
 */
import type { ContainerConfig, Settings, Volume } from '../config/model.js';
import type { MountPlan } from './types.js';

export interface RunPlanInput {
  container: ContainerConfig;
  /** Host path of the built root filesystem (bound read-only at /). */
  rootfs: string;
  /** Host path of the project, bound at /work. */
  projectRoot: string;
  /** Command volumes; they override container volumes at the same path. */
  commandVolumes: Record<string, Volume>;
  settings: Settings;
  /** Host cache dir, for `!CacheDir` volumes. */
  cacheDir: string;
}

/**
 * Ordered mounts: rootfs read-only at /, /proc, /dev, /work, fresh /tmp (1777) and /run
 * tmpfs unless volumes replace them, volumes in sorted path order, host resolv.conf and
 * hosts bound at the container's resolv-conf-path/hosts-file-path. Pure: no I/O.
 */
export function planRunMounts(input: RunPlanInput): MountPlan {
  throw new Error('not implemented');
}
