/**
 * Looking up a program name in a container's PATH from the host side, before the
 * sandbox starts (Vagga's find_cmd: `_run` uses the default PATH, a `!Command` list `run`
 * the command's environment PATH; names containing `/` are used as given).
 * The lookup reads the built root filesystem, following symlinks *relative to the rootfs*
 * (an absolute link target means rootfs + target, never the host's file).
 */
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { ExitCode, VaggaError } from '../errors/vagga-error.js';

/** Outcome of looking at one path inside the rootfs. */
type Probe = 'file' | 'dir' | 'missing' | 'unknown';

const MAX_SYMLINKS = 40;

/**
 * Resolve `path` (absolute, as seen inside the container) against `rootfs` (host path)
 * and say what is there. Symlinks anywhere in the path are followed inside the rootfs,
 * `..` never leaves it. 'unknown' when a directory on the way cannot be read (e.g. a
 * subuid-owned 0700 dir): the caller should let the sandbox decide.
 */
export function probeInRootfs(rootfs: string, path: string): Probe {
  const pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  try {
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const host = rootfs + '/' + [...done, part].join('/');
      const st = lstatSync(host, { throwIfNoEntry: false });
      if (!st) return 'missing';
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINKS) return 'missing';
        const target = readlinkSync(host);
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
        continue;
      }
      if (pending.length > 0 && !st.isDirectory()) return 'missing';
      done.push(part);
    }
    const st = statSync(rootfs + '/' + done.join('/'), { throwIfNoEntry: false });
    if (!st) return 'missing';
    return st.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return 'unknown';
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return 'missing';
    throw err;
  }
}

/**
 * Find `name` in `searchPath` (colon-separated, absolute dirs only; relative entries are
 * skipped) inside `rootfs`. Returns the in-container path to execute. Names containing
 * `/` are returned unchanged. Throws VaggaError 124
 * `Command "<name>" not found in "<searchPath>"` (Vagga's exact text).
 */
export function findProgram(rootfs: string, name: string, searchPath: string): string {
  if (name.includes('/')) return name;
  for (const dir of searchPath.split(':')) {
    if (!dir.startsWith('/')) continue;
    const candidate = posix.join(dir, name);
    const found = probeInRootfs(rootfs, candidate);
    if (found === 'file' || found === 'unknown') return candidate;
  }
  throw new VaggaError(`Command ${JSON.stringify(name)} not found in ${JSON.stringify(searchPath)}`, {
    exitCode: ExitCode.sandbox,
  });
}
