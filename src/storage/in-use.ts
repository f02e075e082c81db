/**
 * "This version is being used right now" marks (Vagga issue #128: `_clean` must never delete
 * the container of a running command). Vagga itself only has `last_use`; we add, for the life
 * of every run, an empty file `<version dir>/in_use.<pid>.<n>` beside `root/` (pid of the vagga
 * process, n a per-process counter: `!Supervise` runs several children at once). `_clean
 * --old/--unused` and auto-clean skip a version holding a mark of a live process. A mark left
 * by a killed vagga names a dead pid and is ignored (deleted with its version).
 * Limitation: the pid is checked in the cleaner's pid namespace; a vagga running in another
 * pid namespace (e.g. inside a container) sharing the same storage is not seen as alive.
 * Creating a mark also touches `last_use` (vagga-inventory.md §2.2: touched on every use),
 * so `--no-build`/`--no-version-check` runs count as uses too.
 */
import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { touchLastUse } from './last-use.js';
import { pidAlive } from './pid-alive.js';

/** Re-exported: src/storage/pid-alive.ts. */
export { pidAlive };

let counter = 0;
const MARK = /^in_use\.(\d+)\.\d+$/;

/**
 * The version dir (`<base>/.roots/<name>.<8hex>`) of a rootfs path, or undefined when
 * `rootfs` is not a `.../.roots/<x>/root` path (e.g. a transient copy: nothing to mark).
 */
export function versionDirOfRootfs(rootfs: string): string | undefined {
  if (basename(rootfs) !== 'root') return undefined;
  const dir = dirname(rootfs);
  return basename(dirname(dir)) === '.roots' ? dir : undefined;
}

/**
 * Mark the version holding `rootfs` as in use by this process and touch its `last_use`.
 * Returns the function removing the mark (idempotent). Best effort: when the mark cannot be
 * written (read-only storage, a rootfs outside `.roots`) the run goes on unmarked.
 */
export function markInUse(rootfs: string): () => void {
  const dir = versionDirOfRootfs(rootfs);
  if (!dir) return () => {};
  touchLastUse(dir);
  const file = join(dir, `in_use.${process.pid}.${++counter}`);
  try {
    closeSync(openSync(file, 'w'));
  } catch {
    return () => {};
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    try { rmSync(file, { force: true }); } catch { /* gone with its version */ }
  };
}

/** Run `fn` with `rootfs` marked in use (markInUse), removing the mark when it settles. */
export async function withInUseMark<T>(rootfs: string, fn: () => Promise<T>): Promise<T> {
  const release = markInUse(rootfs);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Pids of the processes holding marks on version dir `dir` (live or not). */
export function inUsePids(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) {
    const m = MARK.exec(n);
    if (m) pids.push(Number(m[1]));
  }
  return pids;
}

/** True when version dir `dir` holds a mark of a live process (`isAlive` default: pidAlive). */
export function versionInUse(dir: string, isAlive: (pid: number) => boolean = pidAlive): boolean {
  return inUsePids(dir).some((pid) => isAlive(pid));
}
