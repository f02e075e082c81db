/**
 * The host's system directories as seen inside helper sandboxes (builder, tree removal):
 * /usr read-only plus the merged-usr links of Debian 12 (/bin, /lib, /lib64, /sbin -> usr/...).
 */
import type { MountPlan } from './types.js';

/** Merged-/usr top-level links (Debian >= 12 layout): name -> target relative to /. */
export const MERGED_USR_LINKS: Record<string, string> = {
  '/bin': 'usr/bin',
  '/lib': 'usr/lib',
  '/lib64': 'usr/lib64',
  '/sbin': 'usr/sbin',
};

/** Host /usr read-only at /usr and the merged-usr links. Pure. */
export function hostSystemMounts(): MountPlan {
  return [
    { kind: 'bind', source: '/usr', dest: '/usr', readOnly: true },
    ...Object.entries(MERGED_USR_LINKS).map(([dest, target]) => ({ kind: 'symlink' as const, target, dest })),
  ];
}
