/**
 * Cross-process locks on shared cache entries (bootstrap tarballs, apt caches), built on
 * proper-lockfile: an atomic `mkdir <path>.lock` whose mtime is refreshed while held, so a
 * lock left by a killed process goes stale and is taken over. Works between the host-side
 * vagga and builder sandboxes because they see the same cache directory.
 */
import lockfile from 'proper-lockfile';
import { setTimeout as sleep } from 'node:timers/promises';

/** Releases a lock taken with lockCacheEntry. */
export type ReleaseLock = () => Promise<void>;

export interface CacheLockOptions {
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
  /** Called if the lock was lost while held (e.g. its mtime could not be refreshed). */
  onCompromised?: (err: Error) => void;
  /** Give up waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Lock directory path used for `path`. */
export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

/**
 * Take the lock for cache entry `path` (the entry itself need not exist), waiting as long as
 * another live process holds it. A holder that stopped refreshing it for 30 s is considered
 * dead and its lock is taken over. Resolves to the release function.
 */
export async function lockCacheEntry(path: string, options: CacheLockOptions = {}): Promise<ReleaseLock> {
  let waiting = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await lockfile.lock(path, {
        realpath: false,
        lockfilePath: lockPathFor(path),
        stale: 30_000,
        update: 5_000,
        onCompromised: (err) => options.onCompromised?.(err),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (!waiting) {
        waiting = true;
        options.onWait?.();
      }
      await sleep(500, undefined, { signal: options.signal });
    }
  }
}
