/**
 * Creating the storage directories (`.vagga/.roots`, `.vagga`, the cache dir) with errors a
 * user can act on. A project the user cannot write to (owned by another user, `.vagga` left
 * behind by a `sudo vagga`, a read-only mount) makes mkdir(2)/access(2) fail with EACCES,
 * EPERM or EROFS (errno(3)); those become a VaggaError (exit 121, vagga-inventory.md §2.10
 * "launcher-level failure") naming the path, the directory in the way and what to do. Any
 * other error is passed on unchanged.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaggaError } from '../errors/vagga-error.js';

/** errno codes meaning "you may not write here". */
const DENIED_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

/** What a storage directory is for, as used in messages and hints. */
export type StorageDirKind = 'storage' | 'cache';

/** The deepest existing directory at or above `path` (`/` at worst). */
export function nearestExisting(path: string): string {
  let dir = path;
  for (;;) {
    try {
      statSync(dir);
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) return dir;
      dir = up;
    }
  }
}

/** `uid 1001, mode 0755` for `dir`, or '' when it cannot be read. */
function ownerText(dir: string): string {
  try {
    const st = statSync(dir);
    return `owned by uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`;
  } catch {
    return '';
  }
}

/**
 * Turn a permission error (EACCES, EPERM, EROFS) met while creating or writing storage
 * directory `path` into a VaggaError (121) whose message names `path` and the reason and
 * whose hint names the directory in the way (the deepest existing one), its owner and mode,
 * and the way out (`kind` 'storage': the project's `.vagga`; 'cache': the `cache-dir`
 * setting). Returns `err` itself for any other error.
 */
export function storageDirError(err: unknown, path: string, kind: StorageDirKind = 'storage'): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !DENIED_CODES.has(code)) return err;
  const what = kind === 'storage' ? 'container storage directory' : 'cache directory';
  const blocker = nearestExisting(path);
  const uid = process.getuid?.();
  const who = uid === undefined ? 'you' : `you (uid ${uid})`;
  const owner = ownerText(blocker);
  const lines: string[] = [];
  if (code === 'EROFS') {
    lines.push(`${blocker} is on a read-only file system.`);
  } else {
    lines.push(`${blocker} is not writable by ${who}${owner ? `: it is ${owner}` : ''}.`);
  }
  if (kind === 'storage') {
    lines.push(
      'vagga keeps containers in `.vagga` inside the project directory, so it needs to write there.',
      code === 'EROFS'
        ? 'Work on a copy of the project on a writable file system, or remount it read-write.'
        : 'Make the project directory (and `.vagga`, if an earlier `sudo vagga` created it) writable for your user, or work on a copy of the project you own.',
    );
  } else {
    lines.push('Point the `cache-dir` setting (e.g. in ~/.vagga.yaml) or $XDG_CACHE_HOME at a directory you can write to.');
  }
  const reason = code === 'EROFS' ? 'read-only file system' : 'permission denied';
  return new VaggaError(`Can't create or write the ${what} ${path}: ${reason} (${code})`, {
    code: 'storage.not-writable',
    hint: lines.join('\n'),
    cause: err,
  });
}

/**
 * mkdir -p `path` (new dirs get `mode`, default 0755 minus the umask) and check that it is
 * writable, so that a `.vagga` owned by someone else is reported here rather than as an
 * odd failure later (lock, build dir). Throws storageDirError's VaggaError (121) on
 * EACCES/EPERM/EROFS, the fs error otherwise.
 */
export function makeStorageDir(path: string, kind: StorageDirKind = 'storage', mode = 0o755): void {
  try {
    mkdirSync(path, { recursive: true, mode });
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw storageDirError(err, path, kind);
  }
}
