/**
 * Inter-process locks on the storage and the cache (vagga-inventory.md §2.3 "Take flock on
 * .roots/.tmp.<name>.lock"). Like Vagga, a kernel lock: flock(2), taken by util-linux
 * flock(1) (no native addon) in a small holder process that vagga starts with spawnHost
 * (src/sandbox/host-spawn.ts) and keeps a pipe to:
 *
 *   flock --exclusive --close LOCKFILE /bin/sh -c 'echo locked; read _'
 *
 * The holder prints `locked` once the lock is taken and keeps it until vagga closes the
 * pipe (release) or dies: the kernel drops the lock with the holder, so a lock left by a
 * killed vagga is free at once (issue 8 part 4; no stale timeout to wait out). flock(2) works
 * across pid and user namespaces, so host-side vagga and builder sandboxes share these locks.
 *
 * While held, the lock file holds the taker's pid; a clean release empties it. A taker that
 * finds a pid there knows the previous holder died holding the lock and says so in one line.
 * Lock files are never deleted (a waiter may have the old file open).
 *
 * Unlike Vagga (which aborts unless `build-lock-wait` is set), a second build of the same
 * container always waits: waiting is never wrong, aborting loses the user's command.
 */
import { type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { VaggaError } from '../errors/vagga-error.js';
import { spawnHost, spawnHostSync } from '../sandbox/host-spawn.js';
import { findTool } from '../sandbox/tools.js';

/** A held lock. */
export interface HeldLock {
  /** Release the lock (idempotent, never throws). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Called once, when the lock is found taken by a live process and we start waiting. */
  onWait?: () => void;
  /**
   * Called with one line when the lock was left by a process that died holding it
   * (default: the line goes to stderr).
   */
  onStale?: (line: string) => void;
  /** Stop waiting when aborted (rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Take a shared lock (flock --shared): any number of shared holders at once, none while an
   * exclusive one holds it (the layer store's GC lease, src/builder/layer-store.ts).
   * Shared locks do not record a pid in the file.
   */
  shared?: boolean;
}

/** flock(1)'s exit status when the lock is busy (`--conflict-exit-code`). */
const BUSY = 75;

/** Debug switch: print `lock wait: N ms for PATH` after each lock is taken (stderr). */
export const LOCK_DEBUG_ENV = 'VAGGA_DEBUG_LOCK_WAIT';

/** Create the lock file (replacing a proper-lockfile directory of older versions); throws fs errors. */
function createLockFile(lockPath: string): void {
  try {
    if (statSync(lockPath).isDirectory()) rmSync(lockPath, { recursive: true, force: true });
  } catch {
    // Missing: created below.
  }
  try {
    closeSync(openSync(lockPath, 'a', 0o644));
  } catch (err) {
    // Another user's lock file (e.g. a shared cache): flock(1) opens it read-only, which is enough.
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    closeSync(openSync(lockPath, 'r'));
  }
}

type Attempt = { holder: ChildProcess } | 'busy';

/** Start a holder; resolves when it holds the lock, or 'busy' (nonblocking attempt only). */
function attempt(lockPath: string, wait: boolean, signal: AbortSignal | undefined, shared = false): Promise<Attempt> {
  const args = [shared ? '--shared' : '--exclusive', ...(wait ? [] : ['--nonblock']), '--conflict-exit-code', String(BUSY), '--close', lockPath,
    '/bin/sh', '-c', 'echo locked; read _ || :'];
  const holder = spawnHost(findTool('flock'), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let said = '';
    let stderr = '';
    const onAbort = (): void => {
      holder.kill('SIGKILL');
      reject(signal!.reason);
    };
    const settle = (): void => {
      signal?.removeEventListener('abort', onAbort);
      holder.stdout!.removeAllListeners('data');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    holder.stdin!.on('error', () => {});
    holder.stdout!.setEncoding('utf8').on('data', (d: string) => {
      said += d;
      if (!said.includes('locked\n')) return;
      settle();
      resolve({ holder });
    });
    (holder.stderr as Readable).setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    holder.once('error', (err) => {
      settle();
      reject(err);
    });
    holder.once('exit', (code) => {
      if (said.includes('locked\n') || signal?.aborted) return;
      settle();
      if (code === BUSY && !wait) return resolve('busy');
      reject(new VaggaError(`Can't take the lock ${lockPath}: ${stderr.trim() || `flock exited with ${code}`}`, { code: 'storage.lock-failed' }));
    });
  });
}

/**
 * Take the lock at `lockPath` (a file path whose parent directory exists; the file is
 * created), waiting as long as another live process holds it. Resolves with the held lock.
 * Rejects with fs errors creating the file (e.g. EACCES, EROFS, ENOSPC: code and path set),
 * MissingToolError without util-linux, VaggaError (121) when flock(1) fails, and the
 * signal's reason when `signal` aborts.
 */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<HeldLock> {
  options.signal?.throwIfAborted();
  createLockFile(lockPath);
  const started = Date.now();
  let got = await attempt(lockPath, false, options.signal, options.shared);
  if (got === 'busy') {
    options.onWait?.();
    got = await attempt(lockPath, true, options.signal, options.shared);
    if (got === 'busy') throw new Error('unreachable: a waiting flock reported busy');
  }
  const { holder } = got;
  if (process.env[LOCK_DEBUG_ENV]) process.stderr.write(`lock wait: ${Date.now() - started} ms for ${lockPath}\n`);
  // Held: the lock must not keep vagga alive; vagga's exit releases it.
  holder.unref();
  for (const s of [holder.stdin, holder.stdout, holder.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  let previous = '';
  if (options.shared) return holderRelease(holder);
  try {
    previous = readFileSync(lockPath, 'utf8').trim();
  } catch {
    // Unreadable: nothing to report.
  }
  if (/^\d+$/.test(previous)) {
    const line = `Took over the lock ${lockPath} left by vagga process ${previous}, which is gone`;
    if (options.onStale) options.onStale(line);
    else process.stderr.write(`${line}\n`);
  }
  try {
    writeFileSync(lockPath, `${process.pid}\n`);
  } catch {
    // Informational only (e.g. a full disk): the kernel lock is what counts.
  }
  const inner = holderRelease(holder);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        writeFileSync(lockPath, '');
      } catch {
        // See above.
      }
      await inner.release();
    },
  };
}

/** The release of a lock held by `holder`: close the holder's pipe and wait for it to exit (idempotent). */
function holderRelease(holder: ChildProcess): HeldLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      holder.ref();
      const exited = new Promise<void>((resolve) => {
        if (holder.exitCode !== null || holder.signalCode !== null) resolve();
        else holder.once('exit', () => resolve());
      });
      (holder.stdin as Writable).end('\n');
      await exited;
    },
  };
}

/**
 * Try to take the lock at `lockPath` without waiting: the held lock, or undefined when another
 * process holds it. Same errors as acquireLock.
 */
export async function tryLock(lockPath: string, options: Pick<LockOptions, 'shared'> = {}): Promise<HeldLock | undefined> {
  createLockFile(lockPath);
  const got = await attempt(lockPath, false, undefined, options.shared);
  if (got === 'busy') return undefined;
  got.holder.unref();
  for (const s of [got.holder.stdin, got.holder.stdout, got.holder.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  return holderRelease(got.holder);
}

/**
 * Whether another process holds the lock at `lockPath` right now (flock --nonblock). A
 * missing lock file is not held. Never throws (an unknown state counts as held).
 */
export function lockHeld(lockPath: string): boolean {
  try {
    if (!statSync(lockPath).isFile()) return false;
  } catch {
    return false;
  }
  try {
    const r = spawnHostSync(findTool('flock'), ['--exclusive', '--nonblock', '--conflict-exit-code', String(BUSY), lockPath, 'true'], { encoding: 'utf8', stdio: 'ignore' });
    return r.status !== 0;
  } catch {
    return true;
  }
}
