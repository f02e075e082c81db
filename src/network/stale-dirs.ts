/**
 * Temporary directories of network runs are named `<prefix><vagga's pid>-<random>` (pasta's
 * pid-file dir, a networked supervise run's hosts file and control FIFO). A vagga killed by
 * SIGKILL cannot remove its own, so the next run removes those whose vagga is gone.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../storage/pid-alive.js';

/**
 * Remove the directories `<prefix>PID-*` in `base` that belong to this user and whose PID no
 * longer runs (`alive`, default kill(pid, 0)). Best effort: errors are ignored.
 */
export function removeDeadRunDirs(base: string, prefix: string, alive: (pid: number) => boolean = pidAlive): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${prefix}(\\d+)-`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try {
      const path = join(base, name);
      if (statSync(path).uid !== process.getuid!()) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Someone else's, or gone already.
    }
  }
}
