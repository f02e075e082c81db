/**
 * Where a command starts inside the container (inventory §1.6 `work-dir`, §2.7 "cwd").
 * The project directory is mounted at /work.
 */
import { posix, relative, sep } from 'node:path';

/**
 * The user's position relative to the project root, as Vagga's `_relative_work_dir`
 * prints it: `''` at the root, `sub/dir` below it. Both arguments are absolute host
 * paths (resolve symlinks first for a stable answer). A cwd outside the project gives `''`.
 */
export function relativeWorkDir(projectRoot: string, cwd: string): string {
  const rel = relative(projectRoot, cwd);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) return '';
  return rel.split(sep).join('/');
}

/**
 * The command's working directory inside the container: `/work/<work-dir>` when the
 * command sets `work-dir` (relative to the project; an absolute value is taken as is),
 * else the user's cwd translated under /work.
 */
export function containerWorkDir(projectRoot: string, cwd: string, workDir?: string): string {
  if (workDir !== undefined) {
    return workDir.startsWith('/') ? posix.normalize(workDir) : posix.normalize(posix.join('/work', workDir)).replace(/\/$/, '') || '/';
  }
  const rel = relativeWorkDir(projectRoot, cwd);
  return rel === '' ? '/work' : `/work/${rel}`;
}
