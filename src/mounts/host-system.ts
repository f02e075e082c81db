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

/**
 * The base of the interactive host-tool views (`_build_shell`, a `!CapsuleCommand`'s capsule):
 * hostSystemMounts, fresh /proc and /dev, /sys read-only, a /tmp tmpfs (1777) and an /etc
 * holding only the host's hosts and resolv.conf (read-only; skipped when missing). Pure.
 */
export function hostShellMounts(): MountPlan {
  return [
    ...hostSystemMounts(),
    { kind: 'proc', dest: '/proc' },
    { kind: 'dev', dest: '/dev' },
    { kind: 'bind', source: '/sys', dest: '/sys', readOnly: true },
    { kind: 'tmpfs', dest: '/tmp', mode: 0o1777 },
    { kind: 'dir', dest: '/etc', mode: 0o755 },
    { kind: 'bind', source: '/etc/hosts', dest: '/etc/hosts', readOnly: true, optional: true },
    { kind: 'bind', source: '/etc/resolv.conf', dest: '/etc/resolv.conf', readOnly: true, optional: true },
  ];
}
