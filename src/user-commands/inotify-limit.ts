/**
 * `expect-inotify-limit` (vagga-inventory.md §1.6): a command may declare how many inotify
 * watches it needs (file watchers of dev servers). Vagga warns when the host's
 * `fs.inotify.max_user_watches` (proc(5), /proc/sys/fs/inotify/max_user_watches) is lower and,
 * with the `auto-apply-sysctl` setting, raises it through `sudo`. vagga never runs sudo on its
 * own: it prints the command instead.
 */
import { readFileSync } from 'node:fs';

/** Where the kernel exposes the per-user watch limit. */
export const INOTIFY_WATCHES_PATH = '/proc/sys/fs/inotify/max_user_watches';

/** Vagga's ceiling for the value it asks for (inventory §1.9 `auto-apply-sysctl`). */
export const MAX_INOTIFY_WATCHES = 524288;

/**
 * The warning to print when `current` (the host limit, or undefined when unreadable) is below
 * `expected`, else undefined. Pure.
 */
export function inotifyWarning(commandName: string, expected: number | undefined, current: number | undefined): string | undefined {
  if (expected === undefined || current === undefined || current >= expected) return undefined;
  const wanted = Math.min(expected, MAX_INOTIFY_WATCHES);
  return `Command "${commandName}" expects fs.inotify.max_user_watches >= ${expected}, but it is ${current}: `
    + `file watchers may miss changes. Raise it with: sudo sysctl fs.inotify.max_user_watches=${wanted}\n`;
}

/** The host's current watch limit, or undefined when it cannot be read. */
export function readInotifyLimit(path = INOTIFY_WATCHES_PATH): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
