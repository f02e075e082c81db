/**
 * A mount plan is data: an ordered list of operations that build a sandbox's file system
 * view, applied in order (later entries mount over earlier ones). Planners in this folder
 * are pure functions; src/sandbox/bwrap-args.ts is the one place turning a plan into
 * bubblewrap arguments (bwrap(1): --bind, --ro-bind, --dev, --proc, --tmpfs, --dir, ...).
 */

export type MountOp =
  /**
   * Bind `source` (host path) at `dest`. `optional`: skip if the source is missing (bwrap
   * --bind-try). `createSource`: the runner creates the source directory first (mkdir -p),
   * e.g. for `!CacheDir` and `!Persistent` volumes.
   */
  | { kind: 'bind'; source: string; dest: string; readOnly: boolean; optional?: boolean; createSource?: boolean }
  /** A fresh /dev with the standard nodes, devpts and shm (bwrap --dev). */
  | { kind: 'dev'; dest: string }
  /** A fresh procfs for the sandbox's pid namespace (bwrap --proc). */
  | { kind: 'proc'; dest: string }
  /** A fresh tmpfs; size in bytes, mode as a number (e.g. 0o1777). */
  | { kind: 'tmpfs'; dest: string; size?: number; mode?: number }
  /** Create a directory (on a tmpfs or other writable parent). */
  | { kind: 'dir'; dest: string; mode?: number }
  /** Create a symlink `dest` -> `target`. */
  | { kind: 'symlink'; target: string; dest: string }
  /** Create a file holding `content` (bwrap --file with a pipe). */
  | { kind: 'file'; dest: string; content: string; mode?: number }
  /** Make an already mounted path read-only (bwrap --remount-ro). */
  | { kind: 'remount-ro'; dest: string };

export type MountPlan = MountOp[];
