/**
 * Cross-process locks on shared cache entries (bootstrap tarballs, apt caches): the lock
 * file `<path>.lock` taken with acquireLock (src/storage/lock.ts, a flock(2) kernel lock, so
 * a lock left by a killed vagga is free at once). Works between the host-side vagga and
 * builder sandboxes because they see the same cache directory.
 */
import { acquireLock } from '../../storage/lock.js';

/** Releases a lock taken with lockCacheEntry. */
export type ReleaseLock = () => Promise<void>;

export interface CacheLockOptions {
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
  /** Called with one line when the lock was left by a process that died holding it. */
  onStale?: (line: string) => void;
  /** Give up waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Lock file path used for `path`. */
export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

/**
 * Take the lock for cache entry `path` (the entry itself need not exist; its directory
 * must), waiting as long as another live process holds it. Resolves to the release
 * function. Errors: see acquireLock.
 */
export async function lockCacheEntry(path: string, options: CacheLockOptions = {}): Promise<ReleaseLock> {
  const held = await acquireLock(lockPathFor(path), options);
  return () => held.release();
}
