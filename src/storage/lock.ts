/**
 * Inter-process locks on the storage (vagga-inventory.md §2.3 "Take flock on
 * .roots/.tmp.<name>.lock"). Vagga uses flock(2); we use proper-lockfile (an atomic mkdir of
 * the lock path whose mtime the holder refreshes), which also works on network file
 * systems and needs no native code. A holder killed with SIGKILL stops refreshing the
 * mtime, so its lock turns stale after `staleMs` and the next taker takes it over.
 *
 * Unlike Vagga (which aborts unless `build-lock-wait` is set), a second build of the same
 * container always waits: waiting is never wrong, aborting loses the user's command.
 */
import { lock as plLock } from 'proper-lockfile';

/** A held lock. */
export interface HeldLock {
  /** Release the lock (idempotent; errors are ignored: the lock may have gone stale). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Called once, the first time the lock is found taken by someone else. */
  onWait?: () => void;
  /** Called when the lock was lost while held (e.g. the event loop stalled for > staleMs). */
  onCompromised?: (err: Error) => void;
  /** Milliseconds between attempts while waiting (default 250). */
  pollMs?: number;
  /** A lock not refreshed for this long is stale and may be taken over (default 10000, min 2000). */
  staleMs?: number;
  /** Stop waiting when aborted (rejects with the signal's reason). */
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Take the lock at `lockPath` (a path whose parent directory exists), waiting as long as
 * another live process holds it. Resolves with the held lock. Rejects with fs errors other
 * than "locked" (e.g. EACCES on the parent) and when `signal` aborts.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<HeldLock> {
  const staleMs = Math.max(2000, options.staleMs ?? 10000);
  let warned = false;
  for (;;) {
    try {
      const release = await plLock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        retries: 0,
        stale: staleMs,
        onCompromised: (err) => {
          if (options.onCompromised) options.onCompromised(err);
          else process.stderr.write(`Warning: lock ${lockPath} was compromised: ${err.message}\n`);
        },
      });
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          try { await release(); } catch { /* stale or already removed */ }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (!warned) {
        warned = true;
        options.onWait?.();
      }
      await sleep(options.pollMs ?? 250, options.signal);
    }
  }
}
