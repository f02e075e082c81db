/**
 * Liveness of a process named by pid, for the pid-stamped names vagga leaves in its storage
 * dir (builder scratch dirs, in-use marks, transient copies).
 */

/**
 * Whether process `pid` exists: kill(pid, 0) (kill(2)) succeeds or fails with EPERM (it
 * exists but belongs to another user). Pids are those of this process's pid namespace, where
 * the host side of every build and run lives. Never throws.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
